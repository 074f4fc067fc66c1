#!/bin/bash
# tests/system/test-vnet.sh on Debian's 6.1 kernel: its AF_PACKET
# receive ring (TPACKET_V3) with PACKET_VNET_HDR, its tap and veth
# offloads, as the hypervisors FlowTier targets run them.  The same checks
# as on the build host, with 2 MiB transfers (TCG is slow).
#
# usage: test-vnet.sh FLOWTIER FLOWTIERD VNET_FRAMES  (root; boots the VM)
export FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-420} FT_VNET_MIB=${FT_VNET_MIB:-2}
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"

vm_modprobe tun veth
mkdir -p /dev/net
[ -e /dev/net/tun ] || mknod /dev/net/tun c 10 200 \
    || fail "cannot make /dev/net/tun"
exec "$VM_LIB_DIR/../system/test-vnet.sh" "$@"
