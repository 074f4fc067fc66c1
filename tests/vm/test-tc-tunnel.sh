#!/bin/bash
# VXLAN in FlowTier's hw tier (TC flower), against the SmartNIC model
# (tests/ftnic/: a model for tests; its counters are not hardware
# figures).  VF0 (10.0.5.1) reaches 10.0.5.2, a Linux VXLAN device (VNI
# 42) in the wire's namespace ("tor", underlay 192.168.0.2), through a
# bridge of VF0's representor and a vxlan port, with hw-offload=true.  The
# first packets go through the userspace datapath (its UDP socket, its
# encapsulation); then the encapsulation megaflow is a skip_sw filter on
# the representor (tunnel_key set, redirect to FlowTier's VXLAN device
# ft_vxlan_4789) and the decapsulation megaflow a filter on that device's
# ingress (enc_* keys, tunnel_key unset, redirect to the representor),
# both in_hw with the model's counters rising while the pings go on; the
# --explain lines, typed by hand, make the same filters.  A tunnel whose
# route leaves the e-switch, and one whose remote's neighbour is
# unresolved, stay in userspace with the reason.  The encapsulation rule
# follows the underlay: a new neighbour address or route replaces it, a
# neighbour gone takes it out (the megaflow in userspace with why) until
# the kernel resolves it again, and the rule's counters stay exact.  With
# tc-policy=skip_hw (TC in software) both megaflows stay in userspace,
# refused with why, the pings answered and counted exactly.  A killed
# daemon's device goes when the daemon comes back; a clean stop leaves no
# FlowTier filter and no FlowTier device; a device FlowTier did not create
# is never touched.
#
# usage: test-tc-tunnel.sh FTNIC.KO FLOWTIER FLOWTIERD  (root; boots the VM)
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
# 4.5 to 8 minutes on a loaded 2-core host: the guest gets more than the
# default.
export FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-600}
vm_init "$@"
ko=$1 FT=$2 FTD=$3

export FLOWTIER_RUNDIR=/tmp/ft/run FLOWTIER_DBDIR=/tmp/ft/db
mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR"
COOKIE=466c6f7754696572     # FlowTier's cookie: "FlowTier", zeros.
VXDEV=ft_vxlan_4789

ft() {
    out=$("$FT" "$@" 2>&1) || fail "flowtier $*: $out"
}
start_daemon() {
    "$FTD" --detach --no-fsync --log-file=/tmp/ft/flowtierd.log \
        || fail "flowtierd did not start: $(tail -5 /tmp/ft/flowtierd.log)"
}
ours() {
    tc -s filter show dev "$1" ingress 2>/dev/null | grep -c "cookie $COOKIE"
}
# hw_sum DEV: packets the model counted for FlowTier's filters on DEV.
hw_sum() {
    tc -s filter show dev "$1" ingress \
        | awk '/Sent hardware/ { s += $5 } END { print s + 0 }'
}
# A reply may come late: under TCG on a loaded host the guest's clock
# jumps, and a short -W runs out before a reply already there is read.
ping_n() {
    ip netns exec vm0 ping -c "$1" -i 0.2 -W 5 10.0.5.2 >/tmp/ft/ping.txt \
        || fail "VF0 cannot reach 10.0.5.2 through the tunnel: $(tail -3 /tmp/ft/ping.txt)
$("$FT" dump-dp-flows br0 2>&1)
$("$FT" dpif-show br0 2>&1)
$(tc -s filter show dev ftnic0r0 ingress; tc -s filter show dev $VXDEV ingress)
$(tail -20 /tmp/ft/flowtierd.log)
warm-up: $(cat /tmp/ft/ping0.txt 2>/dev/null)
$("$FT" dump-ports br0 2>&1)
$(ip -n vm0 -s link show ftnic0vf0; ip -n tor -s link show vx42; ip -s link show ftnic0r0)
$(ip -n vm0 neigh; ip -n tor neigh; ip -n vm0 -br link; ip -n tor -br link)
$(ip netns exec vm0 cat /proc/net/snmp | grep -E '^(Icmp|Ip):'; ip netns exec tor cat /proc/net/snmp | grep -E '^(Icmp|Ip):')"
}

