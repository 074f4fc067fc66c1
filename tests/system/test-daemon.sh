#!/bin/bash
# System test of flowtierd and the 'flowtier' commands it serves: every
# command and its error paths with their outputs checked, malformed input
# on the socket, kill -9 and restart (bridges, ports and flows survive; a
# failed command left nothing behind), an interface whose device is
# missing at start or deleted while the daemon runs (kept with its error,
# closed and opened again within a second as its device goes, comes back,
# is replaced or renamed, forwarding again), two daemons side by side, and a
# clean SIGTERM shutdown.  Needs root (tap and veth devices).
#
# usage: test-daemon.sh FLOWTIER FLOWTIERD
set -u

FT=$1
FTD=$2
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

n_pass=0
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pass() {
    n_pass=$((n_pass + 1))
}

[ "$(id -u)" = 0 ] || fail "must run as root (creates tap devices)"
[ -e /dev/net/tun ] || fail "/dev/net/tun is missing: tap ports cannot be created"
command -v "$PY" >/dev/null || fail "python3 is needed for the raw socket client"

T=$(mktemp -d /tmp/ft-daemon.XXXXXX)
A_RUN=$T/a/run A_DB=$T/a/db B_RUN=$T/b/run B_DB=$T/b/db
# Device names are global: make them unique to this run.
BR=ftb$$
P1=ftp$$a
P2=ftp$$b
BR2=ftc$$
VE=ftv$$
VO=ftw$$

