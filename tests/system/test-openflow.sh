#!/bin/bash
# test-openflow.sh - Debian's real ovs-ofctl (-O OpenFlow13 and -O
# OpenFlow10) against FlowTier's unix:$FLOWTIER_RUNDIR/br0.mgmt: add-flow,
# add-flows, mod-flows, del-flows (strict, by cookie), dump-flows and
# dump-aggregate compared with the same commands against a private Open
# vSwitch 3.1 given the same flows (durations, ages and counters masked);
# dump-ports, dump-ports-desc, dump-tables checked against what the
# bridge has; then packets between two namespaces follow rules added over
# OpenFlow, which are in FlowTier's own dump-flows and survive a kill -9.
#
# usage: test-openflow.sh FLOWTIER FLOWTIERD (as root; meson passes them)

. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need ovs-ofctl ovs-vsctl
SANDBOX=$(dirname "$SYS_SELF")/../diff/ovs-sandbox.sh

sys_start_daemon
"$FT" add-br br0 || fail "add-br br0"
sys_add_vm vm1 10.0.0.1 vnet1 br0
sys_add_vm vm2 10.0.0.2 vnet2 br0
[ "$(ofport vnet1)" = 1 ] && [ "$(ofport vnet2)" = 2 ] \
    || fail "vnet1, vnet2 are not OpenFlow ports 1, 2"
FTS=unix:$FLOWTIER_RUNDIR/br0.mgmt
[ -S "$FLOWTIER_RUNDIR/br0.mgmt" ] || fail "no $FLOWTIER_RUNDIR/br0.mgmt"

"$SANDBOX" start "$SYS_T/ovs" 2 >"$SYS_T/ovs.log" 2>&1 \
    || fail "Open vSwitch sandbox did not start: $(cat "$SYS_T/ovs.log")"
SYS_PIDS+=($(cat "$SYS_T/ovs/ovs-vswitchd.pid" "$SYS_T/ovs/ovsdb-server.pid" 2>/dev/null))
OVSS=unix:$SYS_T/ovs/br0.mgmt
[ -S "$SYS_T/ovs/br0.mgmt" ] || fail "no $SYS_T/ovs/br0.mgmt"

# of SWITCH ARGS...: ovs-ofctl against SWITCH (the last argument order of
# ovs-ofctl is COMMAND SWITCH [ARGS]); output in $out.
of() {
    local cmd=$1 sw=$2
    shift 2
    out=$(timeout 10 ovs-ofctl -O "$PROTO" "$cmd" "$sw" "$@" 2>"$SYS_T/err") \
        || fail "ovs-ofctl -O $PROTO $cmd $sw $*: $(cat "$SYS_T/err")"
}

# Masks what legitimately differs between two switches: the reply header
# (xid, and OVS answers OpenFlow 1.0 dumps with its NXM extension), times,
# ages and counters.
mask() {
    grep -v '_FLOW reply\|^OFPST_AGGREGATE\|^NXST_AGGREGATE' \
        | sed -E 's/duration=[0-9.]+s/duration=?/; s/n_packets=[0-9]+/n_packets=?/;
                  s/n_bytes=[0-9]+/n_bytes=?/; s/ idle_age=[0-9]+,//; s/ hard_age=[0-9]+,//;
                  s/packet_count=[0-9]+/packet_count=?/;
                  s/byte_count=[0-9]+/byte_count=?/; s/ \(xid=0x[0-9a-f]+\)//' \
        | sort
}

# both CMD ARGS...: the same ovs-ofctl command on both switches.
both() {
    of "$1" "$FTS" "${@:2}"
    ft_out=$out
    of "$1" "$OVSS" "${@:2}"
    ovs_out=$out
}

# same CMD ARGS...: both, and the masked outputs are equal.
same() {
    both "$@"
    [ "$(mask <<<"$ft_out")" = "$(mask <<<"$ovs_out")" ] \
        || fail "ovs-ofctl -O $PROTO $1 differs:
--- FlowTier
$ft_out
--- Open vSwitch 3.1
$ovs_out"
    pass
}

cat >"$SYS_T/flows" <<'EOF'
table=0,priority=200,icmp,nw_src=10.0.0.9,actions=drop
table=1,priority=50,tcp,tp_dst=80,idle_timeout=300,actions=mod_nw_tos:16,output:2
table=1,priority=40,udp,nw_dst=10.1.0.0/16,actions=mod_dl_src:02:00:00:00:00:09,output:1
table=2,priority=30,arp,hard_timeout=600,actions=NORMAL
table=2,cookie=0x5,priority=20,dl_vlan=10,actions=strip_vlan,output:2
table=2,priority=10,ip,dl_dst=02:00:00:00:00:02,actions=mod_vlan_vid:7,output:1
EOF

