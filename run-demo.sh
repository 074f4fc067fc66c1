#!/bin/bash
# FlowTier demo on an embedded default topology.  Builds the tree, starts
# flowtierd with a private run and database directory, and switches real
# packets between network namespaces:
#
#   vm1 10.0.0.1 --- vnet1 \
#   vm2 10.0.0.2 --- vnet2 -- br0 -- uplink ==== tor-down -- tor -- ext0 --- ext
#   vm3 10.0.0.3 --- vnet3 /       (VLAN 100 trunk)      (tag=100)  10.0.100.7
#
# br0 is the hypervisor's switch; tor, a second bridge of the same daemon,
# stands in for the top-of-rack switch of the physical network.
#
# The seed pipeline has three tables: table 0 admits traffic (no ICMP from
# vm2; from the uplink only VLAN 100, untagged on the way in), table 1 is
# the ACL (no SSH from vm3) and sends 10.0.100.0/24 to the uplink tagged
# with VLAN 100, table 2 is a learning switch (NORMAL).
#
# The demo sends pings and TCP connections, says what each one did and
# what the pipeline meant it to do, then shows 'flowtier show',
# 'dump-flows', 'dump-dp-flows' (each megaflow's tier and why it is not
# in a faster one), 'dump-ports' and a live trace, and finally kills the
# daemon with SIGKILL and restarts it: the same rules apply at once.
# Everything runs in network namespaces of its own, removed on exit.
# Exits 1 if any packet did not do what the pipeline says.  Needs root.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
BUILD=${FT_BUILD_DIR:-build}