cleanup() {
    for f in "$A_RUN/flowtierd.pid" "$B_RUN/flowtierd.pid"; do
        [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
    done
    for dev in "$P1" "$P2" "$BR" "$BR2" "$VE" "${VE}r" "$VO"; do
        ip link del "$dev" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

export FLOWTIER_RUNDIR=$A_RUN FLOWTIER_DBDIR=$A_DB

start_a() {
    "$FTD" --detach --log-file="$T/a.log" --no-fsync \
        || fail "flowtierd did not start: $(tail -3 "$T/a.log")"
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

expect_out() {
    grep -qE -- "$1" <<<"$out" || fail "expected /$1/ in output of the last command, got:
$out"
    pass
}

expect_no_out() {
    ! grep -qE -- "$1" <<<"$out" || fail "did not expect /$1/ in:
$out"
    pass
}

expect_err() {
    [ "$(wc -l <<<"$err")" = 1 ] || fail "error must be one line, got: $err"
    grep -qE -- "^flowtier: .*$1" <<<"$err" || fail "expected 'flowtier: ...$1' on stderr, got: $err"
    pass
}

# ---- Help and usage.
ft 0 --help; expect_out '^  add-port '
ft 0 add-port --help; expect_out '^usage: flowtier add-port'
ft 2 add-br; expect_out '^$'
ft 2 frobnicate
ft 2 add-br --bogus-option x
"$FTD" --help | grep -q -- '--socket-group' || fail "flowtierd --help"
pass

# ---- No daemon yet: a clear error.
ft 1 add-br "$BR"; expect_err 'is flowtierd running\?'

# ---- Start, files and modes.
start_a
[ -S "$A_RUN/flowtierd.sock" ] || fail "no socket after --detach returned"
[ "$(stat -c %a "$A_RUN/flowtierd.sock")" = 660 ] || fail "socket mode"
[ "$(stat -c %a "$A_RUN")" = 750 ] || fail "rundir mode"
kill -0 "$(cat "$A_RUN/flowtierd.pid")" || fail "pidfile does not name a live process"
pass
msg=$("$FTD" --no-fsync 2>&1) && fail "a second instance started on the same rundir"
grep -q "already running as pid $(cat "$A_RUN/flowtierd.pid")" <<<"$msg" \
    || fail "second instance message: $msg"
pass

# ---- Bridges.
ft 0 add-br "$BR"; expect_out '^$'
ft 0 list-br; [ "$out" = "$BR" ] || fail "list-br: $out"
ft 1 add-br "$BR"; expect_err 'already exists'
ft 0 --may-exist add-br "$BR"
ft 0 dump-flows "$BR"
[ "$(wc -l <<<"$out")" = 1 ] || fail "a new bridge has one flow: $out"
expect_out '^ cookie=0x0, duration=[0-9.]+s, table=0, n_packets=[0-9]+, n_bytes=[0-9]+, idle_age=[0-9]+, priority=0 actions=NORMAL$'
ip link show "$BR" >/dev/null 2>&1 || fail "bridge $BR has no internal device"
pass
ft 1 del-br nosuchbr; expect_err 'no bridge named'
ft 0 del-br --if-exists nosuchbr

# ---- Ports, with '--' chaining.
ft 0 add-port "$BR" "$P1" -- set Interface "$P1" type=tap
ip link show "$P1" >/dev/null 2>&1 || fail "tap $P1 was not created"
pass
ft 0 list-ports "$BR"; [ "$out" = "$P1" ] || fail "list-ports: $out"
ft 0 show
expect_out "^    Bridge $BR\$"
expect_out "^        Port $P1\$"
expect_out "^            Interface $P1\$"
expect_out '^                type: tap$'
expect_out '^                type: internal$'
ft 0 get Interface "$P1" ofport; [ "$out" = 1 ] || fail "ofport of $P1: $out"

# A missing device: nothing changes.
ft 1 add-port "$BR" ftnodev$$; expect_err 'no such network device'
ft 0 list-ports "$BR"; [ "$out" = "$P1" ] || fail "failed add-port left: $out"
ft 1 get Interface ftnodev$$ type
# A bad column in a chain: the port before it is not added either.
ft 1 add-port "$BR" "$P2" -- set Interface "$P2" type=tap bogus=1
expect_err 'bogus'
ft 0 list-ports "$BR"; [ "$out" = "$P1" ] || fail "failed chain left: $out"
ip link show "$P2" >/dev/null 2>&1 && fail "failed chain left device $P2"
pass
ft 2 add-port "$BR" "$P2" -- list-br
ft 1 del-port "$BR" "$BR"; expect_err 'local port'
ft 1 del-port "$BR" nosuchport; expect_err 'no port named'

# ---- set / get / clear / add / remove / list.
ft 0 set Port "$P1" tag=10
ft 0 get Port "$P1" tag; [ "$out" = 10 ] || fail "tag: $out"
ft 1 set Port "$P1" tag=5000; expect_err '5000'
ft 0 get Port "$P1" tag; [ "$out" = 10 ] || fail "bad set changed tag: $out"
ft 1 set Port "$P1" nosuchcol=1; expect_err 'nosuchcol'
ft 1 set Foo "$P1" tag=1; expect_err 'Foo'
ft 1 set Port nosuchport tag=1
ft 0 add Port "$P1" trunks 20 30
ft 0 get Port "$P1" trunks; [ "$out" = "[20, 30]" ] || fail "trunks: $out"
ft 0 remove Port "$P1" trunks 20
ft 0 get Port "$P1" trunks; [ "$out" = "[30]" ] || fail "trunks: $out"
ft 0 clear Port "$P1" trunks tag
ft 0 get Port "$P1" trunks; [ "$out" = "[]" ] || fail "trunks: $out"
ft 0 set Port "$P1" tag=10
ft 0 set Bridge "$BR" external-ids:owner=test other_config:max-idle=5000
ft 0 get Bridge "$BR" external_ids:owner; [ "$out" = test ] || fail "ext id: $out"
ft 0 list Port "$P1"
expect_out '^name +: '"$P1"'$'
expect_out '^tag +: 10$'
ft 0 show; expect_out '^            tag: 10$'

# ---- JSON output.
ft 0 --format json list-br
$PY -c 'import json,sys; d=json.load(sys.stdin); assert d == [sys.argv[1]], d' "$BR" <<<"$out" \
    || fail "list-br json: $out"
pass
ft 0 show --format=json
$PY -c '
import json, sys
d = json.load(sys.stdin)
br = d["bridges"][0]
assert br["name"] == sys.argv[1]
ports = {p["name"]: p for p in br["ports"]}
assert ports[sys.argv[2]]["tag"] == 10
assert ports[sys.argv[2]]["interfaces"][0]["type"] == "tap"
assert ports[sys.argv[2]]["interfaces"][0]["ofport"] == 1
' "$BR" "$P1" <<<"$out" || fail "show json: $out"
pass
for cmd in "list Bridge" "get Port $P1 tag" "list-ports $BR" "dump-flows $BR" \
           "dump-dp-flows $BR" "dump-ports $BR"; do
    ft 0 --format json $cmd
    $PY -c 'import json,sys; json.load(sys.stdin)' <<<"$out" \
        || fail "$cmd --format json is not JSON: $out"
    pass
done
# Times are milliseconds in seconds, printed as such ("0.43", never
# "0.42999999999999999").
sleep 0.2
for cmd in "dump-flows $BR" "dump-dp-flows $BR"; do
    ft 0 --format json $cmd
    ! grep -qE '[0-9]\.[0-9]{4,}' <<<"$out" || fail "$cmd: long fractions: $out"
    pass
done
grep -qE '"duration": [0-9]+\.[0-9]{1,3},?$' <<<"$("$FT" --format json dump-flows "$BR")" \
    || fail "dump-flows --format json has no duration in seconds"
pass

# ---- Flows.
ft 0 add-flow "$BR" "priority=100,icmp,in_port=$P1 actions=drop"
ft 0 dump-flows "$BR"
expect_out "^ cookie=0x0, duration=[0-9.]+s, table=0, n_packets=0, n_bytes=0, idle_age=[0-9]+, priority=100,icmp,in_port=$P1 actions=drop\$"
[ "$(wc -l <<<"$out")" = 2 ] || fail "two flows expected: $out"
ft 1 add-flow "$BR" "priority=100,icmp,nw_src=10.0.0.300 actions=drop"
expect_err "10.0.0.300"
ft 1 add-flow "$BR" "in_port=ftnoport actions=drop"; expect_err 'ftnoport'
ft 1 add-flow nosuchbr "actions=drop"; expect_err 'no bridge named'
ft 0 add-flow "$BR" "table=1,cookie=0x5,idle_timeout=300,priority=7,ip,nw_dst=10.0.0.1 actions=output:$P1"
ft 0 dump-flows "$BR" "table=1"
expect_out "^ cookie=0x5, duration=[0-9.]+s, table=1, n_packets=0, n_bytes=0, idle_timeout=300, idle_age=[0-9]+, priority=7,ip,nw_dst=10.0.0.1 actions=output:$P1\$"
ft 0 mod-flows "$BR" "table=1,ip actions=drop"
ft 0 dump-flows "$BR" "table=1"; expect_out 'priority=7,ip,nw_dst=10.0.0.1 actions=drop$'
ft 0 mod-flows --strict "$BR" "table=1,priority=7,ip,nw_dst=10.0.0.1 actions=NORMAL"
ft 0 dump-flows "$BR" "table=1"; expect_out 'actions=NORMAL$'
ft 0 del-flows --strict "$BR" "table=1,priority=8,ip,nw_dst=10.0.0.1"
ft 0 dump-flows "$BR" "table=1"; expect_out 'priority=7'
ft 0 del-flows "$BR" "table=1"
ft 0 dump-flows "$BR" "table=1"; [ -z "$out" ] || fail "del-flows table=1 left: $out"

# add-flows: all or nothing, errors as FILE:LINE.
cat >"$T/bad.flows" <<FLOWS
# comment
table=2,priority=1,ip actions=drop

table=2,priority=2,tcp,tp_dst=99999 actions=drop
FLOWS
ft 1 add-flows "$BR" "$T/bad.flows"; expect_err "bad.flows:4: "
ft 0 dump-flows "$BR" "table=2"; [ -z "$out" ] || fail "failed add-flows left: $out"
cat >"$T/good.flows" <<FLOWS
table=2,priority=1,ip actions=drop
table=2,priority=2,tcp,tp_dst=22 actions=drop
table=2,priority=3,udp actions=output:$P1
FLOWS
ft 0 add-flows "$BR" "$T/good.flows"
ft 0 dump-flows "$BR" "table=2"; [ "$(wc -l <<<"$out")" = 3 ] || fail "add-flows: $out"
ft 1 add-flows "$BR" "$T/nosuchfile"; expect_err 'nosuchfile'

# replace-flows keeps unchanged rules (their age shows it).
sleep 1.2
cat >"$T/replace.flows" <<FLOWS
priority=0 actions=NORMAL
priority=100,icmp,in_port=$P1 actions=drop
table=2,priority=2,tcp,tp_dst=22 actions=drop
table=3,priority=5,arp actions=drop
FLOWS
ft 0 replace-flows "$BR" "$T/replace.flows"
ft 0 dump-flows "$BR"
[ "$(wc -l <<<"$out")" = 4 ] || fail "replace-flows: $out"
# The kept rule is older than the new one by the 1.2 s slept at least
# (compared in one dump: each command may take long on a loaded machine).
kept=$(grep -E 'table=2, .*tp_dst=22 actions=drop$' <<<"$out" \
       | sed -E 's/.*duration=([0-9.]+)s.*/\1/')
new=$(grep -E 'table=3, .*priority=5,arp actions=drop$' <<<"$out" \
      | sed -E 's/.*duration=([0-9.]+)s.*/\1/')
awk -v k="$kept" -v n="$new" 'BEGIN { exit !(k != "" && n != "" && k - n >= 1.15) }' \
    || fail "replace-flows did not keep the unchanged rule's age: $out"
pass
expect_no_out 'udp'

# Live trace: same form as the offline one.
ft 0 trace "$BR" "icmp,in_port=$P1"
expect_out '^bridge\("'"$BR"'"\)$'
expect_out '^Datapath actions: drop$'
ft 1 trace "$BR" "icmp,in_port=ftnoport"; expect_err 'ftnoport'
ft 2 trace "$BR"

ft 0 dump-ports "$BR"
expect_out '^OFPST_PORT reply: 2 ports$'
expect_out '^  port  1: rx pkts=[0-9]+, bytes=[0-9]+, drop=[0-9]+, errs=[0-9]+'
expect_out '^           tx pkts=[0-9]+, bytes=[0-9]+, drop=[0-9]+, errs=[0-9]+'
expect_out '^  port LOCAL: rx pkts='
ft 0 dump-ports "$BR" "$P1"; expect_out '^OFPST_PORT reply: 1 ports$'
ft 1 dump-ports "$BR" ftnoport
ft 0 dump-dp-flows "$BR"

# ---- Bad input on the socket.
$PY - "$A_RUN/flowtierd.sock" <<'PYEOF' || fail "raw socket checks"
import json, socket, sys
path = sys.argv[1]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(10)
    return s, s.makefile("rb")

def reply(f):
    line = f.readline()
    assert line, "connection closed without a reply"
    return json.loads(line)

s, f = conn()
s.sendall(b"{this is not json\n")
r = reply(f); assert r["error"]["code"] == -32700, r
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"no-such-method"}\n')
r = reply(f); assert r["error"]["code"] == -32601, r
s.sendall(b'{"jsonrpc":"2.0","id":2,"method":"add-br","params":{"bridge":5}}\n')
r = reply(f); assert r["error"]["code"] == -32602, r
s.sendall(b'{"jsonrpc":"2.0","id":3,"method":"add-flow","params":["x"]}\n')
r = reply(f); assert r["error"]["code"] == -32602, r
s.sendall(b'{"jsonrpc":"2.0","id":4,"method":"set","params":{"table":"Port","record":"x","args":[1]}}\n')
r = reply(f); assert r["error"]["code"] == -32602, r
s.sendall(b'{"jsonrpc":"2.0","id":5,"method":"transact","params":{"commands":[{"method":"show","params":{}}]}}\n')
r = reply(f); assert r["error"]["code"] == -32602, r
s.sendall(b'{"jsonrpc":"2.0","id":6,"method":"list-br"}\n')
r = reply(f); assert r["id"] == 6 and "result" in r, r
s.close()

# A truncated message, then the client goes away.
s, f = conn()
s.sendall(b'{"jsonrpc":"2.0","id":1,"meth')
s.shutdown(socket.SHUT_WR)
r = reply(f); assert r["error"]["code"] == -32700 and "truncated" in r["error"]["message"], r
s.close()

# A client that leaves in the middle of a request.
for i in range(20):
    s, f = conn()
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"show"}\n{"jsonrpc":')
    s.close()

# A 10 MB line: an error (or a reset), never a dead daemon.
s, f = conn()
try:
    s.sendall(b"[" + b"1," * (5 * 1024 * 1024))
    r = reply(f)
    assert r["error"]["code"] == -32001, r
except (BrokenPipeError, ConnectionResetError, AssertionError) as e:
    if isinstance(e, AssertionError) and "closed" not in str(e):
        raise
s.close()

s, f = conn()
s.sendall(b'{"jsonrpc":"2.0","id":9,"method":"list-br"}\n')
r = reply(f); assert r["id"] == 9 and "result" in r, r
PYEOF
pass
ft 0 list-br; [ "$out" = "$BR" ] || fail "daemon after bad input: $out"
kill -0 "$(cat "$A_RUN/flowtierd.pid")" || fail "daemon died on bad input"
pass

# ---- kill -9, restart: everything committed survives, nothing else.
ft 0 dump-flows "$BR"
flows_before=$(sed -E 's/duration=[0-9.]+s, //; s/idle_age=[0-9]+, //; s/n_packets=[0-9]+, n_bytes=[0-9]+, //' <<<"$out" | sort)
ft 0 show; show_before=$out
pid=$(cat "$A_RUN/flowtierd.pid")
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
# The database can be read while the daemon is down.
ft 0 list-ports "$BR"; [ "$out" = "$P1" ] || fail "offline list-ports: $out"
start_a
ft 0 show; [ "$out" = "$show_before" ] || fail "show after restart:
$out
before:
$show_before"
ft 0 dump-flows "$BR"
flows_after=$(sed -E 's/duration=[0-9.]+s, //; s/idle_age=[0-9]+, //; s/n_packets=[0-9]+, n_bytes=[0-9]+, //' <<<"$out" | sort)
[ "$flows_after" = "$flows_before" ] || fail "flows after restart:
$flows_after
before:
$flows_before"
pass
ip link show "$P1" >/dev/null 2>&1 || fail "tap $P1 not recreated after restart"
ft 1 get Interface ftnodev$$ type
ft 0 get Port "$P1" tag; [ "$out" = 10 ] || fail "tag after restart: $out"
grep -q "bridge $BR: started with 2 ports and 4 flows" "$T/a.log" \
    || fail "restart log: $(cat "$T/a.log")"
pass

# flows_persist=false: flows leave the database.
ft 0 set Bridge "$BR" flows_persist=false
ft 0 get Bridge "$BR" flows; [ "$out" = "[]" ] || fail "flows kept: $out"
ft 0 set Bridge "$BR" flows_persist=true
ft 0 get Bridge "$BR" flows; expect_out 'tp_dst=22'

# A tap this instance creates (the one from before the kill -9 was kept by
# the kernel as a persistent device and is adopted, not owned).
ft 0 add-port "$BR" "$P2" -- set Interface "$P2" type=tap
ft 0 list-ports "$BR"; [ "$out" = "$P1
$P2" ] || fail "list-ports: $out"

# ---- An interface whose device is missing when the daemon starts.
veth_add() {
    ip link add "$VE" type veth peer name "${VE}p" && ip link set "$VE" up \
        && ip link set "${VE}p" up || fail "cannot create veth $VE"
}
# wait_error VALUE: waits up to 1 s for the Interface error of $VE to be
# VALUE (a device notification's time, not the 5 s periodic check's).
wait_error() {
    local i
    for i in $(seq 20); do
        out=$("$FT" get Interface "$VE" error 2>/dev/null)
        [ "$out" = "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
# forwards: a frame of ethertype 0x88b5 sent into ${VE}p comes out of
# ${VO}p (retried for 3 s: the first goes up to the daemon).
forwards() {
    "$PY" - "${VE}p" "${VO}p" <<'PYEOF'
import os, socket, sys, time
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.bind((sys.argv[1], 0))
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
rx.bind((sys.argv[2], 0))
rx.settimeout(0.2)
tag = os.urandom(8)
frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + tag + bytes(46)
end = time.time() + 3
while time.time() < end:
    tx.send(frame)
    try:
        while True:
            if tag in rx.recv(2048):
                sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PYEOF
}
# daemon_bound IFINDEX: the daemon holds a packet socket bound to device
# IFINDEX (/proc/net/packet's Iface, matched to its descriptors).
daemon_bound() {
    local pid
    read -r pid <"$A_RUN/flowtierd.pid"
    find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null \
        | awk -v i="$1" 'FILENAME == "-" { mine[$0] = 1; next }
                         FNR > 1 && $5 == i && ("socket:[" $9 "]" in mine) {
                             found = 1 }
                         END { exit !found }' - /proc/net/packet
}
# wait_reopened: waits for $VE to be open, without an error, on its
# device of now: 20 looks 50 ms apart, as wait_error (a notification's
# time, not the 5 s periodic check's).
wait_reopened() {
    local i idx
    read -r idx <"/sys/class/net/$VE/ifindex" || return 1
    for i in $(seq 20); do
        out=$("$FT" get Interface "$VE" error 2>/dev/null)
        [ "$out" = "[]" ] && daemon_bound "$idx" && return 0
        sleep 0.05
    done
    out="error $out, bound to ifindex $idx: $(daemon_bound "$idx" && echo yes || echo no)"
    return 1
}
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$(cat "$A_RUN/flowtierd.pid")/stat"
}
veth_add
ft 0 add-port "$BR" "$VE"
ft 0 add-flow "$BR" "priority=50,in_port=$VE actions=drop"
ft 0 get Interface "$VE" error; [ "$out" = "[]" ] || fail "error of an open interface: $out"
ft 0 get Interface "$VE" ofport; ve_port=$out
pid=$(cat "$A_RUN/flowtierd.pid")
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
ip link del "$VE"
start_a
grep -q "bridge $BR: port $VE: could not open network device $VE (No such device)" "$T/a.log" \
    || fail "no log of the missing device: $(tail -5 "$T/a.log")"
pass
ve_error="\"could not open network device $VE (No such device)\""
ft 0 show
grep -A3 "^            Interface $VE\$" <<<"$out" | grep -qx "                error: $ve_error" \
    || fail "show without the interface's error: $out"
pass
ft 0 get Interface "$VE" error; [ "$out" = "$ve_error" ] || fail "get error: $out"
ft 0 get Interface "$VE" ofport error; [ "$out" = "$ve_port
$ve_error" ] || fail "get ofport error: $out"
ft 0 list Interface "$VE"
grep -qxF "error               : $ve_error" <<<"$out" || fail "list: $out"
ft 0 list Interface
grep -qxF "error               : $ve_error" <<<"$out" || fail "list all: $out"
[ "$(grep -c '^error ' <<<"$out")" = 4 ] || fail "list Interface: $out"
[ "$(grep -c '^error  *: \[\]$' <<<"$out")" = 3 ] || fail "list Interface: $out"
pass
ft 0 --format json list Interface "$VE"
$PY -c '
import json, sys
d = json.load(sys.stdin)
row = d["data"][0]
assert row[d["headings"].index("error")] == "could not open network device %s (No such device)" % sys.argv[1], d
' "$VE" <<<"$out" || fail "list --format json: $out"
pass
ft 0 --format json show
$PY -c '
import json, sys
d = json.load(sys.stdin)
ifs = {i["name"]: i for p in d["bridges"][0]["ports"] for i in p["interfaces"]}
assert "No such device" in ifs[sys.argv[1]]["error"], ifs
assert "error" not in ifs[sys.argv[2]], ifs
' "$VE" "$P1" <<<"$out" || fail "show --format json: $out"
pass
# The bridge runs with its other ports; the flow naming the interface stays.
ft 0 dump-ports "$BR"; expect_out '^OFPST_PORT reply: 3 ports$'
expect_no_out "^  port +$ve_port:"
ft 1 dump-ports "$BR" "$VE"; expect_err "port $VE is not open: could not open network device"
ft 0 dump-flows "$BR"; expect_out "priority=50,in_port=$VE actions=drop\$"
ft 1 set Interface "$VE" error=none; expect_err 'read-only'
# A command still refuses a device that does not exist, changing nothing.
ft 1 add-port "$BR" ftnodev$$; expect_err 'no such network device'
ft 0 list-ports "$BR"; [ "$out" = "$P1
$P2
$VE" ] || fail "list-ports after a refused add-port: $out"
ft 1 get Interface ftnodev$$ type
# The device is back: a configuration change tries again at once.
veth_add
ft 0 set Bridge "$BR" external-ids:retry=1
ft 0 get Interface "$VE" error; [ "$out" = "[]" ] || fail "error after retry: $out"
ft 0 dump-ports "$BR" "$VE"
grep -q "bridge $BR: port $VE: opened as port $ve_port" "$T/a.log" \
    || fail "no log of the device coming up: $(tail -5 "$T/a.log")"
pass
# Deleted under the running daemon: closed with its error at once (the
# kernel's device notification), no crash, no busy loop.
ip link add "$VO" type veth peer name "${VO}p" && ip link set "$VO" up \
    && ip link set "${VO}p" up || fail "cannot create veth $VO"
ft 0 add-port "$BR" "$VO"
ft 0 add-flow "$BR" "priority=100,in_port=$VE,dl_type=0x88b5 actions=output:$VO"
forwards || fail "$VE does not forward to $VO"
pass
ip link del "$VE"
wait_error "$ve_error" || fail "error after delete: $out"
kill -0 "$(cat "$A_RUN/flowtierd.pid")" || fail "daemon died when $VE went"
t0=$(cpu_ticks)
sleep 1
t1=$(cpu_ticks)
[ $(( (t1 - t0) * 100 / $(getconf CLK_TCK) )) -lt 25 ] \
    || fail "daemon busy after $VE went: $((t1 - t0)) ticks in 1 s"
pass
ft 0 dump-ports "$BR"; expect_out '^OFPST_PORT reply: 4 ports$'
# Back again, a new device of the same name (another ifindex): opened
# within a second, without a command (the periodic check alone takes up
# to 5 s), and it forwards.
veth_add
wait_error '[]' || fail "not opened again at once: $out"
forwards || fail "$VE does not forward after it came back"
pass
# Deleted and made again at once, twenty times: each time opened on the
# new device within a second through the notifications alone (the 5 s
# check is too slow), with no error shown.  The old device's last
# notification may be read once it is gone: the open it starts fails,
# and must not hold off the new device's.  Then it forwards.
daemon_bound "$(cat "/sys/class/net/$VE/ifindex")" \
    || fail "no packet socket of the daemon on $VE"
for cycle in $(seq 20); do
    read -r old_idx <"/sys/class/net/$VE/ifindex"
    printf '%s\n' "link del $VE" "link add $VE type veth peer name ${VE}p" \
        "link set $VE up" "link set ${VE}p up" | ip -batch - \
        || fail "cycle $cycle: cannot make $VE again"
    read -r idx <"/sys/class/net/$VE/ifindex"
    [ "$idx" != "$old_idx" ] || fail "cycle $cycle: the new $VE has the old ifindex"
    wait_reopened || fail "cycle $cycle: not open on the new $VE: $out"
done
pass
ft 0 get Interface "$VE" ofport error; [ "$out" = "$ve_port
[]" ] || fail "after the cycles: $out"
ft 0 show; grep -A3 "^            Interface $VE\$" <<<"$out" | grep -q error \
    && fail "show prints an error for $VE: $out"
forwards || fail "$VE does not forward on its new device"
pass
# Renamed away and back: closed, then opened, each within a second.
ip link set "$VE" down && ip link set "$VE" name "${VE}r" \
    || fail "cannot rename $VE"
wait_error "$ve_error" || fail "open after its device was renamed: $out"
ip link set "${VE}r" name "$VE" && ip link set "$VE" up \
    || fail "cannot rename ${VE}r back"
wait_error '[]' || fail "not opened after the rename back: $out"
forwards || fail "$VE does not forward after the rename back"
pass
ft 0 del-port "$BR" "$VO"
ft 0 del-port "$BR" "$VE"
ft 0 remove Bridge "$BR" external-ids retry
ip link del "$VE"
ip link del "$VO"

# ---- A second daemon beside the first.
FLOWTIER_RUNDIR=$B_RUN FLOWTIER_DBDIR=$B_DB "$FTD" --detach --no-fsync \
    --log-file="$T/b.log" || fail "second daemon did not start"
pass
ft 0 --rundir "$B_RUN" add-br "$BR2"
ft 0 --rundir="$B_RUN" list-br; [ "$out" = "$BR2" ] || fail "b list-br: $out"
ft 0 list-br; [ "$out" = "$BR" ] || fail "a list-br: $out"
ft 0 --rundir "$B_RUN" del-br "$BR2"
ip link show "$BR2" >/dev/null 2>&1 && fail "del-br left device $BR2"
pass
ft 0 --rundir "$B_RUN" list-br; [ -z "$out" ] || fail "b after del-br: $out"

# ---- SIGTERM: clean shutdown.
for run in "$A_RUN" "$B_RUN"; do
    pid=$(cat "$run/flowtierd.pid")
    kill -TERM "$pid"
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null && fail "flowtierd ignored SIGTERM"
    [ -e "$run/flowtierd.sock" ] && fail "socket left behind"
    [ -e "$run/flowtierd.pid" ] && fail "pidfile left behind"
    pass
done
ip link show "$P2" >/dev/null 2>&1 && fail "tap $P2 left behind"
ip link show "$BR" >/dev/null 2>&1 && fail "internal port $BR left behind"
grep -q 'exiting' "$T/a.log" || fail "no shutdown message in the log"
pass

echo "test-daemon: $n_pass checks passed"
