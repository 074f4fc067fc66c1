#!/bin/bash
# FlowTier's hw tier through DPDK rte_flow, against a real rte_flow
# implementation: DPDK's net_tap driver in the Debian kernel VM, whose
# rte_flow rules are TC flower filters on its tap device (on the root
# multiq qdisc: what the kernel transmits on the tap is what the DPDK
# port receives).  A bridge with a net_tap port and hw-offload=true:
# the rte_flow provider serves the port, the first frames reach the
# userspace datapath, then the drop megaflow goes to rte_flow (net_tap
# has no COUNT: the rule is made without it), dump-dp-flows says
# offloaded:yes, dp:rte_flow with its testpmd line, tc shows net_tap's
# filter for it counting the frames, and the port's own receive counter
# stops moving while frames go on.  Deleting the OpenFlow rule removes the
# filter.  Then a VXLAN port behind dtap0: its decapsulating megaflow is
# offered to net_tap, whose refusal (no VXLAN item) dump-dp-flows shows.
# DPDK runs without hugepages (the daemon's default EAL arguments).  One
# boot.
#
# usage: test-dpdk-tap.sh FLOWTIER FLOWTIERD  (root; boots the VM)
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
export FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-240}
vm_init "$@"
FT=$1 FTD=$2

export FLOWTIER_RUNDIR=/tmp/ft/run FLOWTIER_DBDIR=/tmp/ft/db
mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR"

ft() {
    out=$("$FT" "$@" 2>&1) || fail "flowtier $*: $out"
}
# rx: packets the DPDK port received (dump-ports).
rx() {
    "$FT" dump-ports br0 d0 | sed -nE 's/.* rx pkts=([0-9]+),.*/\1/p'
}
# taps: net_tap's flower filters on dtap0 (its rules live on the root
# qdisc 1:, not on ingress).
taps() {
    tc -s filter show dev dtap0 parent 1: 2>&1
}
# send N: N frames of an unassigned EtherType from the kernel into dtap0,
# which the DPDK port receives.  (Not IP: an IP megaflow matches the
# fragment bits, which net_tap cannot match.)
send() {
    /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("dtap0", 0))
for i in range(int(sys.argv[1])):
    s.send(bytes.fromhex("020000000902" "020000000901" "88b5") + bytes(50))
' "$1" || fail "cannot send into dtap0"
}

sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 || fail "cannot turn IPv6 off"
# net_tap's rte_flow needs multiq for its queues and flower for its rules.
vm_modprobe tun sch_multiq sch_prio cls_flower act_gact act_mirred \
    act_skbedit

"$FTD" --detach --no-fsync --log-file=/tmp/ft/flowtierd.log \
    || fail "flowtierd did not start: $(tail -5 /tmp/ft/flowtierd.log)"
# net_tap has no COUNT: its rules' counters stay at zero, so keep the
# megaflow from expiring as idle while the test runs.
ft add-br br0 -- set Bridge br0 other_config:hw-offload=true \
    other_config:max-idle=120000
ft add-port br0 d0 -- set Interface d0 type=dpdk \
    options:dpdk-devargs=net_tap0,iface=dtap0
ip link set dtap0 up || fail "no dtap0"
ft offload show br0
grep -A2 'port 1 d0 (type dpdk)' <<<"$out" \
    | grep -q '^    rte_flow (hw tier): serves it$' || fail "rte_flow refused d0: $out"
pass
ft add-flow br0 'priority=100,dl_dst=02:00:00:00:09:02,dl_type=0x88b5,actions=drop'

# The first frames reach the daemon: a miss, then the megaflow.
send 2
for i in $(seq 50); do
    [ "$(rx)" = 2 ] && break
    sleep 0.1
done
[ "$(rx)" = 2 ] || fail "d0 received $(rx) of the first 2 frames"
pass
for i in $(seq 50); do
    ft dump-dp-flows br0
    grep -q 'offloaded:yes' <<<"$out" && break
    sleep 0.1
done
grep -qE '^in_port=1,dl_dst=02:00:00:00:09:02,dl_type=0x88b5, .*offloaded:yes, dp:rte_flow, tier:hw, actions:drop$' \
    <<<"$out" || fail "the drop megaflow is not in rte_flow: $out"
pass
ft dump-dp-flows br0 type=rte_flow
grep -q 'dp:rte_flow' <<<"$out" || fail "type=rte_flow lists none: $out"
ft dump-dp-flows --explain br0
grep -qE '^  rte_flow: flow create [0-9]+ ingress pattern eth dst is 02:00:00:00:09:02 type is 0x88b5 / end actions count / drop / end$' \
    <<<"$out" || fail "no testpmd line: $out"
pass
out=$(taps)
grep -q 'dst_mac 02:00:00:00:09:02' <<<"$out" && grep -q 'eth_type 88b5' <<<"$out" \
    && grep -q 'gact action drop' <<<"$out" \
    || fail "net_tap installed no flower filter dropping the frames: $out"