for PROTO in OpenFlow13 OpenFlow10; do
    both del-flows
    same dump-flows
    both add-flow "priority=100,in_port=1,actions=output:2"
    both add-flow "cookie=0x10,priority=100,in_port=2,actions=output:1"
    both add-flows "$SYS_T/flows"
    same dump-flows
    same dump-flows "table=1"
    same dump-aggregate
    both mod-flows "table=1,tcp,actions=output:1"
    same dump-flows
    both mod-flows --strict "table=2,priority=30,arp,actions=drop"
    same dump-flows
    both del-flows --strict "table=2,priority=10,ip,dl_dst=02:00:00:00:00:02"
    same dump-flows
    if [ $PROTO = OpenFlow13 ]; then
        # (A cookie mask needs NXM in OpenFlow 1.0, which FlowTier
        # does not speak.)
        both del-flows "cookie=0x5/-1"
    else
        both del-flows --strict "table=2,priority=20,dl_vlan=10"
    fi
    same dump-flows
    same dump-aggregate "table=0"
    # FlowTier's own view is the same table.
    of dump-flows "$FTS"
    n_of=$(grep -c priority <<<"$out")
    n_ft=$("$FT" dump-flows br0 | grep -c priority)
    [ "$n_of" = "$n_ft" ] || fail "$PROTO: $n_of rules over OpenFlow, $n_ft in flowtier dump-flows"
    pass

    # Tables: table 0 holds the two in_port rules and the icmp drop.
    of dump-tables "$FTS"
    tr '\n' ' ' <<<"$out" | grep -qE '(^| )0:[^:]*active=3,' \
        || fail "$PROTO dump-tables: table 0 not active=3:
$out"
    pass
    # Ports: both VM ports, by number and name, and LOCAL.
    of dump-ports-desc "$FTS"
    grep -q ' 1(vnet1): addr:' <<<"$out" && grep -q ' 2(vnet2): addr:' <<<"$out" \
        && grep -q 'LOCAL(br0): addr:' <<<"$out" \
        || fail "$PROTO dump-ports-desc:
$out"
    pass
    of dump-ports "$FTS" 2
    grep -qE 'port +2: rx pkts=[0-9]+, bytes=[0-9]+' <<<"$out" \
        || fail "$PROTO dump-ports 2: $out"
    pass
    # A refusal is an OpenFlow error with a reason in the daemon's log,
    # and changes nothing.
    if timeout 10 ovs-ofctl -O "$PROTO" add-flow "$FTS" \
        "priority=5,actions=enqueue:1:3" 2>"$SYS_T/err"; then
        fail "$PROTO: enqueue accepted"
    fi
    grep -q 'OFPBAC_BAD_TYPE' "$SYS_T/err" || fail "$PROTO enqueue: $(cat "$SYS_T/err")"
    pass
done

# TABLE_FEATURES: ovs-ofctl reads a full reply as from Open vSwitch: the
# same sections for table 0, masked fields apart from exact-only ones.
PROTO=OpenFlow13
both dump-table-features
tf_shape() {
    sed -n '/^  table 0:/,/^$/p' | sed -E 's/^ +//; s/[:=].*$//' \
        | grep -v -- '-Actions' | sort -u
}
[ "$(tf_shape <<<"$ft_out")" = "$(tf_shape <<<"$ovs_out")" ] \
    && grep -qE 'arbitrary mask:.* ip_\{src,dst\}' <<<"$ft_out" \
    && grep -qE 'exact match or wildcard:.* nw_proto' <<<"$ft_out" \
    && grep -q 'tables 1...254: ditto' <<<"$ft_out" \
    || fail "dump-table-features:
--- FlowTier
$ft_out
--- Open vSwitch 3.1
$(head -20 <<<"$ovs_out")"
pass

# OpenFlow 1.0 with a field its match lacks: ovs-ofctl asks for the NXM
# flow format, which FlowTier refuses with an OpenFlow error saying to use
# OpenFlow 1.3 (and adds nothing).
if timeout 10 ovs-ofctl -O OpenFlow10 add-flow "$FTS" \
    "priority=5,ipv6,ipv6_src=fd00::1,actions=drop" 2>"$SYS_T/err"; then
    fail "OpenFlow 1.0 IPv6 match accepted without NXM"
fi
grep -q 'does not support any of the usable flow formats' "$SYS_T/err" \
    && grep -q 'OFPBRC_BAD_SUBTYPE: flow format 2 (NXM) is not supported with OpenFlow 1.0' "$SYS_T/flowtierd.log" \
    || fail "OpenFlow 1.0 NXM refusal: $(cat "$SYS_T/err")"
