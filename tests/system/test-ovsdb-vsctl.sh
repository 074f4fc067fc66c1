#!/bin/bash
# System test: Debian's real ovs-vsctl configures FlowTier through its OVSDB
# endpoint ($FLOWTIER_RUNDIR/db.sock), and every answer matches the one
# Open vSwitch 3.1's own ovsdb-server gives to the same command after the
# same changes (UUIDs, row order, and the port numbers and Interface
# status columns a bare ovsdb-server leaves empty are masked by
# ovsdb-norm.py).  FlowTier's side runs
# without --no-wait and with --timeout=5: ovs-vsctl waits there for
# cur_cfg to reach next_cfg, so a hang fails the test.  Then packets
# cross the bridge through ports ovs-vsctl added, changes FlowTier cannot
# make are refused by name with nothing applied, the Interface status
# columns (statistics, ifindex, link_state, ...) follow the running
# switch, and the CLI's changes reach OVSDB clients.
#
# usage: test-ovsdb-vsctl.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need ovs-vsctl ovsdb-server ovsdb-tool
NORM="$SYS_PY $(dirname "$SYS_SELF")/ovsdb-norm.py"
SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
[ -f "$SCHEMA" ] || fail "$SCHEMA is missing (package openvswitch-common)"
sys_start_daemon
[ -S "$FLOWTIER_RUNDIR/db.sock" ] || fail "flowtierd serves no $FLOWTIER_RUNDIR/db.sock"

# The reference: a private ovsdb-server with a fresh database.
REF=$SYS_T/ref
mkdir -p "$REF"
ovsdb-tool create "$REF/conf.db" "$SCHEMA" || fail "ovsdb-tool create failed"
sys_bg ovsdb-server -vconsole:off --remote="punix:$REF/db.sock" --unixctl="$REF/ctl" \
    --no-chdir --log-file="$REF/log" "$REF/conf.db"
for i in $(seq 100); do [ -S "$REF/db.sock" ] && break; sleep 0.05; done
[ -S "$REF/db.sock" ] || fail "reference ovsdb-server did not start"
ovs-vsctl --db="unix:$REF/db.sock" --no-wait init || fail "ovs-vsctl init"

FTV=(ovs-vsctl --db="unix:$FLOWTIER_RUNDIR/db.sock" --timeout=5)
REFV=(ovs-vsctl --db="unix:$REF/db.sock" --timeout=5 --no-wait)

# vs WANT ARG...: runs ovs-vsctl ARG... against FlowTier; checks its exit
# status; leaves stdout in $out and stderr in $err.
vs() {
    local want=$1 rc
    shift
    out=$("${FTV[@]}" "$@" 2>"$SYS_T/err")
    rc=$?
    err=$(cat "$SYS_T/err")
    [ "$rc" = "$want" ] \
        || fail "ovs-vsctl $* exited $rc against FlowTier, expected $want (stderr: $err)"
    pass
}

# both ARG...: ovs-vsctl ARG... against both servers; exit status, stdout
# and stderr must match.
both() {
    local rc1 rc2 o1 o2 e1 e2 t0=$(date +%s%N) t1
    o1=$("${FTV[@]}" "$@" 2>"$SYS_T/e1"); rc1=$?
    t1=$(date +%s%N)
    o2=$("${REFV[@]}" "$@" 2>"$SYS_T/e2"); rc2=$?
    [ -n "${TIMING:-}" ] && echo "$(( (t1 - t0) / 1000000 )) $(( ($(date +%s%N) - t1) / 1000000 )) $*" >&2
    e1=$(sed 's/unix:[^ ]*db.sock/DB/' "$SYS_T/e1")
    e2=$(sed 's/unix:[^ ]*db.sock/DB/' "$SYS_T/e2")
    [ "$rc1" = "$rc2" ] \
        || fail "ovs-vsctl $*: FlowTier exited $rc1 ($e1), Open vSwitch $rc2 ($e2)"
    [ "$e1" = "$e2" ] || fail "ovs-vsctl $*: stderr differs:
FlowTier:     $e1
Open vSwitch: $e2"
    o1=$(printf '%s\n' "$o1" | $NORM)
    o2=$(printf '%s\n' "$o2" | $NORM)
    [ "$o1" = "$o2" ] || fail "ovs-vsctl $*: output differs:
--- FlowTier
$o1
--- Open vSwitch
$o2"
    out=$o1
    pass
}

