#!/bin/bash
# System test: generic receive offload on the veths the switch attaches
# (swpath/netdev-afpacket.c, "Generic receive offload").  The VMs send
# with checksum offload and TSO off (sys_add_vm), so every TCP segment
# leaves them at most one MTU long:
#   1. a port on a veth turns GRO on in it while it is a port, and the
#      device's own setting (off) comes back when the port is deleted;
#   2. 8 MiB over TCP vm1 -> vm2 arrive intact (SHA-256: vm2 checks every
#      checksum), and the frames vnet1 received average well above one
#      MTU: the kernel coalesced the segments before the switch, which
#      sent them on whole and had them cut again for vm2;
#   3. gro=false on a veth whose GRO is on turns it off while the port
#      lives (frames of at most one MTU cross the switch), and back on
#      after;
#   4. gro=maybe is refused, and so is gro=true without virtio-net
#      headers (vnet_hdr=false), each with its reason;
#   5. a port reopened for an option change leaves GRO as its new
#      options say (the old socket's close does not undo the new one's
#      setting).
#
# usage: test-gro.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need socat sha256sum ethtool
sys_start_daemon

# gro DEVICE: prints on or off.
gro() {
    ethtool -k "$1" | sed -n 's/^generic-receive-offload: \([a-z]*\).*/\1/p'
}

# expect_gro DEVICE on|off
expect_gro() {
    local g
    g=$(gro "$1")
    [ "$g" = "$2" ] || fail "GRO of $1 is '$g', expected $2"
    pass
}

ft 0 add-br br0

# 1. On while a port.
ip link add vprobe type veth peer name vprobe1
expect_gro vprobe off
ip link set vprobe up
ft 0 add-port br0 vprobe
expect_gro vprobe on
ft 0 del-port br0 vprobe
expect_gro vprobe off

# 2. Segments of one MTU coalesced, sent on whole, cut again.
sys_add_vm vm1 10.0.0.1 vnet1 br0
sys_add_vm vm2 10.0.0.2 vnet2 br0
expect_gro vnet1 on
ping_ok vm1 10.0.0.2
sys_tcp_transfer vm1 10.0.0.2 5001 vm2 5001 8
avg=$(sys_port_avg_rx br0 vnet1)
[ -n "$avg" ] && [ "$avg" -gt 3000 ] \
    || fail "vnet1 received frames of ${avg:-?} bytes on average: nothing coalesced"
pass
# ...and left through vnet2 whole (the kernel cut them for vm2).
ft 0 dump-ports br0 vnet2
avg=$(sed -n 's/.*tx pkts=\([0-9]*\), bytes=\([0-9]*\),.*/\1 \2/p' <<<"$out" \
      | awk '$1 > 0 { print int($2 / $1) }')
[ -n "$avg" ] && [ "$avg" -gt 3000 ] \
    || fail "vnet2 sent frames of ${avg:-?} bytes on average: not whole"
pass

# 3. gro=false: off while a port, back on after.
ft 0 del-port br0 vnet1
ethtool -K vnet1 gro on >/dev/null || fail "ethtool -K vnet1 gro on failed"
ft 0 add-port br0 vnet1 -- set Interface vnet1 options:gro=false
expect_gro vnet1 off
sys_tcp_transfer vm1 10.0.0.2 5002 vm2 5002 2
avg=$(sys_port_avg_rx br0 vnet1)
[ "${avg:-0}" -gt 0 ] && [ "$avg" -le 1514 ] \
    || fail "vnet1 received frames of $avg bytes on average with gro=false"
pass
ft 0 del-port br0 vnet1
expect_gro vnet1 on

# 4. Refusals.
ip link add vbad type veth peer name vbad1
ip link set vbad up
ft 1 add-port br0 vbad -- set Interface vbad options:gro=maybe
expect_err 'gro=maybe must be true or false'
ft 1 add-port br0 vbad -- set Interface vbad options:gro=true \
    options:vnet_hdr=false
expect_err 'gro=true needs virtio-net headers'

# 5. A port reopened for an option change: the new socket and the old
#    one's close must leave GRO as the new options say.
ethtool -K vnet1 gro off >/dev/null || fail "ethtool -K vnet1 gro off failed"
ft 0 add-port br0 vnet1
expect_gro vnet1 on
ft 0 set Interface vnet1 options:rx_ring_frames=2048
sleep 0.5
expect_gro vnet1 on
ft 0 set Interface vnet1 options:gro=false
sleep 0.5
expect_gro vnet1 off
ft 0 remove Interface vnet1 options gro
sleep 0.5
expect_gro vnet1 on
ft 0 del-port br0 vnet1
expect_gro vnet1 off

sys_done
