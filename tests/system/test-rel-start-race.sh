#!/bin/bash
# System test: a CLI read never makes the daemon fail to start.  While
# two loops run 'flowtier list-br' back to back (which reads the database
# itself when no daemon answers), flowtierd is started and stopped N times
# (default 15); every start must succeed, and every list-br must either
# print the bridge or fail only because nothing is running.  (The CLI used
# to lock the database while reading it, and a daemon starting then
# exited with "database ... is in use by another process", about 1 start
# in 3.)
#
# usage: test-rel-start-race.sh FLOWTIER FLOWTIERD
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"

N=${FT_RACE_RUNS:-15}
sys_start_daemon
ft 0 add-br br0
kill "$(sys_daemon_pid)"
while [ -S "$FLOWTIER_RUNDIR/flowtierd.sock" ]; do sleep 0.05; done

poll() {
    while [ ! -e "$SYS_T/stop" ]; do
        if "$FT" list-br >"$SYS_T/poll$1.out" 2>&1; then
            grep -qx br0 "$SYS_T/poll$1.out" \
                || { cp "$SYS_T/poll$1.out" "$SYS_T/poll$1.bad"; }
        else
            cp "$SYS_T/poll$1.out" "$SYS_T/poll$1.bad"
        fi
    done
}
poll 1 &
SYS_PIDS+=($!)
poll 2 &
SYS_PIDS+=($!)

fails=0
for i in $(seq "$N"); do
    if ! "$FTD" --detach --no-fsync --log-file="$SYS_T/d.log" 2>"$SYS_T/start.err"; then
        fails=$((fails + 1))
        echo "start $i failed: $(cat "$SYS_T/start.err")" >&2
        continue
    fi
    pid=$(sys_daemon_pid)
    "$FT" list-br >/dev/null 2>&1
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
done
touch "$SYS_T/stop"
wait "${SYS_PIDS[@]}" 2>/dev/null
SYS_PIDS=()
echo "$N starts with two CLI loops polling: $fails failed"
[ "$fails" = 0 ] || fail "$fails of $N daemon starts failed while the CLI polled"
pass
for f in "$SYS_T"/poll*.bad; do
    [ -e "$f" ] || continue
    fail "a list-br during the starts failed: $(cat "$f")"
done
pass
sys_done