# encap_mf_packets: packets of the megaflow into VNI 42.
encap_mf_packets() {
    "$FT" dump-dp-flows br0 | grep 'set(tunnel(tun_id=0x2a,' \
        | sed -nE 's/.*packets:([0-9]+),.*/\1/p'
}

ftnic_load "$ko"
vm_modprobe tun vxlan dummy
ftnic_ns vm0 ftnic0vf0 10.0.5.1/24
ip netns add tor || fail "no namespace tor"
# No IPv6 chatter in the namespaces: only the test's packets cross.
for ns in vm0 tor; do
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 || fail "IPv6 stays on in $ns"
done
ip netns exec vm0 sysctl -qw net.ipv6.conf.ftnic0vf0.disable_ipv6=1
ip link set ftnic0wire netns tor && ip -n tor link set ftnic0wire up \
    && ip -n tor addr add 192.168.0.2/24 dev ftnic0wire || fail "no wire"
ip -n tor link add vx42 type vxlan id 42 local 192.168.0.2 \
    remote 192.168.0.1 dstport 4789 dev ftnic0wire || fail "no far VXLAN device"
ip -n tor addr add 10.0.5.2/24 dev vx42 && ip -n tor link set vx42 up
ip addr add 192.168.0.1/24 dev ftnic0 && ip link set ftnic0 up \
    && ip link set ftnic0r0 up || fail "uplink or representor down"
# Static neighbours: only the pings cross, and the model can resolve the
# remote end when it takes the encapsulation rule.
ip neigh replace 192.168.0.2 dev ftnic0 nud permanent \
    lladdr "$(ip -n tor -br link show ftnic0wire | awk '{print $3}')"
ip -n tor neigh replace 192.168.0.1 dev ftnic0wire nud permanent \
    lladdr "$(ip -br link show ftnic0 | awk '{print $3}')"
ip -n vm0 neigh replace 10.0.5.2 dev ftnic0vf0 nud permanent \
    lladdr "$(ip -n tor -br link show vx42 | awk '{print $3}')"
ip -n tor neigh replace 10.0.5.1 dev vx42 nud permanent \
    lladdr "$(ip -n vm0 -br link show ftnic0vf0 | awk '{print $3}')"
# Two more destinations behind VF0's link: one through a tunnel whose
# route leaves the e-switch (a dummy device), one through a tunnel to a
# neighbour that never answers (the model refuses it).
ip -n vm0 route add 10.0.7.0/24 dev ftnic0vf0
ip -n vm0 route add 10.0.8.0/24 dev ftnic0vf0
ip -n vm0 neigh replace 10.0.7.2 dev ftnic0vf0 lladdr 02:00:00:00:07:02 nud permanent
ip -n vm0 neigh replace 10.0.8.2 dev ftnic0vf0 lladdr 02:00:00:00:08:02 nud permanent
ip link add dum0 type dummy && ip addr add 10.99.0.1/24 dev dum0 \
    && ip link set dum0 up || fail "no dummy device"
# Someone else's device with a name like FlowTier's.
ip link add ft_vxlan_4790 type vxlan external dstport 4790 \
    || fail "no hand-made VXLAN device"
pass

start_daemon
ft add-br br0 -- set Bridge br0 other_config:hw-offload=true \
    other_config:max-idle=60000
ft add-port br0 ftnic0r0
ft add-port br0 vx0 -- set Interface vx0 type=vxlan \
    options:remote_ip=192.168.0.2 options:key=42
ft add-port br0 vx1 -- set Interface vx1 type=vxlan \
    options:remote_ip=10.99.0.2 options:key=7
ft add-port br0 vx2 -- set Interface vx2 type=vxlan \
    options:remote_ip=192.168.0.77 options:key=8
ft del-flows br0
ft add-flows br0 - <<'EOF'
priority=10,in_port=ftnic0r0,ip,nw_dst=10.0.7.2,actions=output:vx1
priority=10,in_port=ftnic0r0,ip,nw_dst=10.0.8.2,actions=output:vx2
priority=5,in_port=ftnic0r0,ip,actions=output:vx0
priority=5,in_port=vx0,ip,actions=output:ftnic0r0
EOF
ip -d link show $VXDEV >/tmp/ft/vxdev.txt 2>&1 \
    || fail "no $VXDEV once a vxlan port is offloaded: $(ip -br link)"
