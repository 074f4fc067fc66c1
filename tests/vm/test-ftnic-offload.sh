#!/bin/bash
# The SmartNIC model (tests/ftnic/) with rules offloaded through TC flower
# (skip_sw: they exist only in the model).  VF0 and VF1 ping each other
# through two redirect rules while their representors' counters stay
# still and tc shows the packets on the rules as hardware counts; with the
# rules gone, nothing forwards.  Then the other actions: drop, mirror to a
# VF, redirect to a representor (the host).  Then the model's rewrites:
# pedit of the IPv4 destination and UDP port (the receiver's stack checks
# the fixed checksum), a VLAN pushed toward the wire and popped on the way
# back, and VXLAN encapsulation and decapsulation with a VXLAN device
# behind the wire (encap refused first while the tunnel's neighbour or
# route is missing).
#
# usage: test-ftnic-offload.sh FTNIC.KO   (runs as root; boots the VM)
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"
ko=$1

ftnic_load "$ko" || exit 1
ftnic_ns vm0 ftnic0vf0 10.0.0.1/24
ftnic_ns vm1 ftnic0vf1 10.0.0.2/24
for d in ftnic0r0 ftnic0r1 ftnic0; do
    ip link set "$d" up
    tc qdisc add dev "$d" ingress || fail "no ingress qdisc on $d"
done

# --- VF0 <-> VF1 through two rules in the model --------------------------
tc filter add dev ftnic0r0 ingress pref 10 protocol all flower skip_sw \
    action mirred egress redirect dev ftnic0r1 || fail "rule r0 -> r1 refused"
tc filter add dev ftnic0r1 ingress pref 10 protocol all flower skip_sw \
    action mirred egress redirect dev ftnic0r0 || fail "rule r1 -> r0 refused"
for d in ftnic0r0 ftnic0r1; do
    tc filter show dev $d ingress | grep -q 'in_hw in_hw_count 1' \
        || fail "the rule on $d is not in hardware"
done
pass

before=$(for d in ftnic0r0 ftnic0r1; do ftnic_pkts $d rx; ftnic_pkts $d tx; done)
ip netns exec vm0 ping -c 5 -i 0.2 -W 2 10.0.0.2 \
    || fail "VF0 cannot ping VF1 through the offloaded rules"
after=$(for d in ftnic0r0 ftnic0r1; do ftnic_pkts $d rx; ftnic_pkts $d tx; done)
[ "$before" = "$after" ] \
    || fail "representor counters moved: $(echo $before) -> $(echo $after)"
pass
for d in ftnic0r0 ftnic0r1; do
    n=$(ftnic_hw_pkts $d 10)
    [ "${n:-0}" -ge 5 ] || fail "tc shows ${n:-no} hardware packets on $d's rule"
    tc -s filter show dev $d ingress | grep -q 'Sent software 0 bytes 0 pkt' \
        || fail "packets counted in software on $d's skip_sw rule"
done
pass

# Priority across masks (the model looks rules up per mask): a narrower
# rule before pref 10 wins, whichever was added first; after it, it
# never sees a packet.
tc filter add dev ftnic0r0 ingress pref 5 protocol ip flower skip_sw \
    ip_proto icmp dst_ip 10.0.0.2 action drop || fail "pref 5 drop refused"
ip netns exec vm0 ping -c 2 -i 0.3 -W 1 10.0.0.2 >/dev/null \
    && fail "VF0 reaches VF1 past the pref 5 drop rule"
n=$(ftnic_hw_pkts ftnic0r0 5)
[ "${n:-0}" -ge 2 ] || fail "the pref 5 rule counted ${n:-no} packets"
tc filter del dev ftnic0r0 ingress pref 5 || fail "cannot delete a rule"
tc filter add dev ftnic0r0 ingress pref 20 protocol ip flower skip_sw \
    ip_proto icmp dst_ip 10.0.0.2 action drop || fail "pref 20 drop refused"
ip netns exec vm0 ping -c 2 -i 0.3 -W 2 10.0.0.2 >/dev/null \
    || fail "the pref 20 drop rule took packets from the pref 10 rule"
n=$(ftnic_hw_pkts ftnic0r0 20)
[ "${n:-0}" = 0 ] || fail "the pref 20 rule counted $n packets behind pref 10"
tc filter del dev ftnic0r0 ingress pref 20 || fail "cannot delete a rule"
pass