pass

# Now the frames stop in TC: the port receives nothing more, and the
# filter counts them.
send 7
sleep 0.5
[ "$(rx)" = 2 ] || fail "d0 received $(( $(rx) - 2 )) frames the rule drops"
out=$(taps)
grep -q 'Sent [0-9]* bytes 7 pkt (dropped 7' <<<"$out" \
    || fail "the filter did not count the 7 frames: $out"
pass

# The rule goes, its filter goes, and the frames reach the port again.
ft del-flows br0 dl_type=0x88b5
for i in $(seq 50); do
    taps | grep -q flower || break
    sleep 0.1
done
taps | grep -q 'gact action drop' && fail "the filter stayed: $(taps)"
send 3
for i in $(seq 50); do
    [ "$(rx)" = 5 ] && break
    sleep 0.1
done
[ "$(rx)" = 5 ] || fail "d0 received $(( $(rx) - 2 )) of 3 frames after the rule went"
pass

# VXLAN decapsulation: a VXLAN port whose remote lies behind dtap0 (the
# route to 10.9.0.2 leaves through d0's device).  Its megaflow becomes a
# rule of d0 (ETH / IPV4 / UDP / VXLAN, VXLAN_DECAP, DROP) that net_tap,
# which has no VXLAN item, refuses: its words ("item not supported", DPDK
# 22.11) reach dump-dp-flows, and the userspace datapath decapsulates.  TC stays off the port so that
# rte_flow is the hw tier's provider that answers for it.
ip addr add 10.9.0.1/24 dev dtap0 || fail "cannot address dtap0"
ft add-port br0 vx0 -- set Interface vx0 type=vxlan \
    options:remote_ip=10.9.0.2 options:key=100 \
    other_config:tc-policy=skip_hw
ft offload show br0
sed -n '/ vx0 (type vxlan)$/,/^    flows:/p' <<<"$out" \
    | grep -q '^    rte_flow (hw tier): serves it$' || fail "rte_flow refused vx0: $out"
ft add-flow br0 'priority=100,in_port=2,dl_type=0x88b5,actions=drop'
# A VXLAN packet from 10.9.0.2, VNI 100, delivered locally to the daemon's
# UDP socket (a raw socket may give any source).
/usr/bin/python3 -c '
import socket
inner = bytes.fromhex("020000000902" "020000000901" "88b5") + bytes(50)
vx = bytes.fromhex("08000000") + (100).to_bytes(3, "big") + bytes(1)
n = 8 + len(vx) + len(inner)
udp = (49999).to_bytes(2, "big") + (4789).to_bytes(2, "big") + n.to_bytes(2, "big") + bytes(2)
ip = bytes([0x45, 0]) + (20 + n).to_bytes(2, "big") + bytes(4) + bytes([64, 17]) \
    + bytes(2) + socket.inet_aton("10.9.0.2") + socket.inet_aton("10.9.0.1")
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp + vx + inner, ("10.9.0.1", 0))
' || fail "cannot send the VXLAN packet"
for i in $(seq 50); do
    ft dump-dp-flows br0
    grep -q 'tun_id=0x64' <<<"$out" && break
    sleep 0.1
done
line=$(grep 'tun_id=0x64' <<<"$out")
echo "decapsulation megaflow: $line"
grep -qE '^tunnel\(tun_id=0x64,src=10\.9\.0\.2,dst=10\.9\.0\.1,flags\(\+key\)\),in_port=2,.*tier:user, not in hw: rte_flow: vxlan port vx0 on port d0: item not supported \(Operation not supported\), .*actions:drop$' \
    <<<"$line" || fail "no decapsulation megaflow with net_tap's refusal: $out"
# Linux 6.1 takes the reuseport program that tells the outer flags.
ft dpif-show br0
grep -q '^  vxlan receive sockets: 4 (outer DF and UDP checksum seen)$' \
    <<<"$out" || fail "the outer flags of received packets are not seen: $out"
# ... and sorts each combination of DF and UDP checksum onto its socket
# here as on the build machine's kernel (the unit test, run in the guest).
rxtest=$(dirname "$(dirname "$(readlink -f "$FT")")")/tests/unit/test-vxlan-rx
[ -x "$rxtest" ] || fail "no $rxtest (build the unit tests)"
o=$("$rxtest" 2>&1) || fail "test-vxlan-rx on $(uname -r): $o"
ft dump-dp-flows --explain br0
grep -qE '^  rte_flow: flow create [0-9]+ ingress pattern eth type is 0x0800 / ipv4 src is 10\.9\.0\.2 dst is 10\.9\.0\.1 proto is 17 .*/ udp dst is 4789 .*/ vxlan vni is 100 / eth .*type is 0x88b5 / end actions count / vxlan_decap / drop / end$' \
    <<<"$out" || fail "no testpmd line for the decapsulation: $out"
pass

kill -TERM "$(cat "$FLOWTIER_RUNDIR/flowtierd.pid")"
vm_done