grep -q 'vxlan external' /tmp/ft/vxdev.txt && grep -q 'dstport 4789' /tmp/ft/vxdev.txt \
    || fail "$VXDEV is not an external VXLAN device on 4789: $(cat /tmp/ft/vxdev.txt)"
grep -q "alias FlowTier pid $(cat $FLOWTIER_RUNDIR/flowtierd.pid)" /tmp/ft/vxdev.txt \
    || fail "$VXDEV does not name its owner: $(cat /tmp/ft/vxdev.txt)"
pass

# --- Offload ----------------------------------------------------------------
# The first packets of each direction wait for an upcall (seconds under
# TCG on a busy host): they need not all be answered in time.  Pings go
# until both megaflows are in hw (at most about 30 s).
for _ in $(seq 15); do
    ip netns exec vm0 ping -c 1 -W 5 10.0.5.2 >>/tmp/ft/ping0.txt 2>&1
    [ "$("$FT" dump-dp-flows br0 | grep -c ', tier:hw, ')" -ge 2 ] && break
done
ping_n 4
ft dump-dp-flows br0
flows=$out
grep -q 'actions:set(tunnel(' <<<"$flows" || fail "no encapsulation megaflow: $flows"
[ "$(grep -c ', tier:hw, ' <<<"$flows")" -ge 2 ] \
    || fail "encapsulation and decapsulation are not both in hw: $flows"
[ "$(ours ftnic0r0)" -ge 1 ] && [ "$(ours $VXDEV)" -ge 1 ] \
    || fail "FlowTier's filters missing: r0 $(ours ftnic0r0), $VXDEV $(ours $VXDEV)"
tc -s filter show dev ftnic0r0 ingress >/tmp/ft/r0.txt
grep -q 'tunnel_key' /tmp/ft/r0.txt && grep -q "Egress Redirect to device $VXDEV" /tmp/ft/r0.txt \
    && grep -q 'in_hw' /tmp/ft/r0.txt || fail "no in_hw encapsulation filter: $(cat /tmp/ft/r0.txt)"
tc -s filter show dev $VXDEV ingress >/tmp/ft/vx.txt
grep -q 'enc_key_id 42' /tmp/ft/vx.txt && grep -q 'in_hw in_hw_count 1' /tmp/ft/vx.txt \
    && grep -q 'unset' /tmp/ft/vx.txt || fail "no in_hw decapsulation filter: $(cat /tmp/ft/vx.txt)"
pass
enc0=$(hw_sum ftnic0r0) dec0=$(hw_sum $VXDEV) rx0=$(ftnic_pkts ftnic0r0 rx)
mf0=$(encap_mf_packets)
ping_n 10
enc1=$(hw_sum ftnic0r0) dec1=$(hw_sum $VXDEV)
# The megaflow counts what the NIC did (unified counters), and does not
# idle out while the NIC carries its packets.
sleep 1.2
mf1=$(encap_mf_packets)
[ $((mf1 - mf0)) -ge 10 ] \
    || fail "the encapsulation megaflow counted $mf0 -> $mf1 for 10 pings in hw"

[ $((enc1 - enc0)) -ge 10 ] && [ $((dec1 - dec0)) -ge 10 ] \
    || fail "the model's counters: encap $enc0 -> $enc1, decap $dec0 -> $dec1"
[ "$(ftnic_pkts ftnic0r0 rx)" = "$rx0" ] \
    || fail "VF0's packets still reach its representor: $rx0 -> $(ftnic_pkts ftnic0r0 rx)"
pass

# --- What the CLI says -------------------------------------------------------
ip netns exec vm0 ping -c 1 -W 1 10.0.7.2 >/dev/null 2>&1
ip netns exec vm0 ping -c 1 -W 1 10.0.8.2 >/dev/null 2>&1
ft dump-dp-flows br0
flows=$out
grep 'tun_id=0x7' <<<"$flows" | grep -q 'tier:user' && grep -q \
    "not in hw: tc: tunnel to 10.99.0.2: its route leaves through dum0, not a port of the e-switch of ftnic0r0" <<<"$flows" \
    || fail "the tunnel off the e-switch is not refused with its route: $flows"