tc filter del dev ftnic0r0 ingress pref 10 || fail "cannot delete a rule"
tc filter del dev ftnic0r1 ingress pref 10 || fail "cannot delete a rule"
r0_rx=$(ftnic_pkts ftnic0r0 rx)
ip netns exec vm0 ping -c 2 -i 0.3 -W 1 10.0.0.2 >/dev/null \
    && fail "VF0 still reaches VF1 after the rules are gone"
[ "$(ftnic_pkts ftnic0r0 rx)" -gt "$r0_rx" ] \
    || fail "without rules, VF0's packets do not reach its representor"
pass

# --- drop, mirror, and redirect to the host ----------------------------
ftnic_ns vm2 ftnic0vf2 10.0.0.3/24
ip link set ftnic0r2 up
ip link set ftnic0r3 up
tc filter add dev ftnic0r1 ingress pref 10 protocol all flower skip_sw \
    action mirred egress redirect dev ftnic0r0 || fail "rule r1 -> r0 refused"
# Static neighbours: only the pings below hit the rules.
ip -n vm0 neigh replace 10.0.0.2 dev ftnic0vf0 nud permanent \
    lladdr "$(ip -n vm1 -br link show ftnic0vf1 | awk '{print $3}')"
ip -n vm1 neigh replace 10.0.0.1 dev ftnic0vf1 nud permanent \
    lladdr "$(ip -n vm0 -br link show ftnic0vf0 | awk '{print $3}')"
tc filter add dev ftnic0r0 ingress pref 40 protocol ip flower skip_sw \
    ip_proto icmp dst_ip 10.0.0.2 action drop || fail "drop rule refused"
ip netns exec vm0 ping -c 2 -i 0.3 -W 1 10.0.0.2 >/dev/null \
    && fail "ping passed a drop rule"
[ "$(ftnic_hw_pkts ftnic0r0 40)" = 2 ] || fail "the drop rule did not count 2 packets"
tc filter del dev ftnic0r0 ingress pref 40
tc filter add dev ftnic0r0 ingress pref 41 protocol ip flower skip_sw \
    dst_ip 10.0.0.2 action mirred egress mirror dev ftnic0r2 pipe \
    action mirred egress redirect dev ftnic0r1 || fail "mirror rule refused"
vf2_rx=$(ftnic_pkts ftnic0vf2 rx vm2)
ip netns exec vm0 ping -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null \
    || fail "ping through a mirror and a redirect failed"
[ "$(ftnic_pkts ftnic0vf2 rx vm2)" -ge $((vf2_rx + 3)) ] \
    || fail "VF2 did not receive the mirrored copies"
tc filter del dev ftnic0r0 ingress pref 41
tc filter add dev ftnic0r0 ingress pref 42 protocol ip flower skip_sw \
    dst_ip 10.0.0.2 action mirred ingress redirect dev ftnic0r3 \
    || fail "redirect to a representor refused"
r3_rx=$(ftnic_pkts ftnic0r3 rx)
ip netns exec vm0 ping -c 2 -i 0.3 -W 1 10.0.0.2 >/dev/null \
    && fail "ping passed a rule sending it to the host"
[ "$(ftnic_pkts ftnic0r3 rx)" = $((r3_rx + 2)) ] \
    || fail "the host did not receive 2 packets on ftnic0r3"
tc filter del dev ftnic0r0 ingress pref 42
pass

# --- pedit with checksum fixes ------------------------------------------
vf1_mac=$(ip -n vm1 -br link show ftnic0vf1 | awk '{print $3}')
vf0_mac=$(ip -n vm0 -br link show ftnic0vf0 | awk '{print $3}')
ip -n vm0 neigh add 10.0.0.99 lladdr "$vf1_mac" dev ftnic0vf0 nud permanent
tc filter add dev ftnic0r0 ingress pref 20 protocol ip flower skip_sw \
    ip_proto udp dst_ip 10.0.0.99 dst_port 80 \
    action pedit ex munge ip dst set 10.0.0.2 munge udp dport set 8080 pipe \
    action csum ip4h udp pipe \
    action mirred egress redirect dev ftnic0r1 || fail "pedit rule refused"
ip netns exec vm1 socat -u UDP4-RECV:8080 OPEN:/tmp/udp-got,creat,trunc &
rcv=$!
sleep 0.5
echo "through the model" | ip netns exec vm0 socat -u - UDP4-SENDTO:10.0.0.99:80
for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -s /tmp/udp-got ] && break
    sleep 0.3
done
kill $rcv 2>/dev/null
grep -qx "through the model" /tmp/udp-got 2>/dev/null \
    || fail "the rewritten UDP datagram did not arrive (bad checksum or rewrite)"
