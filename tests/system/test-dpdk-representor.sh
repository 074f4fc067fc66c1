#!/bin/bash
# System test of DPDK representor ports in flowtierd: no driver on this
# machine makes representors, so each one does not open, with DPDK's own
# reason in its error column (the CLI warns); devargs naming several
# representors, or
# with a mistake in their representor syntax, are refused with what to
# do; and a representor row already in the configuration (written on a
# host whose NIC has them: here, by rewriting a journal entry) stays
# configured after a restart, with DPDK's reason in its error column and
# in 'flowtier show'.  And rte_flow serving a VXLAN port.  Needs root.
#
# usage: test-dpdk-representor.sh FLOWTIER FLOWTIERD
set -u

FT=$1
FTD=$2
PY=/usr/bin/python3

n_pass=0
fail() {
    echo "FAIL: $*" >&2
    [ -f "${T:-}/d.log" ] && tail -20 "$T/d.log" >&2
    exit 1
}
pass() {
    n_pass=$((n_pass + 1))
}

[ "$(id -u)" = 0 ] || fail "must run as root"

T=$(mktemp -d /tmp/ft-rep.XXXXXX)
BR=ftr$$
export FLOWTIER_RUNDIR=$T/run FLOWTIER_DBDIR=$T/db

cleanup() {
    [ -f "$T/run/flowtierd.pid" ] && kill -9 "$(cat "$T/run/flowtierd.pid")" 2>/dev/null
    ip link del "$BR" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

start() {
    "$FTD" --detach --log-file="$T/d.log" --no-fsync \
        || fail "flowtierd did not start: $(tail -3 "$T/d.log")"
}
stop() {
    local pid
    pid=$(cat "$T/run/flowtierd.pid")
    kill -TERM "$pid"
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && fail "flowtierd ignored SIGTERM"
}

# ft EXPECTED_STATUS ARGS...: runs flowtier, keeps stdout in $out and
# stderr in $err, checks the exit status.
ft() {
    local want=$1
    shift
    out=$("$FT" "$@" 2>"$T/err")
    local rc=$?
    err=$(cat "$T/err")
    [ "$rc" = "$want" ] || fail "flowtier $* exited $rc, expected $want (stderr: $err)"
    pass
}
expect_err() {
    [ "$(wc -l <<<"$err")" = 1 ] || fail "error must be one line, got: $err"
    grep -qF -- "$1" <<<"$err" || fail "expected '$1' on stderr, got: $err"
    pass
}
rep() {
    ft "$1" add-port "$BR" r1 -- set Interface r1 type=dpdk \
        "options:dpdk-devargs=$2"
}

start
ft 0 add-br "$BR"

# Devices that do not open (in the port's thread: the port stays with
# the reason in its error column, and the CLI warns).
# A PF no DPDK bus finds: DPDK's words.
rep 0 '0000:08:00.0,representor=vf1'
expect_err "flowtier: warning: port r1 is not open: interface r1: cannot attach DPDK device '0000:08:00.0,representor=vf1': No such device: EAL: Cannot find device (0000:08:00.0)"
ft 0 del-port "$BR" r1
# A driver that refuses the argument: DPDK's words.
rep 0 'net_null3,representor=vf1'
expect_err "interface r1: cannot attach DPDK device 'net_null3,representor=vf1': Operation not permitted: EAL: Driver cannot attach the device (net_null3)"
ft 0 del-port "$BR" r1
# A driver that takes it and makes no representors: its name.
rep 0 'net_ring3,representor=pf0vf3'
expect_err "interface r1: DPDK device 'net_ring3,representor=pf0vf3' has no representor port pf0vf3: net_ring created none (it implements no representors, or not this one)"
ft 0 get Interface r1 error
grep -qF "has no representor port pf0vf3" <<<"$out" || fail "error column: $out"
pass
ft 0 del-port "$BR" r1
# Refused at once, changing nothing.  One row, one port.
rep 1 '0000:08:00.0,representor=[0,2]'
expect_err "interface r1: options:dpdk-devargs '0000:08:00.0,representor=[0,2]' names 2 representors, but an interface is one port: give each representor its own Interface row"
rep 1 '0000:08:00.0,representor=pf0vf[3-1]'
expect_err "interface r1: options:dpdk-devargs: representor=pf0vf[3-1]: the range 3-1 goes down"
# Nothing changed, and the device left behind nothing: it opens plainly.
ft 0 list-ports "$BR"
[ -z "$out" ] || fail "a refused port is configured: $out"
rep 0 'net_null3'
ft 0 get Interface r1 error
[ "$out" = "[]" ] || fail "r1 has an error: $out"

# A VXLAN port: rte_flow serves it through its underlay (VXLAN_DECAP of
# its megaflows on the DPDK port the route to the remote leaves through).
ft 0 set Bridge "$BR" other_config:hw-offload=true
ft 0 add-port "$BR" vx0 -- set Interface vx0 type=vxlan \
    options:remote_ip=172.31.250.2 options:key=100
ft 0 offload show "$BR"
sed -n '/ vx0 (type vxlan)$/,/^    flows:/p' <<<"$out" \
    | grep -q '^    rte_flow (hw tier): serves it$' || fail "offload show: $out"
pass
ft 0 del-port "$BR" vx0

# A configuration with a representor the NIC here does not have.
stop
"$PY" - "$T/db/flowtier.db" <<'PYEOF' || fail "cannot rewrite the journal"
import sys, zlib
path = sys.argv[1]
head = '{"crc":"'
lines = []
for line in open(path):
    line = line.rstrip("\n")
    payload = line[len(head) + 8 + len('","txn":'):-1]
    if '"net_null3"' in payload:
        payload = payload.replace('"net_null3"', '"0000:08:00.0,representor=vf1"')
        line = '%s%08x","txn":%s}' % (head, zlib.crc32(payload.encode()), payload)
    lines.append(line)
open(path, "w").write("\n".join(lines) + "\n")
PYEOF
start
ft 0 get Interface r1 options:dpdk-devargs
[ "$out" = '"0000:08:00.0,representor=vf1"' ] || fail "devargs: $out"
# The daemon opens DPDK ports in the background: "opening" until DPDK
# has answered.
for i in $(seq 200); do
    ft 0 get Interface r1 error
    grep -q '^"opening: ' <<<"$out" || break
    sleep 0.05
done
grep -qF "interface r1: cannot attach DPDK device '0000:08:00.0,representor=vf1': No such device: EAL: Cannot find device (0000:08:00.0)" <<<"$out" \
    || fail "r1's error column: $out"
pass
ft 0 show
grep -qF "error: \"interface r1: cannot attach DPDK device '0000:08:00.0,representor=vf1'" <<<"$out" \
    || fail "show: $out"
pass
ft 0 dump-ports "$BR"
grep -q '^OFPST_PORT reply: 1 ports$' <<<"$out" || fail "dump-ports: $out"
pass
stop

echo "test-dpdk-representor: $n_pass checks passed"