# add_ns VM IP PORT: a namespace VM whose eth0 is a veth to PORT (not yet
# on a bridge).
add_ns() {
    local vm=$1 ip=$2 port=$3 ns=$SYS_NS_PREFIX$1
    ip netns add "$ns" || fail "cannot create namespace $ns"
    ip link add "$port" type veth peer name eth0 netns "$ns" || fail "veth $port"
    in_vm "$vm" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    in_vm "$vm" ip link set eth0 address "$(printf '02:00:00:00:00:%02x' "${ip##*.}")"
    in_vm "$vm" ip addr add "$ip/24" dev eth0
    in_vm "$vm" ip link set lo up
    in_vm "$vm" ip link set eth0 up
    in_vm "$vm" ethtool -K eth0 tx off >/dev/null
    sysctl -qw "net.ipv6.conf.$port.disable_ipv6=1"
    ip link set "$port" up
}

add_ns vm1 10.0.0.1 vnet1
add_ns vm2 10.0.0.2 vnet2
for p in p1 p2 p3; do
    ip link add "$p" type veth peer name "$p-peer" || fail "veth $p"
    ip link set "$p" up
done

# ---- The same commands against both servers. ----
start=$(date +%s%N)
both show
both list-br
both add-br br0
both add-br br1
both --may-exist add-br br0
both add-br br0
both list-br
both br-exists br0
both br-exists nosuchbr
both add-port br0 p1
both add-port br0 p2 tag=10
both add-port br0 p3 trunks=10,20
both add-port br0 int0 -- set Interface int0 type=internal
both add-port br1 t0 -- set Interface t0 type=tap
both add-port br0 p1
both --may-exist add-port br0 p1
both --may-exist add-port br1 p1
both list-ports br0
both list-ifaces br0
both iface-to-br p2
both port-to-br t0
both iface-to-br nosuchif
both set Interface p1 external_ids:vm-id=vm1 external-ids:iface-id=abc
both get Interface p1 external_ids
both get Interface p1 external_ids:vm-id
both get Interface p1 external_ids:nosuchkey
both --if-exists get Interface p1 external_ids:nosuchkey
both add Interface p1 external_ids foo=bar
both remove Interface p1 external_ids foo
both set Interface int0 options:mac=02:00:00:00:aa:01
both get Interface int0 options
both list Interface int0
both clear Interface int0 options
both find Interface external_ids:vm-id=vm1
both --columns=name,external_ids find Interface 'external_ids:iface-id="abc"'
both list Interface p1
both list Port p2
both get Port p2 tag
both set Port p2 tag=20
both clear Port p2 tag
both get Port p3 trunks
both remove Port p3 trunks 10
both add Port p3 trunks 30
both get Port p3 trunks
both set Port p2 tag=30 vlan_mode=native-untagged
both set Bridge br1 fail_mode=secure datapath_type=netdev other_config:max-idle=5000
both list Bridge br1
both clear Bridge br1 fail_mode other_config
both --columns=name,type list Interface
both show
both del-port p3
both --if-exists del-port p3
both del-port p3
both del-port br0 br0
both show
# A port moved between bridges in one transaction: the new rows share
# the names of rows the commit removes.
both del-port br0 p2 -- add-port br1 p2
both port-to-br p2
both show
# A bridge started afresh in one transaction: its ports and settings go.
both set Bridge br1 other_config:max-idle=7000
both --if-exists del-br br1 -- add-br br1
both list-ports br1
both get Bridge br1 other_config
both add-port br1 t0 -- set Interface t0 type=tap
both show
both --format=json --columns=name,type,external_ids list Interface
both list Bridge br1
both --may-exist add-port br0 vnet1 tag=5 -- set Interface vnet1 \
    external-ids:attached-mac=02:00:00:00:00:01 \
    external-ids:iface-id=4a7b6c2e-0d0e-4c2a-9b1d-1f2e3d4c5b6a \
    external-ids:vm-id=8d3f6c1a-2b4e-4f6a-8c9d-0e1f2a3b4c5d \
    external-ids:iface-status=active
both get Interface vnet1 external_ids:PortData
both set Interface vnet1 external_ids:PortData=abc123
both get Interface vnet1 external_ids:PortData
both --format=list --data=json --columns=statistics list Interface
both --if-exists del-port vnet1
both --if-exists del-port vnet1
both del-br br1
both show
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$SYS_NAME: $n_pass commands matched Open vSwitch 3.1 (FlowTier and OVS, $elapsed ms in all)"

# ---- Packets through ports ovs-vsctl added. ----
vs 0 add-port br0 vnet1
vs 0 add-port br0 vnet2
ping_ok vm1 10.0.0.2
vs 0 set Port vnet2 tag=7
ping_fails vm1 10.0.0.2
vs 0 set Port vnet1 tag=7
ping_ok vm1 10.0.0.2
vs 0 del-port vnet2
ping_fails vm1 10.0.0.2
"$FT" list-ports br0 | grep -qx vnet2 && fail "vnet2 still on br0 for the CLI"
pass

# ---- The Interface table's status columns come from the running switch:
# vnet1's kernel device, and the datapath's counters under Open vSwitch's
# names (read every 5 s, as Open vSwitch does; libvirt's domifstat reads
# them for vhost-user ports).  Clients cannot write them. ----
vs 0 get Interface vnet1 ifindex
[ "$out" = "$(cat /sys/class/net/vnet1/ifindex)" ] || fail "ifindex $out"
vs 0 get Interface vnet1 mac_in_use
[ "$out" = "\"$(cat /sys/class/net/vnet1/address)\"" ] || fail "mac_in_use $out"
vs 0 get Interface vnet1 mtu
[ "$out" = "$(cat /sys/class/net/vnet1/mtu)" ] || fail "mtu $out"
vs 0 get Interface vnet1 status:rx_ring_frames
case $out in '"4096"'|4096) ;; *) fail "status:rx_ring_frames $out" ;; esac
# A port on a veth has generic receive offload on (netdev-afpacket.c).
vs 0 get Interface vnet1 status:driver_name status:gro
[ "$out" = "$(printf 'veth\n"true"')" ] || fail "status:driver_name, gro: $out"
vs 0 get Interface vnet1 admin_state link_state
[ "$out" = "$(printf 'up\nup')" ] || fail "admin_state, link_state: $out"
vs 1 set Interface vnet1 statistics:rx_packets=5
case $err in *"set by FlowTier"*) pass ;; *) fail "statistics written: $err" ;; esac

