#!/bin/bash
# System test: 'priority=100,in_port=vnet0,icmp,actions=drop' stops ICMP
# from vnet0 in both directions of a ping while TCP between the same VMs
# still flows, and removing the rule lets ICMP through again.
#
# usage: test-icmp-drop.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0
tcp_listen vm2 8080
tcp_listen vm1 8080

ping_ok vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 8080

ft 0 add-flow br0 priority=100,in_port=vnet0,icmp,actions=drop
# Echo requests from vm1 are dropped; so are vm1's replies to vm2.
ping_fails vm1 10.0.0.2
ping_fails vm2 10.0.0.1
# TCP both ways, ARP, and ICMP between other ports are untouched.
tcp_ok vm1 10.0.0.2 8080
tcp_ok vm2 10.0.0.1 8080
sys_add_vm vm3 10.0.0.3 vnet2 br0
ping_ok vm2 10.0.0.3
ping_ok vm3 10.0.0.2

p1=$(ofport vnet0)
ft 0 dump-flows br0
expect_out '^ cookie=0x0, .* n_packets=[1-9][0-9]*, .*priority=100,icmp,in_port=vnet0 actions=drop$'
ft 0 dump-dp-flows br0
expect_out "^icmp,in_port=$p1,.* tier:user, .*actions:drop\$"
expect_out "^tcp,in_port=$p1,.* actions:$(ofport vnet1)\$"

# The rule goes: the drop megaflows go with it.
ft 0 del-flows --strict br0 priority=100,in_port=vnet0,icmp
ping_ok vm1 10.0.0.2
ping_ok vm2 10.0.0.1

sys_done
