#!/bin/bash
# test-openflow-async.sh - OpenFlow 1.3 SET_ASYNC and GET_ASYNC: the same
# client (tests/controller/async_probe.py) against FlowTier's br0.mgmt and
# a private Open vSwitch 3.1: the defaults, the masks each switch keeps,
# and which PACKET_INs (a CONTROLLER action), FLOW_REMOVEDs (a delete of
# a send_flow_rem rule) and PORT_STATUSes (a port added and removed) one
# connection gets for each mask, as master/equal and as slave; and a
# FLOW_MOD refused in the middle of a pipelined batch (its own ERROR, its
# neighbours added).  The two transcripts must be equal, and FlowTier's must show each mask at work
# (a message with the reason's bit set, none without).
#
# usage: test-openflow-async.sh FLOWTIER FLOWTIERD (as root; meson passes
# them)

. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need ovs-vsctl ovs-vswitchd
PROBE=$(dirname "$SYS_SELF")/../controller/async_probe.py
SANDBOX=$(dirname "$SYS_SELF")/../diff/ovs-sandbox.sh

sys_start_daemon
"$FT" add-br br0 -- set Bridge br0 fail_mode=secure || fail "add-br br0"
sys_add_vm vm1 10.0.0.1 vnet1 br0
sys_add_vm vm2 10.0.0.2 vnet2 br0
ip link add px type veth peer name px-peer || fail "cannot create veth px"
ip link set px up
ip link set px-peer up

"$SANDBOX" start "$SYS_T/ovs" 2 >"$SYS_T/ovs.log" 2>&1 \
    || fail "Open vSwitch sandbox did not start: $(cat "$SYS_T/ovs.log")"
SYS_PIDS+=($(cat "$SYS_T/ovs/ovs-vswitchd.pid" "$SYS_T/ovs/ovsdb-server.pid" 2>/dev/null))

# The port each switch's PORT_CMD adds ('add') and removes ('del').
cat >"$SYS_T/ft-port" <<PORT
#!/bin/sh
if [ "\$1" = add ]; then exec "$FT" add-port br0 px; else exec "$FT" del-port br0 px; fi
PORT
cat >"$SYS_T/ovs-port" <<PORT
#!/bin/sh
eval "\$("$SANDBOX" env "$SYS_T/ovs")"
if [ "\$1" = add ]; then
    exec ovs-vsctl add-port br0 px -- set Interface px type=dummy
else
    exec ovs-vsctl del-port br0 px
fi
PORT
chmod +x "$SYS_T/ft-port" "$SYS_T/ovs-port"

timeout 120 "$SYS_PY" "$PROBE" "$FLOWTIER_RUNDIR/br0.mgmt" "$SYS_T/ft-port" \
    >"$SYS_T/ft.out" 2>&1 || fail "async_probe.py against FlowTier:
$(cat "$SYS_T/ft.out")"
pass
timeout 120 "$SYS_PY" "$PROBE" "$SYS_T/ovs/br0.mgmt" "$SYS_T/ovs-port" \
    >"$SYS_T/ovs.out" 2>&1 || fail "async_probe.py against Open vSwitch:
$(cat "$SYS_T/ovs.out")"
pass
diff -u "$SYS_T/ovs.out" "$SYS_T/ft.out" >"$SYS_T/diff" \
    || fail "FlowTier's transcript differs from Open vSwitch's:
$(cat "$SYS_T/diff")"
pass

# The masks at work, in FlowTier's own words: each line after a 'set' is
# what the connection got (1: action, 2: delete, 0: add).
expect() {
    grep -qxF -- "$1" "$SYS_T/ft.out" || fail "no line '$1' in:
$(cat "$SYS_T/ft.out")"
    pass
}
expect "default: master pin=0x3 ps=0x7 fr=0xf slave pin=0x0 ps=0x7 fr=0x0"
expect "set pin=0xffffffff: master pin=0x7 ps=0x7 fr=0x0 slave pin=0x0 ps=0x7 fr=0x0"
sed -n '/^set pin=0x1:/{n;p}' "$SYS_T/ft.out" | grep -qx '  packet_in: \[\]' \
    || fail "a packet-in of reason action with only no_match in the mask"
pass
sed -n '/^set pin=0x2:/{n;p}' "$SYS_T/ft.out" | grep -qx '  packet_in: \[1\]' \
    || fail "no packet-in of reason action with action in the mask"
pass
sed -n '/^set fr=0x4:/{n;p}' "$SYS_T/ft.out" | grep -qx '  flow_removed: \[2\]' \
    || fail "no flow removed of reason delete with delete in the mask"
pass
sed -n '/^set fr=0x1:/{n;p}' "$SYS_T/ft.out" | grep -qx '  flow_removed: \[\]' \
    || fail "a flow removed of reason delete with only idle in the mask"
pass
sed -n '/^set slave pin=0x2 fr=0x4:/{n;p;n;p}' "$SYS_T/ft.out" | tr -d '\n' \
    | grep -qx '  packet_in: \[1\]  flow_removed: \[2\]' \
    || fail "the slave masks do not apply to a slave"
pass
sed -n '/^set ps=delete only:/{n;p;n;p}' "$SYS_T/ft.out" | tr -d '\n' \
    | grep -qx '  add: \[\]  del: \[1\]' \
    || fail "port status: 'delete only' let through other reasons"
pass
sed -n '/^set ps=add only:/{n;p;n;p}' "$SYS_T/ft.out" | tr -d '\n' \
    | grep -qx '  add: \[0\]  del: \[\]' \
    || fail "port status: 'add only' let through other reasons"
pass
# A FLOW_MOD refused in the middle of a batch gets its own ERROR (its xid,
# OFPET_METER_MOD_FAILED / OFPMMFC_INVALID_METER) and its neighbours are
# added.
expect "batch with a bad FLOW_MOD: errors [(502, 12, 2)], rules 2"
sys_done