# Changes seen at the next reading (within 5 s): vnet1's link goes down;
# an interface whose device went has an error that says why, as the
# CLI's.  Then, with vnet1 up and gone0 back, the error is gone and the
# statistics are dump-ports' counters, read between two dump-ports.
ip link add gone0 type veth peer name gone0p || fail "ip link add gone0"
vs 0 add-port br0 gone0
ip link set vnet1 down
ip link del gone0
for i in $(seq 70); do
    vs 0 get Interface vnet1 link_state
    down=$out
    vs 0 get Interface gone0 error
    [ "$down" = down ] && [ "$out" != "[]" ] && break
    sleep 0.1
done
cli_err=$("$FT" get Interface gone0 error)
[ "$down" = down ] || fail "link_state still $down 7 s after vnet1 went down"
[ "$out" != "[]" ] && [ "$out" = "$cli_err" ] \
    || fail "error over OVSDB: $out; the CLI's: $cli_err"
ip link set vnet1 up
ip link add gone0 type veth peer name gone0p || fail "ip link add gone0 again"
# (vm2 left br0 above: vm1's ARP requests are what vnet1 receives.)
in_vm vm1 ping -c 10 -i 0.05 -W 1 10.0.0.2 >/dev/null 2>&1
rx0=$(port_stat br0 vnet1 rx pkts) tx0=$(port_stat br0 vnet1 tx pkts)
[ "$rx0" -ge 10 ] || fail "vnet1 received only $rx0 frames"
for i in $(seq 70); do
    vs 0 get Interface vnet1 statistics:rx_packets statistics:tx_packets
    rx=${out%%$'\n'*} tx=${out##*$'\n'}
    vs 0 get Interface gone0 error
    [ "$rx" -ge "$rx0" ] && [ "$tx" -ge "$tx0" ] && [ "$out" = "[]" ] && break
    sleep 0.1
done
rx1=$(port_stat br0 vnet1 rx pkts) tx1=$(port_stat br0 vnet1 tx pkts)
[ "$out" = "[]" ] || fail "error still $out after gone0 came back"
[ "$rx" -ge "$rx0" ] && [ "$rx" -le "$rx1" ] && [ "$tx" -ge "$tx0" ] \
    && [ "$tx" -le "$tx1" ] \
    || fail "OVSDB statistics rx=$rx tx=$tx, dump-ports rx $rx0..$rx1 tx $tx0..$tx1"
vs 0 del-port gone0
ip link del gone0

# ---- What FlowTier does not implement is refused by name, all or nothing. ----
vs 1 set Interface p1 mtu_request=9000 external_ids:x=y
case $err in *mtu_request*) pass ;; *) fail "refusal does not name mtu_request: $err" ;; esac
vs 0 get Interface p1 external_ids
[ "$out" = '{iface-id=abc, vm-id=vm1}' ] || fail "half applied: $out"
vs 1 set-controller br0 tcp:127.0.0.1:6653
case $err in *controller*) pass ;; *) fail "refusal does not name controller: $err" ;; esac
vs 0 get-controller br0
[ -z "$out" ] || fail "controller set: $out"
vs 1 add-port br0 vx0 -- set Interface vx0 type=vxlan options:remote_ip=10.1.1
case $err in *remote_ip*10.1.1*IPv4*) pass ;; *) fail "vxlan refusal does not say why: $err" ;; esac
vs 1 set Interface p1 options:no-such-option=1
case $err in *no-such-option*) pass ;; *) fail "option refusal does not name it: $err" ;; esac
vs 0 list-ports br0
case $out in *vx0*) fail "vx0 added: $out" ;; esac
vs 1 add-port br0 nosuchdev
"$FT" list-ports br0 | grep -qx nosuchdev && fail "nosuchdev added"
pass