[ "$(ftnic_hw_pkts ftnic0r0 20)" = 1 ] || fail "the pedit rule did not count 1 packet"
pass

# --- VLAN push toward the wire, pop on the way back ---------------------
ftnic_ns tor ftnic0wire 10.9.9.9/32
ip -n tor link add link ftnic0wire name wire.100 type vlan id 100 \
    || fail "no VLAN device in the wire's namespace"
ip -n tor addr add 10.0.1.2/24 dev wire.100
ip -n tor link set wire.100 up
ip -n vm0 addr add 10.0.1.1/24 dev ftnic0vf0
wire_mac=$(ip -n tor -br link show ftnic0wire | awk '{print $3}')
ip -n vm0 neigh add 10.0.1.2 lladdr "$wire_mac" dev ftnic0vf0 nud permanent
ip -n tor neigh add 10.0.1.1 lladdr "$vf0_mac" dev wire.100 nud permanent
tc filter add dev ftnic0r0 ingress pref 30 protocol ip flower skip_sw \
    dst_ip 10.0.1.2 action vlan push id 100 \
    action mirred egress redirect dev ftnic0 || fail "VLAN push rule refused"
tc filter add dev ftnic0 ingress pref 30 protocol 802.1q flower skip_sw \
    vlan_id 100 vlan_ethtype ip action vlan pop \
    action mirred egress redirect dev ftnic0r0 || fail "VLAN pop rule refused"
ip netns exec vm0 ping -c 3 -i 0.2 -W 2 10.0.1.2 \
    || fail "VF0 cannot reach VLAN 100 on the wire through push and pop"
[ "$(ftnic_hw_pkts ftnic0r0 30)" -ge 3 ] || fail "the push rule did not count"
[ "$(ftnic_hw_pkts ftnic0 30)" -ge 3 ] || fail "the pop rule did not count"
pass

# --- VXLAN encapsulation and decapsulation in the model ----------------
# VF0 (10.0.5.1) reaches 10.0.5.2 behind a VXLAN device in the wire's
# namespace: the model encapsulates toward 192.168.0.2 out of the uplink,
# and decapsulates the replies by a rule on the host's VXLAN device
# (offered to the model through an indirect flow block).  Then, with that
# rule gone, the host's VXLAN device decapsulates them in software.
ip -n vm0 addr add 10.0.5.1/24 dev ftnic0vf0
ip -n tor addr add 192.168.0.2/24 dev ftnic0wire
ip -n tor link add vx42 type vxlan id 42 local 192.168.0.2 remote 192.168.0.1 \
    dstport 4789 dev ftnic0wire || fail "no VXLAN device in the wire's namespace"
ip -n tor addr add 10.0.5.2/24 dev vx42
ip -n tor link set vx42 up
ip addr add 192.168.0.1/24 dev ftnic0
ip link add vxlan0 type vxlan external dstport 4789 || fail "no host VXLAN device"
ip link set vxlan0 up
tc qdisc add dev vxlan0 ingress
# 6.1 takes no skip_sw rule on a device reached through indirect blocks
# (it counts it as a device that cannot offload): decap rules are in the
# model and in software both, and the model's copy is the one that runs.
tc filter add dev vxlan0 ingress pref 1 protocol ip flower \
    enc_key_id 42 action tunnel_key unset action drop || fail "sw rule refused"
tc filter show dev vxlan0 ingress | grep -q not_in_hw \
    || fail "a decap rule without a redirect to a representor is in hardware"
tc filter del dev vxlan0 ingress pref 1
tc filter add dev vxlan0 ingress pref 1 protocol ip flower \
    enc_src_ip 192.168.0.2 enc_dst_ip 192.168.0.1 enc_dst_port 4789 \
    enc_key_id 42 dst_ip 10.0.5.1 \
    action tunnel_key unset action mirred egress redirect dev ftnic0r0 \
    || fail "decap rule refused"
tc filter show dev vxlan0 ingress | grep -q 'in_hw in_hw_count 1' \
    || fail "the decap rule is not in hardware"

# 192.168.0.77 is on the uplink's subnet, and nobody there answers ARP.
out=$(tc filter add dev ftnic0r0 ingress pref 50 protocol ip flower skip_sw \
      dst_ip 10.0.5.2 action tunnel_key set src_ip 192.168.0.1 \
      dst_ip 192.168.0.77 id 42 dst_port 4789 \
      action mirred egress redirect dev vxlan0 2>&1) \
    && fail "encap rule taken with the tunnel neighbour unresolved"