grep 'tun_id=0x8' <<<"$flows" | grep -q 'tier:user' && grep -q \
    "not in hw: tc: tunnel to 192.168.0.77: no neighbour for 192.168.0.77 yet" <<<"$flows" \
    || fail "the tunnel to an unresolved neighbour is not refused with why: $flows"
ft offload show br0
grep -q 'tunnel: encap no, decap yes' <<<"$out" && grep -q 'tunnel: encap yes' <<<"$out" \
    || fail "offload show does not say which ports encapsulate and decapsulate: $out"
pass
# --explain, typed by hand (in software: skip_hw) on a veth and on a VXLAN
# device of its own, makes the filters tc shows for FlowTier's.
ip link add ftx0 type veth peer name ftx1 && ip link set ftx0 up \
    && tc qdisc add dev ftx0 clsact || fail "no veth for the explained lines"
ip link add ftxvx type vxlan external dstport 4799 && tc qdisc add dev ftxvx clsact \
    || fail "no VXLAN device for the explained lines"
ping_n 2    # Both megaflows used just now: none idles out below.
sleep 1
ft dump-dp-flows --explain br0 type=offloaded
n=0
while read -r line; do
    case $line in
        *"dev ftnic0r0 "*) dev=ftnic0r0 hand=ftx0 ;;
        *"dev $VXDEV "*) dev=$VXDEV hand=ftxvx ;;
        *) continue ;;
    esac
    typed=$(sed -e "s/dev $dev ingress/dev $hand ingress/" -e 's/ skip_sw/ skip_hw/' \
            -e 's/ flower / flower skip_hw /' <<<"$line")
    typed=${typed/skip_hw skip_hw/skip_hw}
    eval "$typed" || fail "tc refuses the explained line: $typed"
    want=$(tc filter show dev $dev ingress | grep -E 'enc_|dst_ip|tunnel_key|key_id|redirect|dst_port' \
           | grep -v cookie | sed 's/^[[:space:]]*//' | sort -u)
    got=$(tc filter show dev $hand ingress | grep -E 'enc_|dst_ip|tunnel_key|key_id|redirect|dst_port' \
          | grep -v cookie | sed 's/^[[:space:]]*//' | sort -u)
    while read -r l; do
        grep -qxF -- "$l" <<<"$want" || fail "explained line $typed gives '$l', not in FlowTier's: $want"
    done <<<"$got"
    tc filter del dev $hand ingress
    n=$((n + 1))
done <<<"$(grep -o 'tc filter add dev .*' <<<"$out")"
[ "$n" -ge 2 ] || fail "only $n explained tunnel lines checked: $out
$("$FT" dump-dp-flows br0 2>&1)
$("$FT" dpif-show br0 2>&1)"
pass