if [ -z "${FT_SYS_HOST_NS:-}" ]; then
    [ "$(id -u)" = 0 ] || { echo "run-demo.sh: must run as root (network namespaces)" >&2; exit 1; }
    . tests/lib/deps.sh
    ft_install_deps
    [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
    ninja -C "$BUILD" mgmt/flowtier mgmt/flowtierd >/dev/null
fi

# From here on, inside the demo's own network namespace (sys_init re-runs
# this script there).
set +e +o pipefail
SYS_SELF=$PWD/run-demo.sh
. tests/system/lib.sh
sys_init "$BUILD/mgmt/flowtier" "$BUILD/mgmt/flowtierd"
export PATH=$(dirname "$FT"):$PATH

bold= plain=
[ -t 1 ] && bold=$'\033[1m' plain=$'\033[0m'
say() {
    printf '\n%s=== %s%s\n' "$bold" "$*" "$plain"
}
run() {
    printf '$ %s\n' "$*"
    "$@"
}

# ---- Topology.
say "Starting flowtierd (run and database directories in $SYS_T)"
sys_start_daemon
run flowtier add-br br0
sys_add_vm vm1 10.0.0.1 vnet1 br0
sys_add_vm vm2 10.0.0.2 vnet2 br0
sys_add_vm vm3 10.0.0.3 vnet3 br0
for vm in vm1 vm2 vm3; do
    in_vm $vm ip route add 10.0.100.0/24 dev eth0
done
run flowtier set Interface vnet1 external-ids:vm-id=vm1
run flowtier set Interface vnet2 external-ids:vm-id=vm2
run flowtier set Interface vnet3 external-ids:vm-id=vm3

# The uplink: a veth to the physical network, here a second bridge, tor,
# standing in for the top-of-rack switch (this host's kernel has no 802.1Q
# module, so no namespace could terminate VLAN 100 itself).  tor's end is
# a trunk; host ext, 10.0.100.7, is on its access port for VLAN 100.
ip link add uplink type veth peer name tor-down
for p in uplink tor-down; do
    sysctl -qw "net.ipv6.conf.$p.disable_ipv6=1"
    ip link set "$p" up
done
run flowtier add-br tor
run flowtier add-port tor tor-down
sys_add_vm ext 10.0.100.7 ext0 tor -- set Port ext0 tag=100
in_vm ext ip route add 10.0.0.0/24 dev eth0
run flowtier add-port br0 uplink
echo "(vm1..vm3 and ext are network namespaces behind veths vnet1..vnet3 and ext0)"

# ---- The seed pipeline.
flows=$SYS_T/pipeline.flows
cat >"$flows" <<'FLOWS'
# table 0: admission
table=0,cookie=0x100,priority=100,in_port=vnet2,icmp,actions=drop
table=0,cookie=0x101,priority=90,in_port=uplink,dl_vlan=100,actions=strip_vlan,resubmit(,1)
table=0,cookie=0x102,priority=80,in_port=uplink,actions=drop
table=0,cookie=0x103,priority=0,actions=resubmit(,1)
# table 1: ACL, and the 10.0.100.0/24 segment behind the uplink
table=1,cookie=0x200,priority=200,tcp,nw_src=10.0.0.3,tp_dst=22,actions=drop
table=1,cookie=0x201,priority=100,ip,nw_dst=10.0.100.0/24,actions=mod_vlan_vid:100,output:uplink
table=1,cookie=0x202,priority=100,arp,arp_tpa=10.0.100.0/24,actions=mod_vlan_vid:100,output:uplink
table=1,cookie=0x203,priority=0,actions=goto_table:2
# table 2: learning switch
table=2,cookie=0x300,priority=0,actions=NORMAL
FLOWS
say "Seed pipeline"
grep -v '^#' "$flows"
run flowtier replace-flows br0 "$flows"

# ---- Traffic.
for vm in vm1 ext; do
    tcp_listen $vm 22
    tcp_listen $vm 80
done

n_unexpected=0
# outcome WHAT EXPECTED(ok|blocked) COMMAND...: runs COMMAND, prints what
# happened beside what the pipeline means to happen.
outcome() {
    local what=$1 want=$2 got
    shift 2
    if "$@" >/dev/null 2>&1; then got=ok; else got=blocked; fi
    if [ "$got" = "$want" ]; then
        printf '  %-46s %-8s (expected)\n' "$what" "$got"
    else
        printf '  %-46s %-8s UNEXPECTED: expected %s\n' "$what" "$got" "$want"
        n_unexpected=$((n_unexpected + 1))
    fi
}
ping3() {
    in_vm "$1" ping -n -q -c 3 -i 0.2 -W 1 "$2" | grep -q ' 3 received'
}

say "Traffic"
outcome "ping vm1 -> vm2 (replies from vm2)" blocked ping3 vm1 10.0.0.2
outcome "ping vm1 -> vm3" ok ping3 vm1 10.0.0.3
outcome "ping vm2 -> vm3 (ICMP from vm2)" blocked ping3 vm2 10.0.0.3
outcome "ping vm1 -> ext 10.0.100.7 (VLAN 100)" ok ping3 vm1 10.0.100.7
outcome "ping vm3 -> ext 10.0.100.7 (VLAN 100)" ok ping3 vm3 10.0.100.7
outcome "TCP vm2 -> vm1:80" ok tcp_try vm2 10.0.0.1 80
outcome "TCP vm3 -> vm1:80" ok tcp_try vm3 10.0.0.1 80
outcome "TCP vm3 -> vm1:22 (SSH from vm3)" blocked tcp_try vm3 10.0.0.1 22
outcome "TCP vm2 -> vm1:22" ok tcp_try vm2 10.0.0.1 22
outcome "TCP vm1 -> ext 10.0.100.7:22 (VLAN 100)" ok tcp_try vm1 10.0.100.7 22
outcome "TCP vm3 -> ext 10.0.100.7:22 (SSH from vm3)" blocked tcp_try vm3 10.0.100.7 22
outcome "TCP vm3 -> ext 10.0.100.7:80 (VLAN 100)" ok tcp_try vm3 10.0.100.7 80
echo "(TCP: 256 KiB sent, checked by the server's SHA-256 of what it got)"
# Counters reach the OpenFlow rules through the revalidator.
sleep 1

say "Configuration"
run flowtier show
run flowtier list Interface vnet2

say "OpenFlow tables, with counters"
run flowtier dump-flows br0

say "Megaflows: the datapath's flows, their tier, and why not a faster one"
run flowtier dump-dp-flows br0

say "Port counters"
run flowtier dump-ports br0

say "Why SSH from vm3 is dropped"
run flowtier trace br0 \
    "tcp,in_port=vnet3,dl_src=02:00:00:00:00:03,dl_dst=02:00:00:00:00:01,nw_src=10.0.0.3,nw_dst=10.0.0.1,tp_src=40000,tp_dst=22"

say "Durability: kill -9 flowtierd, start it again"
pid=$(sys_daemon_pid)
run kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
outcome "ping vm1 -> vm3, daemon down" blocked ping3 vm1 10.0.0.3
sys_start_daemon
grep 'started with' "$SYS_T/flowtierd.log" | tail -2 | sed 's/.*|//'
outcome "ping vm1 -> vm3, restarted" ok ping3 vm1 10.0.0.3
outcome "TCP vm3 -> ext 10.0.100.7:22 (SSH from vm3)" blocked tcp_try vm3 10.0.100.7 22
outcome "TCP vm1 -> ext 10.0.100.7:22 (VLAN 100)" ok tcp_try vm1 10.0.100.7 22

say "Done"
if [ $n_unexpected = 0 ]; then
    echo "Every packet did what the pipeline says."
else
    echo "$n_unexpected outcomes differed from the pipeline."
fi
echo "Cleaning up: daemon, namespaces, veths."
exit $((n_unexpected > 0))