# ---- The CLI's changes reach OVSDB clients, and OVSDB's reach the CLI. ----
"$FT" set Interface p1 external-ids:from=cli || fail "flowtier set"
vs 0 get Interface p1 external_ids:from
[ "$out" = cli ] || fail "CLI change not seen over OVSDB: $out"
vs 0 set Bridge br0 other_config:max-idle=7000
[ "$("$FT" get Bridge br0 other_config:max-idle)" = '"7000"' ] \
    || fail "OVSDB change not seen by the CLI"
pass

# ---- Bad input gets an error reply, and the daemon serves on. ----
raw() {
    out=$(printf '%s' "$1" | socat -t2 - "UNIX-CONNECT:$FLOWTIER_RUNDIR/db.sock")
    case $out in *"$2"*) pass ;; *) fail "sent $1, got: $out (expected $2)" ;; esac
}
raw 'garbage' 'expected a JSON object or array'
raw '{"method":"transact","params":["Open_vSwitch",{"op":' 'in the middle of a message'
raw '{"method":"transact","params":"x","id":1}' '"params\" must be an array'
raw '{"method":"transact","params":["Open_vSwitch",{"op":"insert","table":"Bridge","row":{"name":5}}],"id":1}' 'column name: expected string'
raw '{"method":"transact","params":["nodb"],"id":1}' 'unknown database'
raw '{"method":"nosuch","params":[],"id":1}' 'unknown method'
raw '[1]{"id":2,"method":"echo","params":["x"]}' '"result":["x"]'
# A 17 MB message: the server answers and hangs up before it has it all.
out=$("$SYS_PY" - "$FLOWTIER_RUNDIR/db.sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)
try:
    for _ in range(17):
        s.sendall(b'[' * 1000000)
    print('all sent:', s.recv(4096))
except (BrokenPipeError, ConnectionResetError) as e:
    print('closed by the server:', type(e).__name__)
PY
)
case $out in "closed by the server"*|*"longer than"*) pass ;; *) fail "17 MB message: $out" ;; esac
kill -0 "$(sys_daemon_pid)" || fail "flowtierd died on bad OVSDB input"
vs 0 br-exists br0

# ---- Survives a restart: it went to FlowTier's journal. ----
pid=$(sys_daemon_pid)
kill -TERM "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
sys_start_daemon
vs 0 get Interface p1 external_ids:vm-id
[ "$out" = vm1 ] || fail "lost across a restart: $out"
vs 0 iface-to-br vnet1
[ "$out" = br0 ] || fail "vnet1 not on br0 after restart: $out"
vs 0 add-port br0 vnet2 tag=7
ping_ok vm1 10.0.0.2
sys_done
