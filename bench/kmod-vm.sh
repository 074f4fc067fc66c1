#!/bin/bash
# Kernel datapath benchmark: packets per second between two namespaces
# through flowtier.ko (driven by flowtierd, datapath_type=system) and
# through openvswitch.ko (driven by Debian's ovs-vswitchd, system
# datapath), both switching with NORMAL, in one boot of the VM test host
# (tests/vm/run.sh), taking turns round by round.  The sender is the
# kernel's pktgen (64-byte UDP, one flow) on ns1's veth; the rate is what
# ns2's veth receives.  Both run under QEMU TCG with one vCPU: only the
# ratio means anything.
#
# usage: sudo bench/kmod-vm.sh [BUILDDIR] [ROUNDS] [SECONDS]
#        (BUILDDIR holds mgmt/flowtier, mgmt/flowtierd, kmod/flowtier.ko;
#         default build/, 3 rounds, 5 s each)
set -u
here=$(dirname "$(readlink -f "$0")")
build=$(readlink -f "${1:-$here/../build}")
rounds=${2:-3}
secs=${3:-5}

if [ "${FT_VM_GUEST:-}" != 1 ]; then
    for f in mgmt/flowtier mgmt/flowtierd kmod/flowtier.ko; do
        [ -e "$build/$f" ] || { echo "no $build/$f: build first" >&2; exit 1; }
    done
    FT_VM_GUEST=1 FT_VM_TIMEOUT=900 exec "$here/../tests/vm/run.sh" \
        "$(readlink -f "$0")" "$build" "$rounds" "$secs"
fi

FT=$build/mgmt/flowtier
FTD=$build/mgmt/flowtierd
die() { echo "kmod-vm: $*" >&2; exit 1; }

modprobe -a veth pktgen openvswitch || die "cannot load veth, pktgen, openvswitch"
insmod "$build/kmod/flowtier.ko" || die "cannot load flowtier.ko"
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

topo_up() {
    local i
    for i in 1 2; do
        ip netns add ns$i
        ip link add v$i type veth peer name eth0 netns ns$i
        ip -n ns$i addr add 10.99.0.$i/24 dev eth0
        ip -n ns$i link set eth0 address 02:99:00:00:00:0$i
        ip -n ns$i link set eth0 up
        ip link set v$i up
    done
}

topo_down() {
    ip netns del ns1
    ip netns del ns2
}

flowtier_up() {
    export FLOWTIER_RUNDIR=/tmp/ftb/run FLOWTIER_DBDIR=/tmp/ftb/db
    rm -rf /tmp/ftb
    mkdir -p /tmp/ftb
    "$FTD" --detach --no-fsync --log-file=/tmp/ftb/ftd.log || die "flowtierd"
    "$FT" add-br br0 -- set Bridge br0 datapath_type=system \
        || die "add-br system"
    "$FT" add-port br0 v1 && "$FT" add-port br0 v2 || die "add-port"
}

flowtier_down() {
    "$FT" del-br br0
    kill "$(cat /tmp/ftb/run/flowtierd.pid)"
    sleep 0.5
}

ovs_up() {
    export OVS_RUNDIR=/tmp/ovsb OVS_DBDIR=/tmp/ovsb OVS_LOGDIR=/tmp/ovsb
    rm -rf /tmp/ovsb
    mkdir -p /tmp/ovsb
    ovsdb-tool create /tmp/ovsb/conf.db \
        /usr/share/openvswitch/vswitch.ovsschema || die "ovsdb-tool"
    ovsdb-server --remote=punix:/tmp/ovsb/db.sock --pidfile --detach \
        --log-file /tmp/ovsb/conf.db || die "ovsdb-server"
    ovs-vsctl --no-wait init
    # OVS 3.1.0 starts no upcall handler under 10 s of uptime (DESIGN.md).
    unshare --fork --time --monotonic 86400 --boottime 86400 \
        ovs-vswitchd --pidfile --detach --log-file || die "ovs-vswitchd"
    ovs-vsctl --timeout=30 add-br br0 -- add-port br0 v1 -- add-port br0 v2 \
        || die "ovs-vsctl add-br"
}

ovs_down() {
    ovs-vsctl --timeout=10 del-br br0
    ovs-appctl -t ovs-vswitchd exit
    ovs-appctl -t ovsdb-server exit
    sleep 0.5
}

# measure: prints the packets per second ns2 receives from pktgen on ns1.
measure() {
    local pg=/proc/net/pktgen r0 r1
    ip netns exec ns1 ping -c 2 -i 0.2 -W 2 10.99.0.2 >/dev/null \
        || die "no ping through the switch"
    ip netns exec ns2 ping -c 1 -W 2 10.99.0.1 >/dev/null
    ip netns exec ns1 sh -c "
        echo rem_device_all > $pg/kpktgend_0
        echo add_device eth0 > $pg/kpktgend_0
        for c in 'count 0' 'clone_skb 0' 'pkt_size 60' 'delay 0' \
                 'dst 10.99.0.2' 'dst_mac 02:99:00:00:00:02' \
                 'udp_src_min 9' 'udp_src_max 9' 'udp_dst_min 9' \
                 'udp_dst_max 9'; do
            echo \$c > $pg/eth0
        done
        echo start > $pg/pgctrl" &
    local pgpid=$!
    sleep 1
    r0=$(ip netns exec ns2 cat /sys/class/net/eth0/statistics/rx_packets)
    sleep "$secs"
    r1=$(ip netns exec ns2 cat /sys/class/net/eth0/statistics/rx_packets)
    ip netns exec ns1 sh -c "echo stop > $pg/pgctrl"
    wait $pgpid 2>/dev/null
    echo $(( (r1 - r0) / secs ))
}

declare -A all
for r in $(seq "$rounds"); do
    for sw in flowtier ovs; do
        topo_up
        "${sw}_up"
        pps=$(measure)
        "${sw}_down"
        topo_down
        echo "round $r: $sw $pps pps"
        all[$sw]="${all[$sw]:-} $pps"
    done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ft=$(echo "${all[flowtier]}" | median)
ovs=$(echo "${all[ovs]}" | median)
echo "flowtier.ko: median $ft pps (${all[flowtier]# })"
echo "openvswitch.ko: median $ovs pps (${all[ovs]# })"
awk -v a="$ft" -v b="$ovs" 'BEGIN { if (b > 0) printf "ratio flowtier/ovs: %.2fx (QEMU TCG, 1 vCPU: only the ratio counts)\n", a / b }'
rmmod flowtier || die "rmmod flowtier"