case $out in
    *"ftnic: cannot offload tunnel_key set: the tunnel destination's neighbour is not resolved"*) ;;
    *) fail "unresolved neighbour: got '$out'" ;;
esac
out=$(tc filter add dev ftnic0r0 ingress pref 50 protocol ip flower skip_sw \
      dst_ip 10.0.5.2 action tunnel_key set src_ip 192.168.0.1 \
      dst_ip 172.31.0.1 id 42 dst_port 4789 \
      action mirred egress redirect dev vxlan0 2>&1) \
    && fail "encap rule taken without a route to the tunnel destination"
case $out in
    *"ftnic: cannot offload tunnel_key set: no route to the tunnel destination"*) ;;
    *) fail "no route: got '$out'" ;;
esac
pass

wire_mac=$(ip -n tor -br link show ftnic0wire | awk '{print $3}')
ip neigh replace 192.168.0.2 lladdr "$wire_mac" dev ftnic0 nud permanent
ip -n tor neigh replace 192.168.0.1 dev ftnic0wire nud permanent \
    lladdr "$(ip -br link show ftnic0 | awk '{print $3}')"
ip -n vm0 neigh replace 10.0.5.2 dev ftnic0vf0 nud permanent \
    lladdr "$(ip -n tor -br link show vx42 | awk '{print $3}')"
ip -n tor neigh replace 10.0.5.1 lladdr "$vf0_mac" dev vx42 nud permanent
tc filter add dev ftnic0r0 ingress pref 50 protocol ip flower skip_sw \
    dst_ip 10.0.5.2 action tunnel_key set src_ip 192.168.0.1 \
    dst_ip 192.168.0.2 id 42 dst_port 4789 \
    action mirred egress redirect dev vxlan0 || fail "encap rule refused"
tc filter show dev ftnic0r0 ingress pref 50 | grep -q 'in_hw in_hw_count 1' \
    || fail "the encap rule is not in hardware"
# Counts, in software, what of VF0's traffic to 10.0.5.2 reaches the host
# (other frames a VF sends now and then would blur the plain counters).
tc filter add dev ftnic0r0 ingress pref 61 protocol ip flower skip_hw \
    dst_ip 10.0.5.2 action pass || fail "counting rule refused"
vx_rx=$(ftnic_pkts vx42 rx tor)
ip netns exec vm0 ping -c 3 -i 0.2 -W 2 10.0.5.2 \
    || fail "VF0 cannot reach 10.0.5.2 over VXLAN through the model"
[ "$(ftnic_hw_pkts ftnic0r0 50)" -ge 3 ] || fail "the encap rule did not count"
[ "$(ftnic_hw_pkts vxlan0 1)" -ge 3 ] || fail "the decap rule did not count"
# The host's VXLAN device decapsulated none of the replies (other frames
# the far VXLAN device sends, broadcasts say, may reach it: the decap
# rule does not cover them).
tc -s filter show dev vxlan0 ingress | grep -q 'Sent software 0 bytes 0 pkt' \
    || fail "the decap rule ran in software, not in the model"
[ "$(ftnic_sw_pkts ftnic0r0 61)" = 0 ] \
    || fail "VF0's packets reached its representor with encap offloaded"
[ "$(ftnic_pkts vx42 rx tor)" -ge $((vx_rx + 3)) ] \
    || fail "the far VXLAN device did not decapsulate the model's packets"
pass

# Decap rules go with their block; the host's VXLAN device then
# decapsulates the replies the model hands it on the uplink representor.
tc qdisc del dev vxlan0 ingress
tc qdisc add dev vxlan0 ingress
tc filter add dev vxlan0 ingress pref 1 protocol ip flower skip_hw \
    enc_key_id 42 action tunnel_key unset \
    action mirred egress redirect dev ftnic0r0 || fail "skip_hw decap rule refused"
# Counts, in software, the VXLAN packets that reach the host.
tc filter add dev ftnic0 ingress pref 60 protocol ip flower skip_hw \
    ip_proto udp dst_port 4789 action pass || fail "counting rule refused"
ip netns exec vm0 ping -c 2 -i 0.3 -W 2 10.0.5.2 >/dev/null \
    || fail "VF0 cannot reach 10.0.5.2 with decap in software"
[ "$(ftnic_sw_pkts ftnic0 60)" -ge 2 ] \
    || fail "without the decap rule, VXLAN replies do not reach the host"
pass

ftnic_unload_clean
vm_done
