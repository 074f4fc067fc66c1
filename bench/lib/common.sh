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
    echo "$a $b" \
        | awk '{t = $3 - $1; printf "%.0f", t ? 100 * ($4 - $2) / t : 0}'
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

# bench_perf_start FILE: samples the whole machine (every CPU, kernel
# included, cpu-clock: this machine has no hardware counters) into FILE
# until bench_perf_stop.  For --perf runs only: sampling costs CPU time.
bench_perf_start() {
    perf record -a -g -e cpu-clock -F 999 -o "$1" >/dev/null 2>&1 &
    BENCH_PERF_PID=$!
    bench_defer "bench_kill $BENCH_PERF_PID"
    sleep 0.5
}

# bench_perf_stop FILE: stops the sampling of bench_perf_start and writes
# FILE.txt (samples by command and symbol) beside FILE.
bench_perf_stop() {
    kill -INT "$BENCH_PERF_PID" 2>/dev/null
    wait "$BENCH_PERF_PID" 2>/dev/null
    bench_undefer "bench_kill $BENCH_PERF_PID"
    perf report -i "$1" --no-children --sort comm,dso,sym --stdio \
        -g none 2>/dev/null | grep -v '^#' | grep -v '^$' \
        | head -80 >"$1.txt"
}

# bench_stat: the machine's CPU ticks so far: total, busy in tasks (user,
# nice, system), in interrupts (irq, softirq), and stolen by the
# hypervisor.
bench_stat() {
    awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $2+$3+$4, $7+$8, $9}' \
        /proc/stat
}

# bench_pids_ticks PID...: user + system ticks of these processes (all
# their threads).
bench_pids_ticks() {
    local pid sum=0 t
    for pid in "$@"; do
        t=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" \
            2>/dev/null) && sum=$((sum + t))
    done
    echo "$sum"
}

# bench_others_pct STAT0 STAT1 OURS_TICKS: the percentage of the machine's
# CPU time that processes other than the benchmark's used between the two
# bench_stat readings, given the ticks the benchmark's processes used.
# The kernel charges softirq time to the task it interrupted as well as
# to the softirq counter, so the total is tasks + interrupts.
bench_others_pct() {
    echo "$1 $2 $3" | awk '{
        t = $5 - $1; o = ($6 - $2) + ($7 - $3) - $9
        # Tick rounding can make what the benchmark counted exceed
        # the machine'"'"'s busy time by a tick or two.
        if (o < 0) o = 0
        printf "%.1f", t ? 100 * o / t : 0 }'
}

# bench_steal_pct STAT0 STAT1: the percentage of CPU time stolen by the
# hypervisor between the two readings.
bench_steal_pct() {
    echo "$1 $2" \
        | awk '{t = $5 - $1; printf "%.1f", t ? 100 * ($8 - $4) / t : 0}'
}

# bench_times_cpu FILE: the CPU seconds (user + system) of the shell's
# finished child processes, from the output of 'times' in FILE.  A case
# whose own commands (pollers, CLIs) would otherwise count as other
# processes' CPU runs 'times >FILE0' first (in the case's shell, not a
# subshell) and 'times >FILE1' last, and sets CASE_CPU to the difference.
bench_times_cpu() {
    sed -n 2p "$1" | tr 'ms' '  ' \
        | awk '{ print $1 * 60 + $2 + $3 * 60 + $4 }'
}

# bench_taskset CPU: the command prefix that pins to CPU (none if empty).
bench_taskset() {
    [ -n "$1" ] && echo "taskset -c $1"
}

# bench_pin_switch SWITCH: pins every thread of the switch's daemon to
# $BENCH_SWITCH_CPU, if set (the Linux bridge has no daemon).
bench_pin_switch() {
    local pidfile
    [ -n "$BENCH_SWITCH_CPU" ] || return 0
    case $1 in
        flowtier*) pidfile=$BENCH_TMP/ft/run/flowtierd.pid ;;
        ovs*) pidfile=$BENCH_TMP/ovs/ovs-vswitchd.pid ;;
        *) return 0 ;;
    esac
    taskset -a -p -c "$BENCH_SWITCH_CPU" "$(cat "$pidfile")" >/dev/null
}
