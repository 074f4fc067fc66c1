#!/bin/bash
# System test: many clients, and clients that hold memory, do not take
# flowtierd down.
#
# 1. The daemon runs with an open-file limit of 64 and 200 clients connect
#    (half idle, half having sent the start of a request and no newline).
#    While they hold on, 'flowtier list-br' is answered every time, the
#    daemon uses under 20% of a CPU (it spun at 100% on accept failing
#    with EMFILE), and after 5 s without a byte each unfinished request is
#    closed with a reply that says why.
# 2. 24 clients each send 6 MiB without a newline: the unfinished bytes
#    across connections stay within the budget (64 MiB), so the daemon's
#    resident memory stays under 120 MB (it took every byte: ~150 MB and
#    more), the clients over budget are told why, and the CLI answers.
# 3. A request over the 8 MiB limit is refused with the reason after at
#    most the limit was read, not after the whole of it.
#
# usage: test-rel-clients.sh FLOWTIER FLOWTIERD
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"

SOCK=$FLOWTIER_RUNDIR/flowtierd.sock
CLIENTS=$SYS_T/clients.py
cat >"$CLIENTS" <<'PY'
import json, socket, sys, time

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
    except (BlockingIOError, ConnectionRefusedError, OSError):
        s.close()
        return None
    s.setblocking(True)
    return s

def replies(socks, wait):
    """Reads what each socket got within 'wait' seconds: the text, and
    whether the daemon closed it."""
    out = []
    end = time.time() + wait
    for s in socks:
        s.settimeout(max(0.01, end - time.time()))
        data, closed = b"", False
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    closed = True
                    break
                data += d
        except (socket.timeout, BlockingIOError):
            pass
        except OSError:
            closed = True
        out.append((data.decode(errors="replace"), closed))
    return out

mode, path = sys.argv[1], sys.argv[2]
if mode == "fds":
    # 200 clients; even ones send an unfinished request.  Hold 'hold' s.
    n, hold = int(sys.argv[3]), float(sys.argv[4])
    socks = []
    for i in range(n):
        s = connect(path)
        if s is None:
            continue
        if i % 2 == 0:
            try:
                s.sendall(b'{"jsonrpc":"2.0","method":"list-br"')
            except OSError:
                pass
        socks.append((i, s))
    print("connected %d" % len(socks), flush=True)
    time.sleep(hold)
    got = replies([s for _, s in socks], 1.0)
    n_incomplete = sum(1 for t, c in got if "request incomplete" in t and c)
    print("incomplete-closed %d" % n_incomplete, flush=True)
elif mode == "mem":
    n, size = int(sys.argv[3]), int(sys.argv[4])
    socks = [connect(path) for _ in range(n)]
    chunk = b"x" * (1 << 20)
    for s in socks:
        s.settimeout(5)
        try:
            s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"list-br","p":"')
            for _ in range(size >> 20):
                s.sendall(chunk)
        except OSError:
            pass
    print("sent", flush=True)
    sys.stdin.readline()           # Hold until the test has measured.
    got = replies(socks, 1.0)
    print("refused-budget %d" % sum(1 for t, c in got
                                    if "unfinished requests" in t),
          flush=True)
elif mode == "big":
    # 20 MiB in one request: refused once past the limit.
    s = connect(path)
    s.settimeout(10)
    sent = 0
    try:
        s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"list-br","p":"')
        for _ in range(20):
            s.sendall(b"x" * (1 << 20))
            sent += 1
    except OSError:
        pass
    got = replies([s], 2.0)[0][0]
    print("sent-mib %d" % sent)
    print("reply %s" % got.strip())
PY

# cpu_pct PID SECONDS: the CPU the process used over SECONDS, in percent.
cpu_pct() {
    local a b hz
    hz=$(getconf CLK_TCK)
    a=$(awk '{print $14 + $15}' "/proc/$1/stat")
    sleep "$2"
    b=$(awk '{print $14 + $15}' "/proc/$1/stat")
    echo $(( (b - a) * 100 / hz / $2 ))
}

rss_mb() {
    awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"
}

# 1. The open-file limit.
(ulimit -n 64 && sys_start_daemon) || fail "flowtierd did not start under ulimit -n 64"
SYS_RUNDIRS+=("$FLOWTIER_RUNDIR")
pid=$(sys_daemon_pid)
ft 0 add-br br0
"$SYS_PY" "$CLIENTS" fds "$SOCK" 200 8 >"$SYS_T/fds.out" 2>&1 &
cl=$!
sleep 1.5
for i in 1 2 3; do
    timeout 5 "$FT" list-br >"$SYS_T/lb.out" 2>&1 \
        || fail "list-br #$i not answered with 200 clients and 64 fds: $(cat "$SYS_T/lb.out")"
    grep -qx br0 "$SYS_T/lb.out" || fail "list-br printed: $(cat "$SYS_T/lb.out")"
    pass
done
cpu=$(cpu_pct "$pid" 2)
echo "200 clients, ulimit -n 64: daemon CPU $cpu%"
[ "$cpu" -lt 20 ] || fail "the daemon used $cpu% of a CPU with 200 clients and 64 fds"
pass
wait "$cl"
cat "$SYS_T/fds.out"
n_inc=$(awk '/^incomplete-closed/ {print $2}' "$SYS_T/fds.out")
[ "${n_inc:-0}" -ge 1 ] || fail "no unfinished request was closed with a reason: $(cat "$SYS_T/fds.out")"
pass
ft 0 list-br
kill "$pid"
sleep 0.5

# 2. The memory budget.
sys_start_daemon
pid=$(sys_daemon_pid)
base=$(rss_mb "$pid")
coproc MEM { "$SYS_PY" "$CLIENTS" mem "$SOCK" 24 $((6 << 20)) 2>&1; }
read -r -t 60 line <&"${MEM[0]}" || fail "the memory clients did not finish sending"
[ "$line" = sent ] || fail "memory clients: $line"
sleep 0.5
rss=$(rss_mb "$pid")
echo "24 clients x 6 MiB unfinished: daemon RSS $base MB -> $rss MB"
timeout 5 "$FT" list-br >/dev/null || fail "list-br not answered with 24 x 6 MiB unfinished"
pass
echo >&"${MEM[1]}"
read -r -t 10 line <&"${MEM[0]}"
echo "$line"
[ "$rss" -lt 120 ] || fail "daemon RSS $rss MB with 24 x 6 MiB unfinished requests (bound 120 MB)"
pass
[ "${line#refused-budget }" -ge 1 ] 2>/dev/null \
    || fail "no client over the budget was told why: $line"
pass

# 3. Over the size limit.
"$SYS_PY" "$CLIENTS" big "$SOCK" >"$SYS_T/big.out" 2>&1
cat "$SYS_T/big.out"
grep -q "message longer than" "$SYS_T/big.out" \
    || fail "a 20 MiB request got no reason: $(cat "$SYS_T/big.out")"
pass
sent=$(awk '/^sent-mib/ {print $2}' "$SYS_T/big.out")
[ "$sent" -lt 20 ] || fail "the daemon read all 20 MiB of an oversized request"
pass
ft 0 list-br
sys_done
