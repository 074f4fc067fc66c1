# common.sh - logging, the cleanup stack and statistics sampling for
# bench/run.sh.  Sourced; defines functions only.
#
# Everything a run creates (processes, namespaces, directories) is
# registered with bench_defer right after it is created; bench_cleanup
# undoes the registrations newest first and is installed on EXIT by
# run.sh, so a failure or Ctrl-C at any point leaves nothing behind.

BENCH_DEFERRED=()

bench_log() {
    echo "bench: $*" >&2
}

bench_die() {
    echo "bench: error: $*" >&2
    exit 1
}

# bench_defer CMD: runs CMD (a string, eval'd) at cleanup time.
bench_defer() {
    BENCH_DEFERRED+=("$1")
}

# bench_undefer CMD: runs CMD now and drops its registration (the most
# recent one with exactly that text).
bench_undefer() {
    local i
    for ((i = ${#BENCH_DEFERRED[@]} - 1; i >= 0; i--)); do
        if [ "${BENCH_DEFERRED[i]}" = "$1" ]; then
            unset 'BENCH_DEFERRED[i]'
            BENCH_DEFERRED=("${BENCH_DEFERRED[@]}")
            break
        fi
    done
    eval "$1"
}

bench_cleanup() {
    local i
    for ((i = ${#BENCH_DEFERRED[@]} - 1; i >= 0; i--)); do
        eval "${BENCH_DEFERRED[i]}" >/dev/null 2>&1 || true
    done
    BENCH_DEFERRED=()
}

# bench_kill PID: TERM, then KILL after ~3 s; quiet if already gone.
bench_kill() {
    local pid=$1 i=0
    case $pid in ''|*[!0-9]*) return 0 ;; esac
    kill "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 30 ]; then
            kill -9 "$pid" 2>/dev/null
            break
        fi
        sleep 0.1
    done
}

# bench_kill_pidfile FILE
bench_kill_pidfile() {
    [ -r "$1" ] && bench_kill "$(cat "$1" 2>/dev/null)"
    rm -f "$1"
}

# bench_cpu_idle SECONDS: prints the percentage of CPU time the whole
# machine spent idle over the next SECONDS (before a run: how much of the
# machine others leave us).
bench_cpu_idle() {
    local a b
    a=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    sleep "$1"
    b=$(awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat)
    echo "$a $b" | awk '{t = $3 - $1; printf "%.0f", t ? 100 * ($4 - $2) / t : 0}'
}

bench_loadavg() {
    cut -d' ' -f1-3 /proc/loadavg
}

# bench_wait_quiet MIN_IDLE MAX_WAIT: waits (at most MAX_WAIT seconds) for
# a second in which at least MIN_IDLE percent of the CPU time was idle.
# Prints the idle percentage of the last second sampled.
bench_wait_quiet() {
    local min=$1 max=$2 waited=0 idle
    while :; do
        idle=$(bench_cpu_idle 1)
        waited=$((waited + 1))
        if [ "$idle" -ge "$min" ] || [ $waited -ge "$max" ]; then
            echo "$idle"
            return 0
        fi
    done
}
