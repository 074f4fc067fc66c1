#!/bin/bash
# FlowTier demo on an embedded default: builds the tree, then shows how the
# OpenFlow pipeline below is flattened into megaflows and datapath actions
# for a few packets, the way 'ovs-appctl ofproto/trace' shows it.
#
# The pipeline is the classic three-table hypervisor ACL: table 0 drops
# ICMP arriving on the uplink (port 4), table 1 pushes VLAN 100 on traffic
# to 10.0.100.0/24 towards the uplink and drops SSH from 10.0.0.50,
# table 2 is a learning switch (NORMAL).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
. tests/lib/deps.sh
ft_install_deps
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build mgmt/flowtier >/dev/null

flows=$(mktemp)
trap 'rm -f "$flows"' EXIT
cat >"$flows" <<'FLOWS'
# table 0: admission
table=0,priority=100,in_port=uplink,icmp,actions=drop
table=0,priority=0,actions=resubmit(,1)
# table 1: ACL and VLAN for the 10.0.100.0/24 segment behind the uplink
table=1,priority=200,tcp,nw_src=10.0.0.50,tp_dst=22,actions=drop
table=1,priority=100,ip,nw_dst=10.0.100.0/24,actions=mod_vlan_vid:100,output:uplink
table=1,priority=100,in_port=uplink,dl_vlan=100,actions=strip_vlan,resubmit(,2)
table=1,priority=0,actions=goto_table:2
# table 2: learning switch
table=2,priority=0,actions=NORMAL
FLOWS

ports=(--port vm1=1 --port vm2=2 --port vm3=3 --port uplink=4)
ft() { ./build/mgmt/flowtier "$@"; }

echo "=== flows, as FlowTier parses and prints them"
ft parse-flows "${ports[@]}" "$flows"
for pkt in \
    'icmp,in_port=vm1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2' \
    'tcp,in_port=vm1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:03,nw_src=10.0.0.50,nw_dst=10.0.0.3,tp_src=40000,tp_dst=22' \
    'tcp,in_port=vm1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:03,nw_src=10.0.0.50,nw_dst=10.0.0.3,tp_src=40000,tp_dst=80' \
    'udp,in_port=vm2,dl_src=02:00:00:00:00:02,dl_dst=02:00:00:00:00:99,nw_src=10.0.0.2,nw_dst=10.0.100.7,tp_src=5000,tp_dst=53' \
    'icmp,in_port=uplink,dl_vlan=100,dl_src=02:00:00:00:00:99,dl_dst=02:00:00:00:00:01,nw_src=10.0.100.7,nw_dst=10.0.0.1' \
    'ip,in_port=uplink,dl_vlan=100,dl_src=02:00:00:00:00:99,dl_dst=02:00:00:00:00:01,nw_src=10.0.100.7,nw_dst=10.0.0.1,nw_proto=17' \
    ; do
    echo
    echo "=== trace $pkt"
    ft trace --flows "$flows" "${ports[@]}" "$pkt"
done