"$FT" dump-flows br0 | grep -q ipv6 && fail "an IPv6 rule was added"
pass

# FLOW_REMOVED: a monitor on each switch hears of the rules flagged
# send_flow_rem that a delete, an idle_timeout or a hard_timeout removes,
# with the same reason, cookie, priority, match, timeouts and counters as
# from Open vSwitch (durations masked); a rule without the flag is not
# announced.  OpenFlow 1.3 dump-flows shows the flag.
frmask() {
    grep FLOW_REMOVED | grep -v 0x88b5 \
        | sed -E 's/ \(xid=0x[0-9a-f]+\)//; s/duration[0-9.]+s/duration?/' | sort
}
# fr_ready: once both monitors hear of a probe rule's removal (they
# connect in their own time), they hear everything after.
fr_ready() {
    local i
    for i in $(seq 30); do
        both add-flow "priority=1,dl_type=0x88b5,send_flow_rem,actions=drop"
        both del-flows "dl_type=0x88b5"
        sleep 0.2
        grep -q 0x88b5 "$SYS_T/fr-ft" && grep -q 0x88b5 "$SYS_T/fr-ovs" && return
    done
    # Say which monitor heard nothing, whether it still runs, and what it
    # printed (a refused or dropped connection shows here).
    local sw pid
    for sw in ft ovs; do
        [ $sw = ft ] && pid=$mon_ft || pid=$mon_ovs
        grep -q 0x88b5 "$SYS_T/fr-$sw" && continue
        kill -0 "$pid" 2>/dev/null && echo "monitor of $sw: running" >&2 \
            || echo "monitor of $sw: exited" >&2
        tail -20 "$SYS_T/fr-$sw" >&2
    done
    fail "$PROTO: the monitors heard no FLOW_REMOVED of the probe rule"
}
for PROTO in OpenFlow13 OpenFlow10; do
    both del-flows
    timeout 20 ovs-ofctl -O $PROTO monitor "$FTS" 65535 >"$SYS_T/fr-ft" 2>&1 &
    mon_ft=$!
    timeout 20 ovs-ofctl -O $PROTO monitor "$OVSS" 65535 >"$SYS_T/fr-ovs" 2>&1 &
    mon_ovs=$!
    fr_ready
    both add-flow "cookie=0x7,priority=5,ip,send_flow_rem,idle_timeout=2,actions=drop"
    both add-flow "priority=6,tcp,send_flow_rem,actions=drop"
    both add-flow "table=3,priority=7,udp,nw_dst=10.9.0.0/16,send_flow_rem,hard_timeout=2,actions=output:2"
    both add-flow "priority=8,arp,actions=drop"
    same dump-flows
    both del-flows "tcp"
    both del-flows "arp"
    # Both timeouts are 2 s; the expiry runs every second.
    for i in $(seq 40); do
        [ "$(frmask <"$SYS_T/fr-ft" | wc -l)" -ge 3 ] \
            && [ "$(frmask <"$SYS_T/fr-ovs" | wc -l)" -ge 3 ] && break
        sleep 0.2
    done
    sleep 0.3
    kill $mon_ft $mon_ovs 2>/dev/null
    wait $mon_ft $mon_ovs 2>/dev/null
    [ "$(frmask <"$SYS_T/fr-ft" | wc -l)" = 3 ] \
        && [ "$(frmask <"$SYS_T/fr-ft")" = "$(frmask <"$SYS_T/fr-ovs")" ] \
        || fail "$PROTO FLOW_REMOVED differs:
--- FlowTier
$(cat "$SYS_T/fr-ft")
--- Open vSwitch 3.1
$(cat "$SYS_T/fr-ovs")"
    pass
done

# Table-miss with no rule at all: while an OpenFlow 1.0 connection is up,
# a packet no rule matches goes to it as a PACKET_IN "via no_match";
# OpenFlow 1.3 connections get nothing (their table-miss is drop).  The
# same on Open vSwitch, whose port 1 gets the frame from netdev-dummy.
FRAME=ffffffffffff02000000000908004500001c00010000401166c60a0000090a00000204d2162e00080000
eval "$("$SANDBOX" env "$SYS_T/ovs")"
PROTO=OpenFlow13
both del-flows
mons=()
for sw in ft ovs; do
    [ $sw = ft ] && target=$FTS || target=$OVSS
    timeout 20 ovs-ofctl -O OpenFlow10 monitor "$target" 65535 >"$SYS_T/miss10-$sw" 2>&1 &
    mons+=($!)
    timeout 20 ovs-ofctl -O OpenFlow13 monitor "$target" 65535 >"$SYS_T/miss13-$sw" 2>&1 &
    mons+=($!)
