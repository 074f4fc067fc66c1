#!/bin/bash
# System test: access ports.  vm1 and vm2 on VLAN 10, vm3 and vm4 on VLAN
# 20, all four in 10.0.0.0/24: each VLAN talks within itself, nothing
# (not even a broadcast) crosses to the other, and re-tagging a port
# moves its VM to the other VLAN at once.
#
# usage: test-vlan.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

ft 0 add-br br0
# Tags given in the same command as the port, and set afterwards.
sys_add_vm vm1 10.0.0.1 vnet0 br0 -- set Port vnet0 tag=10
sys_add_vm vm2 10.0.0.2 vnet1 br0 -- set Port vnet1 tag=10
sys_add_vm vm3 10.0.0.3 vnet2 br0
sys_add_vm vm4 10.0.0.4 vnet3 br0
ft 0 set Port vnet2 tag=20
ft 0 set Port vnet3 tag=20
ft 0 get Port vnet0 tag; [ "$out" = 10 ] || fail "vnet0 tag: $out"
ft 0 get Port vnet3 tag; [ "$out" = 20 ] || fail "vnet3 tag: $out"
ft 0 show; expect_out '^            tag: 20$'

# ---- Same VLAN.
ping_ok vm1 10.0.0.2
ping_ok vm3 10.0.0.4
tcp_listen vm4 5001
tcp_ok vm3 10.0.0.4 5001

# ---- Across VLANs: nothing gets out of VLAN 10 into vnet2 or vnet3.
tx3=$(port_stat br0 vnet2 tx pkts)
tx4=$(port_stat br0 vnet3 tx pkts)
ping_fails vm1 10.0.0.3
ping_fails vm2 10.0.0.4
tcp_fails vm1 10.0.0.4 5001
[ "$(port_stat br0 vnet2 tx pkts)" = "$tx3" ] \
    && [ "$(port_stat br0 vnet3 tx pkts)" = "$tx4" ] \
    || fail "VLAN 10 frames reached VLAN 20 ports"
pass
ping_fails vm4 10.0.0.1

# The megaflows show the tag pushed towards no access port of the other
# VLAN: a broadcast from vnet0 goes to vnet1 (and the bridge's own port,
# a trunk, tagged).
p1=$(ofport vnet0) p2=$(ofport vnet1)
ft 0 dump-dp-flows br0
expect_out "^arp,in_port=$p1,vlan_tci=0x0000/0x1fff,.*dl_dst=ff:ff:ff:ff:ff:ff, .*actions:$p2,push_vlan\\(vid=10,pcp=0\\),LOCAL\$"

# ---- Re-tag vnet2 into VLAN 10: vm3 now reaches vm1, no longer vm4.
ft 0 set Port vnet2 tag=10
ping_ok vm3 10.0.0.1
ping_fails vm3 10.0.0.4

sys_done
