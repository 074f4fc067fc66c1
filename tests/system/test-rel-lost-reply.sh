#!/bin/bash
# System test: when a change reached the daemon but its reply was lost,
# the CLI says the outcome is unknown (exit status 3), not that it failed;
# it never waits past --timeout; and a read whose daemon went away is
# asked again.
#
# usage: test-rel-lost-reply.sh FLOWTIER FLOWTIERD
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"

# A server that reads one request and closes without a reply, as a daemon
# that crashed while committing would.
FAKE=$SYS_T/fake
mkdir -p "$FAKE"
"$SYS_PY" - "$FAKE/flowtierd.sock" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(8)
while True:
    c, _ = s.accept()
    buf = b""
    while b"\n" not in buf:
        d = c.recv(65536)
        if not d:
            break
        buf += d
    c.close()
PY
SYS_PIDS+=($!)
for _ in $(seq 50); do [ -S "$FAKE/flowtierd.sock" ] && break; sleep 0.1; done

ft 3 --rundir="$FAKE" add-br br9
expect_err "no reply came: whether add-br was carried out is unknown"
ft 3 --rundir="$FAKE" add-flow br9 actions=drop
expect_err "unknown"
# A read is asked again until the timeout, then fails plainly.
t0=$(date +%s%N)
ft 1 --rundir="$FAKE" --timeout=1 list-br
t1=$(date +%s%N)
[ $(( (t1 - t0) / 1000000 )) -lt 3000 ] || fail "list-br against a closing server took over 3 s with --timeout=1"
pass

# A real daemon, stopped: the change waits for it, the CLI does not.
sys_start_daemon
pid=$(sys_daemon_pid)
kill -STOP "$pid"
t0=$(date +%s%N)
ft 3 --timeout=1 add-br br1
t1=$(date +%s%N)
expect_err "no reply within 1000 ms"
[ $(( (t1 - t0) / 1000000 )) -lt 3000 ] || fail "--timeout=1 waited over 3 s"
pass
ft 1 --timeout=1 list-br
expect_err "no reply within"
kill -CONT "$pid"
# It was indeed carried out: "unknown" was the truth, "failed" would not be.
ft 0 list-br
expect_out "^br1$"

# Killed while the request waits in its socket.
kill -STOP "$pid"
"$FT" add-flow br1 actions=drop 2>"$SYS_T/kill.err" &
cli=$!
sleep 0.5
kill -9 "$pid"
wait "$cli"
rc=$?
[ "$rc" = 3 ] || fail "add-flow to a daemon killed mid-request exited $rc, not 3: $(cat "$SYS_T/kill.err")"
grep -q "unknown" "$SYS_T/kill.err" || fail "no 'unknown' in: $(cat "$SYS_T/kill.err")"
pass
sys_done