done
# The monitors connect in their own time: send until both have seen one.
for i in $(seq 30); do
    sleep 0.3
    in_vm vm1 python3 -c "import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0)); s.send(bytes.fromhex('$FRAME'))"
    ovs-appctl netdev-dummy/receive p1 "$FRAME" >/dev/null || fail "netdev-dummy/receive"
    grep -q "via no_match" "$SYS_T/miss10-ft" && grep -q "via no_match" "$SYS_T/miss10-ovs" && break
done
sleep 0.5
kill "${mons[@]}" 2>/dev/null
wait "${mons[@]}" 2>/dev/null
for sw in ft ovs; do
    grep -q "in_port=1 (via no_match) data_len=42" "$SYS_T/miss10-$sw" \
        || fail "$sw: no OpenFlow 1.0 PACKET_IN for a table miss:
$(cat "$SYS_T/miss10-$sw")"
    ! grep -q PACKET_IN "$SYS_T/miss13-$sw" \
        || fail "$sw: an OpenFlow 1.3 PACKET_IN for a table miss:
$(cat "$SYS_T/miss13-$sw")"
    pass
done

# ovs-ofctl monitor on the management socket: a packet-out through TABLE
# meets a controller rule (PACKET_IN), a packet-out to port 2 leaves by
# it, and a new port is announced (PORT_STATUS).
FRAME=ffffffffffff02000000000908004500001c00010000401166c60a0000090a00000204d2162e00080000
for PROTO in OpenFlow13 OpenFlow10; do
    of del-flows "$FTS"
    of add-flow "$FTS" "priority=300,udp,actions=controller"
    timeout 4 ovs-ofctl -O $PROTO monitor "$FTS" 65535 >"$SYS_T/monitor" 2>&1 &
    mon=$!
    sleep 1
    of packet-out "$FTS" 1 TABLE "$FRAME"
    tx_before=$(port_stat br0 vnet2 tx pkts)
    of packet-out "$FTS" 1 output:2 "$FRAME"
    vnet=vnet${PROTO#OpenFlow}
    ip link add "$vnet" type veth peer name "${vnet}p"
    ip link set "$vnet" up
    "$FT" add-port br0 "$vnet" || fail "add-port $vnet"
    wait $mon
    grep -q "OFPT_PACKET_IN.* total_len=42 in_port=1 (via action) data_len=42" "$SYS_T/monitor" \
        && grep -q 'udp,.*dl_src=02:00:00:00:00:09.*nw_src=10.0.0.9,nw_dst=10.0.0.2.*tp_src=1234,tp_dst=5678' "$SYS_T/monitor" \
        || fail "$PROTO monitor: no PACKET_IN for the packet-out:
$(cat "$SYS_T/monitor")"
    pass
    grep -qE "OFPT_PORT_STATUS.*ADD: [0-9]+\($vnet\)" "$SYS_T/monitor" \
        || fail "$PROTO monitor: no PORT_STATUS for $vnet:
$(cat "$SYS_T/monitor")"
    pass
    [ "$(port_stat br0 vnet2 tx pkts)" -gt "$tx_before" ] \
        || fail "$PROTO packet-out output:2 sent nothing on vnet2"
    pass
    "$FT" del-port br0 "$vnet"
done

# Packets follow the rules added over OpenFlow 1.3 (no NORMAL left).
PROTO=OpenFlow13
of del-flows "$FTS"
ping_fails vm1 10.0.0.2
of add-flow "$FTS" "priority=100,in_port=1,actions=output:2"
of add-flow "$FTS" "priority=100,in_port=2,actions=output:1"
ping_ok vm1 10.0.0.2
sleep 1     # The revalidator credits rules every 500 ms.
of dump-flows "$FTS" "in_port=1"
grep -qE 'n_packets=[1-9]' <<<"$out" || fail "in_port=1 rule counted nothing: $out"
pass
# ... persisted like the CLI's: a kill -9 and restart keeps them.
kill -9 "$(sys_daemon_pid)"
sleep 0.2
sys_start_daemon
ping_ok vm1 10.0.0.2
of dump-flows "$FTS"
[ "$(grep -c priority=100 <<<"$out")" = 2 ] || fail "after restart: $out"
pass
of del-flows "$FTS" "in_port=2"
ping_fails vm1 10.0.0.2

"$SANDBOX" stop "$SYS_T/ovs" >/dev/null 2>&1
sys_done