# --- The underlay changes -------------------------------------------------
# encap_handles: the handles of the filters on ftnic0r0 that encapsulate
# into VNI 42, one a line.
encap_handles() {
    tc filter show dev ftnic0r0 ingress | awk '
        /^filter .* handle / { for (i = 1; i < NF; i++) if ($i == "handle") h = $(i + 1) }
        /^[[:space:]]*key_id 42$/ { print h }' | sort -u
}
# encap_in_hw: 0 if the one filter into VNI 42 is in the NIC.
encap_in_hw() {
    tc filter show dev ftnic0r0 ingress | awk '
        /^filter / { inhw = 0 } /^[[:space:]]*in_hw / { inhw = 1 }
        /^[[:space:]]*key_id 42$/ { if (inhw) found = 1 }
        END { exit !found }'
}
# rule_packets: n_packets of the rule into vx0.
rule_packets() {
    "$FT" dump-flows br0 | grep 'actions=output:vx0' \
        | sed -nE 's/.*n_packets=([0-9]+),.*/\1/p'
}
sent=0
count_sent() {
    sent=$((sent + $(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$1")))
}
# wait_encap WHAT COND: up to 10 s for COND (a shell command) to hold.
wait_encap() {
    for _ in $(seq 50); do
        eval "$2" && return 0
        sleep 0.2
    done
    fail "$1: $(tc -s filter show dev ftnic0r0 ingress)
$("$FT" dump-dp-flows br0 2>&1)
$(ip neigh show 192.168.0.2; ip route get 192.168.0.2)"
}
ping_n 2
sleep 1.2
n0=$(rule_packets)
h0=$(encap_handles)
[ "$(wc -l <<<"$h0")" = 1 ] && [ -n "$h0" ] && encap_in_hw \
    || fail "not one encapsulation filter in hw: $(tc filter show dev ftnic0r0 ingress)"
# 1. The far end's Ethernet address changes: the NIC's rule took the old
# one, so it must be replaced.
tormac=02:00:00:c0:a8:02
ip -n tor link set ftnic0wire down && ip -n tor link set ftnic0wire address $tormac \
    && ip -n tor link set ftnic0wire up || fail "the far end keeps its address"
ip -n tor neigh replace 192.168.0.1 dev ftnic0wire nud permanent \
    lladdr "$(ip -br link show ftnic0 | awk '{print $3}')"
ip neigh replace 192.168.0.2 dev ftnic0 lladdr $tormac nud permanent
wait_encap "the encapsulation filter is not replaced after a new neighbour" \
    '[ -n "$(encap_handles)" ] && [ "$(encap_handles)" != "$h0" ] && encap_in_hw'
[ "$(encap_handles | wc -l)" = 1 ] || fail "stale encapsulation filters left: $(encap_handles)"
ping_n 10 && count_sent /tmp/ft/ping.txt
pass
# 2. The neighbour goes, and the far end does not answer ARP: the rule
# goes, the megaflow falls back to userspace saying why.
ip -n tor link set ftnic0wire arp off
ip neigh del 192.168.0.2 dev ftnic0
wait_encap "the encapsulation filter stays without a neighbour" '[ -z "$(encap_handles)" ]'
ip netns exec vm0 ping -c 2 -i 0.2 -W 1 10.0.5.2 >/tmp/ft/ping-noarp.txt 2>&1
count_sent /tmp/ft/ping-noarp.txt
ft dump-dp-flows br0
grep 'set(tunnel(tun_id=0x2a,' <<<"$out" | grep -q 'tier:user' && grep -q \
    "not in hw: tc: tunnel to 192.168.0.2: no neighbour for 192.168.0.2 yet" <<<"$out" \
    || fail "the megaflow without a neighbour is not in userspace with why: $out"
[ -z "$(encap_handles)" ] || fail "an encapsulation filter came back without a neighbour"
pass
# 3. ARP answered again: the userspace datapath's packets make the kernel
# resolve the neighbour, and the megaflow goes back to the NIC.
ip -n tor link set ftnic0wire arp on
for _ in $(seq 20); do
    ip netns exec vm0 ping -c 1 -W 2 10.0.5.2 >/tmp/ft/ping-back.txt 2>&1
    count_sent /tmp/ft/ping-back.txt
    [ -n "$(encap_handles)" ] && encap_in_hw && break
    sleep 0.3
done
encap_in_hw || fail "the encapsulation megaflow does not return to hw once resolved: $(ip neigh show 192.168.0.2)
$("$FT" dump-dp-flows br0 2>&1)"
ping_n 10 && count_sent /tmp/ft/ping.txt
pass
# 4. The route changes: a gateway (the far end's second address) becomes
# the next hop.
ip -n tor addr add 192.168.0.3/24 dev ftnic0wire
ip neigh replace 192.168.0.3 dev ftnic0 lladdr $tormac nud permanent
h1=$(encap_handles)
ip route add 192.168.0.2/32 via 192.168.0.3 dev ftnic0
wait_encap "the encapsulation filter is not replaced after a new route" \
    '[ -n "$(encap_handles)" ] && [ "$(encap_handles)" != "$h1" ] && encap_in_hw'
enc0=$(hw_sum ftnic0r0)
ping_n 10 && count_sent /tmp/ft/ping.txt
enc1=$(hw_sum ftnic0r0)
[ $((enc1 - enc0)) -ge 10 ] || fail "the new rule's counters: $enc0 -> $enc1"
ip route del 192.168.0.2/32
# Every packet counted once, whichever tier carried it.
sleep 1.2
n1=$(rule_packets)
[ $((n1 - n0)) = "$sent" ] \
    || fail "the rule into vx0 counted $n0 -> $n1 for $sent packets sent"
pass

# --- TC in software (tc-policy=skip_hw) takes no tunnel here ----------------
# In front of the userspace datapath its rules would need an up VXLAN
# device, which would take UDP port 4789 from it: the megaflows stay in
# userspace, saying so (a datapath_type=system bridge takes them:
# test-kmod-tunnel.sh).
ft set Bridge br0 other_config:tc-policy=skip_hw
sleep 1.2
n0=$(rule_packets) sent=0
ping_n 6 && count_sent /tmp/ft/ping.txt
ft dump-dp-flows br0
why='VXLAN stays in userspace with tc-policy=skip_hw: TC in software needs an up VXLAN device, which would take the UDP port from the userspace datapath \(skip_sw offloads it to a NIC; datapath_type=system takes it\)'
grep 'set(tunnel(tun_id=0x2a,' <<<"$out" | grep 'tier:user' \
    | grep -qE "not in kernel: tc: tunnel to 192.168.0.2: $why" \
    || fail "the encapsulation megaflow is not refused by TC in software with why: $out"
grep '^tunnel(tun_id=0x2a,' <<<"$out" | grep 'tier:user' \
    | grep -qE "not in kernel: tc: port vx0: $why" \
    || fail "the decapsulation megaflow is not refused by TC in software with why: $out"
ft offload show br0
grep -qE "tc-sw \(kernel tier\): no offload: tc: port vx0: $why" <<<"$out" \
    || fail "offload show does not say why vx0 is not in TC in software: $out"
tc filter show dev ftnic0r0 ingress | grep -q tunnel_key \
    && fail "a tunnel filter on ftnic0r0 with tc-policy=skip_hw: $(tc filter show dev ftnic0r0 ingress)"
sleep 1.2
n1=$(rule_packets)
[ $((n1 - n0)) = "$sent" ] \
    || fail "with tc-policy=skip_hw the rule into vx0 counted $n0 -> $n1 for $sent packets sent"
ft set Bridge br0 other_config:tc-policy=skip_sw
pass

# --- kill -9, restart, clean stop -----------------------------------------
old=$(cat /sys/class/net/$VXDEV/ifindex)
kill -9 "$(cat $FLOWTIER_RUNDIR/flowtierd.pid)"
sleep 0.5
[ -e /sys/class/net/$VXDEV ] || fail "a killed daemon's device vanished by itself"
start_daemon
sleep 1
[ -e /sys/class/net/$VXDEV ] || fail "no $VXDEV after the restart"
[ "$(cat /sys/class/net/$VXDEV/ifindex)" != "$old" ] \
    || fail "the killed daemon's $VXDEV was kept as it was"
ip -d link show $VXDEV | grep -q "alias FlowTier pid $(cat $FLOWTIER_RUNDIR/flowtierd.pid)" \
    || fail "$VXDEV after the restart is not the new daemon's"
ping_n 4
pass
kill -TERM "$(cat $FLOWTIER_RUNDIR/flowtierd.pid)"
for _ in $(seq 50); do
    [ -e "$FLOWTIER_RUNDIR/flowtierd.pid" ] || break
    sleep 0.1
done
[ -e /sys/class/net/$VXDEV ] && fail "$VXDEV left after a clean stop"
[ "$(ours ftnic0r0)" = 0 ] || fail "filters left on ftnic0r0 after a clean stop"
[ -e /sys/class/net/ft_vxlan_4790 ] || fail "the hand-made ft_vxlan_4790 is gone"
pass

ip link del ftx0
ip link del ftxvx
ip link del ft_vxlan_4790
ip link del dum0
ftnic_unload_clean
vm_done
