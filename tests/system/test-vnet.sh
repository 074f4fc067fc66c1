#!/bin/bash
# System test: TCP with checksum offload and TSO on, through the switch
# (virtio-net headers on the AF_PACKET and tap ports).  The VMs keep
# their veths' default offloads, so they send partial checksums and
# super-frames of up to 64 KiB:
#   1. 8 MiB over TCP vm1 -> vm2 (NORMAL) arrive intact (SHA-256), and
#      the frames vnet1 received average well above one MTU (super-frames
#      crossed whole);
#   2. the same through two bridges with a VLAN pushed on br0 and popped
#      on br1, the destination address and port rewritten on the way
#      (vm1 talks to 10.0.0.99:6000, vm3 listens on 10.0.0.3:7000) and the
#      source rewritten back: partial checksums kept right across VLAN
#      push/pop and address and port rewrites (vnet3 has checksum offload
#      off, so the kernel completes them and vm3 checks them);
#   3. a "guest" attaches to a tap port as QEMU's virtio-net does and
#      writes one 20,000-byte TCP super-frame: vm1 receives it cut into
#      MTU-sized segments with right checksums and contiguous sequence
#      numbers, and the payload intact (the port to vm1 has TSO off, so
#      the kernel segments on FlowTier's behalf);
#   4. 4 MiB over TCP from vm1 to vm4 behind a DPDK port (net_af_packet):
#      the switch segments and completes checksums in software;
#   5. vnet_hdr=false on a port falls back to completing checksums on
#      receive (a small TCP transfer works), and vnet_hdr=maybe is refused.
#
# FT_VNET_MIB (default 8) sets the size of the larger transfers (the VM
# runs, tests/vm/test-vnet.sh, use less).
#
# usage: test-vnet.sh FLOWTIER FLOWTIERD VNET_FRAMES
set -u
MIB=${FT_VNET_MIB:-8}
VNET_FRAMES=$(readlink -f "$3")
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$1" "$2" "$VNET_FRAMES"
sys_need socat sha256sum ethtool
sys_start_daemon

# offloads_on VM: checksum offload, TSO and GSO back on in VM's eth0.
offloads_on() {
    in_vm "$1" ethtool -K eth0 tx on tso on gso on >/dev/null \
        || fail "ethtool -K eth0 tx on tso on gso on failed in $1"
}

ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet1 br0
sys_add_vm vm2 10.0.0.2 vnet2 br0
offloads_on vm1
offloads_on vm2

# 1. NORMAL, super-frames both ways.
ping_ok vm1 10.0.0.2
sys_tcp_transfer vm1 10.0.0.2 5001 vm2 5001 "$MIB"
avg=$(sys_port_avg_rx br0 vnet1)
[ "${avg:-0}" -gt 1600 ] \
    || fail "vnet1 received frames of $avg bytes on average: no super-frames"
pass

# 2. VLAN push/pop and address/port rewrites on super-frames.
ft 0 add-br br1
ip link add patch0 type veth peer name patch1
ip link set patch0 up
ip link set patch1 up
ft 0 add-port br0 patch0 -- set Interface patch0 ofport_request=10
ft 0 add-port br1 patch1 -- set Interface patch1 ofport_request=11
sys_add_vm vm3 10.0.0.3 vnet3 br1 -- set Interface vnet3 ofport_request=3
offloads_on vm3
# vm3's side of the veth completes what it sends in software (no checksum
# offload, no TSO): vm3 then checks every checksum, pseudo-header included,
# where the rewrites changed it.
ethtool -K vnet3 tx off >/dev/null || fail "ethtool -K vnet3 tx off failed"
in_vm vm1 ip neigh replace 10.0.0.99 lladdr 02:00:00:00:00:03 dev eth0
in_vm vm3 ip neigh replace 10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0
ft 0 add-flow br0 'priority=100,tcp,nw_dst=10.0.0.99,tp_dst=6000,actions=mod_nw_dst:10.0.0.3,mod_tp_dst:7000,mod_vlan_vid:100,output:10'
ft 0 add-flow br0 'priority=100,in_port=10,dl_vlan=100,tcp,actions=strip_vlan,mod_nw_src:10.0.0.99,mod_tp_src:6000,NORMAL'
ft 0 add-flow br1 'priority=100,in_port=11,dl_vlan=100,actions=strip_vlan,output:3'
ft 0 add-flow br1 'priority=100,in_port=3,actions=mod_vlan_vid:100,output:11'
sys_tcp_transfer vm1 10.0.0.99 6000 vm3 7000 "$MIB"
avg=$(sys_port_avg_rx br1 patch1)
[ "${avg:-0}" -gt 1600 ] \
    || fail "patch1 received frames of $avg bytes on average: no super-frames"
pass

# 3. A guest's TSO super-frame through a tap port.
ft 0 add-port br0 tap0 -- set Interface tap0 type=tap
ethtool -K vnet1 tso off gso off tx off >/dev/null \
    || fail "ethtool -K vnet1 tso off gso off tx off failed"
in_vm vm1 "$VNET_FRAMES" recv eth0 10.0.0.77 10 >"$SYS_T/recv.out" \
    2>"$SYS_T/recv.err" &
rpid=$!
for i in $(seq 50); do
    grep -q ready "$SYS_T/recv.out" 2>/dev/null && break
    sleep 0.1
done
sent=$("$VNET_FRAMES" send tap0 02:00:00:00:00:4d 02:00:00:00:00:01 \
           10.0.0.77 10.0.0.1 20000 1400) || fail "vnet-frames send failed"
wait "$rpid" || fail "segments of the tap's super-frame: $(cat \
    "$SYS_T/recv.err" "$SYS_T/recv.out")"
got=$(tail -1 "$SYS_T/recv.out")
[ "${got#* bytes }" = "${sent#bytes }" ] \
    || fail "tap super-frame: sent '$sent', received '$got'"
n_seg=$(awk '{ print $2 }' <<<"$got")
[ "$n_seg" -ge 14 ] || fail "tap super-frame: $n_seg segments, expected 15"
pass
ethtool -K vnet1 tso on gso on tx on >/dev/null

# 4. To a DPDK port: segmented and completed in software.
ip netns add "${SYS_NS_PREFIX}vm4" || fail "cannot create namespace vm4"
ip link add vdpdk type veth peer name eth0 netns "${SYS_NS_PREFIX}vm4"
in_vm vm4 ip link set eth0 address 02:00:00:00:00:04
in_vm vm4 ip addr add 10.0.0.4/24 dev eth0
in_vm vm4 ip link set lo up
in_vm vm4 ip link set eth0 up
# net_af_packet gives DPDK no offloads: what vm4 sends must be complete.
in_vm vm4 ethtool -K eth0 tx off >/dev/null
ip link set vdpdk up
ft 0 add-port br0 vdpdk -- set Interface vdpdk type=dpdk \
    options:dpdk-devargs=net_af_packet0,iface=vdpdk
ping_ok vm1 10.0.0.4
sys_tcp_transfer vm1 10.0.0.4 5004 vm4 5004 $(((MIB + 1) / 2))

# 5. Without virtio-net headers.
ft 1 add-port br0 vbad -- set Interface vbad options:vnet_hdr=maybe
expect_err 'vnet_hdr=maybe must be true or false'
sys_add_vm vm5 10.0.0.5 vnet5 br0 -- set Interface vnet5 options:vnet_hdr=false
ping_ok vm5 10.0.0.2
in_vm vm5 ethtool -K eth0 tx on tso off >/dev/null
sys_tcp_transfer vm5 10.0.0.2 5005 vm2 5005 1

sys_done
