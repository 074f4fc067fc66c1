#!/bin/bash
# Memory check of flowtierd over a whole life: add-br, add-port (veths and
# a tap), add-flow, pings switched between two network namespaces, the
# read commands, a refused add-port, a port whose device is deleted under
# the daemon, del-port, del-br and SIGTERM.  The daemon runs under
# valgrind (no leak, no invalid access: valgrind's exit status), or, when
# it is built with AddressSanitizer, natively with ASan's reports
# collected (there must be none).  Fails when neither is available.
# Needs root.
#
# usage: test-memcheck.sh FLOWTIER FLOWTIERD
set -u

FT=$1
FTD=$2

fail() {
    echo "FAIL: $*" >&2
    [ -f "${T:-}/d.log" ] && tail -5 "$T/d.log" >&2
    [ -f "${T:-}/vg.log" ] && grep -A12 -E 'Invalid|lost in' "$T/vg.log" | head -60 >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root"
if ldd "$FTD" | grep -q libasan; then
    mode=asan
elif command -v valgrind >/dev/null; then
    mode=valgrind
else
    echo "FAIL: neither valgrind nor an ASan build (install valgrind)" >&2
    exit 1
fi

T=$(mktemp -d /tmp/ft-memcheck.XXXXXX)
BR=ftm$$
V1=ftm$$a
V2=ftm$$b
TAP=ftm$$t
NS1=ftmns$$a
NS2=ftmns$$b
export FLOWTIER_RUNDIR=$T/run FLOWTIER_DBDIR=$T/db
dpid=

cleanup() {
    [ -n "$dpid" ] && kill -9 "$dpid" 2>/dev/null
    ip netns del "$NS1" 2>/dev/null
    ip netns del "$NS2" 2>/dev/null
    for dev in "$V1" "$V2" "$TAP" "$BR"; do
        ip link del "$dev" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

for n in 1 2; do
    ns=NS$n dev=V$n
    ip netns add "${!ns}" || fail "cannot create namespace"
    ip link add "${!dev}" type veth peer name eth0 netns "${!ns}" \
        || fail "cannot create veth"
    ip -n "${!ns}" addr add "10.78.0.$n/24" dev eth0
    ip -n "${!ns}" link set eth0 up
    ip -n "${!ns}" link set lo up
    ip link set "${!dev}" up
done

mkdir -p "$T/run" "$T/db"
if [ $mode = valgrind ]; then
    valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --error-exitcode=42 --log-file="$T/vg.log" \
        "$FTD" --no-fsync --log-file="$T/d.log" &
else
    ASAN_OPTIONS=log_path=$T/asan:detect_leaks=1 \
        "$FTD" --no-fsync --log-file="$T/d.log" &
fi
dpid=$!
for i in $(seq 300); do
    [ -S "$T/run/flowtierd.sock" ] && break
    sleep 0.1
done
[ -S "$T/run/flowtierd.sock" ] || fail "flowtierd did not start"

ft() {
    "$FT" "$@" >"$T/out" 2>"$T/err" || fail "flowtier $*: $(cat "$T/err")"
}

ft add-br "$BR"
ft add-port "$BR" "$V1"
ft add-port "$BR" "$V2"
ft add-port "$BR" "$TAP" -- set Interface "$TAP" type=tap
ft add-flow "$BR" "priority=10,icmp actions=NORMAL"
ft add-flow "$BR" "table=1,priority=5,ip,nw_dst=10.78.0.9 actions=drop"
ip netns exec "$NS1" ping -c 3 -i 0.2 -W 5 10.78.0.2 >/dev/null \
    || fail "no ping through the switch"
for i in $(seq 50); do
    ft dump-flows "$BR"
    grep -q 'n_packets=[1-9].*priority=10,icmp' "$T/out" && break
    sleep 0.1
done
grep -q 'n_packets=[1-9].*priority=10,icmp' "$T/out" || fail "icmp flow not hit: $(cat "$T/out")"
ft --format json dump-flows "$BR"
ft --format json dump-dp-flows "$BR"
ft dump-dp-flows --explain "$BR" type=user
ft --format json dump-flows --tiers "$BR"
ft offload show
"$FT" dump-dp-flows "$BR" type=nosuch 2>/dev/null && fail "type=nosuch accepted"
ft dump-ports "$BR"
ft show
ft list Interface
ft trace "$BR" "icmp,in_port=$V1,nw_dst=10.78.0.2"
"$FT" add-port "$BR" ftnodev$$ 2>/dev/null && fail "add-port of a missing device"
ip link del "$V2"
sleep 0.5
ft get Interface "$V2" error
grep -q 'No such device' "$T/out" || fail "no error for $V2: $(cat "$T/out")"
ft show
ft del-port "$BR" "$V1"
ft del-br "$BR"
kill -TERM "$dpid"
wait "$dpid"
status=$?
dpid=
[ $status = 0 ] || fail "flowtierd ($mode) exited $status"
if [ $mode = asan ]; then
    ls "$T"/asan.* >/dev/null 2>&1 && fail "ASan: $(cat "$T"/asan.*)"
fi
echo "test-memcheck ($mode): no leak, no invalid access"
