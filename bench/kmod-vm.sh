#!/bin/bash
# Kernel datapath benchmark, in one boot of the VM test host
# (tests/vm/run.sh), the switches taking turns round by round.  Both modes
# run under QEMU TCG: only the ratios mean anything.
#
# Packets (the default): packets per second between two namespaces through
# flowtier.ko (driven by flowtierd, datapath_type=system) and through
# openvswitch.ko (driven by Debian's ovs-vswitchd, system datapath), both
# switching with NORMAL.  The sender is the kernel's pktgen (64-byte UDP,
# one flow) on ns1's veth; the rate is what ns2's veth receives.  One vCPU.
#
# --tcp: one TCP stream (iperf3, offloads on: the veths' TSO super-frames
# and partial checksums, as in bench/run.sh's case tcptso) from ns1 to ns2
# through the Linux bridge, flowtier.ko, openvswitch.ko and flowtierd's
# userspace datapath (datapath_type=netdev), in Gbit/s received.  Two
# vCPUs (FT_VM_CPUS), so that sender and receiver each have one: the
# bridge and the kernel datapaths forward in the sender's system call,
# the userspace datapath in its own thread beside them.
#
# usage: sudo bench/kmod-vm.sh [--tcp] [BUILDDIR] [ROUNDS] [SECONDS]
#        (BUILDDIR holds mgmt/flowtier, mgmt/flowtierd, kmod/flowtier.ko;
#         default build/, 3 rounds, 5 s each)
set -u
here=$(dirname "$(readlink -f "$0")")
mode=pps
if [ "${1:-}" = --tcp ]; then
    mode=tcp
    shift
fi
build=$(readlink -f "${1:-$here/../build}")
rounds=${2:-3}
secs=${3:-5}

if [ "${FT_VM_GUEST:-}" != 1 ]; then
    for f in mgmt/flowtier mgmt/flowtierd kmod/flowtier.ko; do
        [ -e "$build/$f" ] || { echo "no $build/$f: build first" >&2; exit 1; }
    done
    if [ $mode = tcp ]; then
        for t in iperf3 python3; do
            command -v $t >/dev/null \
                || { echo "--tcp needs $t (apt-get install $t)" >&2; exit 1; }
        done
        export FT_VM_CPUS=${FT_VM_CPUS:-2}
    fi
    FT_VM_GUEST=1 FT_VM_TIMEOUT=900 exec "$here/../tests/vm/run.sh" \
        "$(readlink -f "$0")" $([ $mode = tcp ] && echo --tcp) \
        "$build" "$rounds" "$secs"
fi

FT=$build/mgmt/flowtier
FTD=$build/mgmt/flowtierd
die() { echo "kmod-vm: $*" >&2; exit 1; }

if [ $mode = tcp ]; then
    modules="veth openvswitch bridge"
else
    modules="veth pktgen openvswitch"
fi
# $modules unquoted on purpose: one word per module.
modprobe -a $modules || die "cannot load $modules"
insmod "$build/kmod/flowtier.ko" || die "cannot load flowtier.ko"
# The userspace datapath's bridge port is a tap device.
[ $mode = pps ] || [ -e /dev/net/tun ] || {
    mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && modprobe tun
} || die "cannot make /dev/net/tun"
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

# flowtier_up [DATAPATH_TYPE]: flowtierd with bridge br0 on v1 and v2.
flowtier_up() {
    export FLOWTIER_RUNDIR=/tmp/ftb/run FLOWTIER_DBDIR=/tmp/ftb/db
    rm -rf /tmp/ftb
    mkdir -p /tmp/ftb
    "$FTD" --detach --no-fsync --log-file=/tmp/ftb/ftd.log || die "flowtierd"
    "$FT" add-br br0 -- set Bridge br0 datapath_type="${1:-system}" \
        || die "add-br ${1:-system}"
    "$FT" add-port br0 v1 && "$FT" add-port br0 v2 || die "add-port"
}

flowtier_user_up() { flowtier_up netdev; }
flowtier_user_down() { flowtier_down; }

bridge_up() {
    ip link add br0 type bridge || die "ip link add br0 type bridge"
    ip link set v1 master br0 && ip link set v2 master br0 \
        && ip link set br0 up || die "bridge ports"
}

bridge_down() {
    ip link del br0
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

# measure_tcp: prints the Gbit/s ns2 receives of one TCP stream from ns1
# (iperf3, SECONDS after a one-second start left out), then the sender's
# retransmissions.  The veths keep their offloads (TSO, checksum).
measure_tcp() {
    local out=/tmp/ftb-iperf.json spid
    ip netns exec ns1 ping -c 2 -i 0.2 -W 2 10.99.0.2 >/dev/null \
        || die "no ping through the switch"
    ip netns exec ns2 iperf3 -s -1 -B 10.99.0.2 -p 5201 >/dev/null 2>&1 &
    spid=$!
    sleep 0.5
    ip netns exec ns1 timeout $((secs + 60)) iperf3 -c 10.99.0.2 -p 5201 \
        -J -t $((secs + 1)) -O 1 >"$out" 2>/dev/null \
        || { kill $spid 2>/dev/null; die "iperf3 failed or stalled"; }
    wait $spid
    python3 -c '
import json, sys
end = json.load(open(sys.argv[1]))["end"]
print("%.3f %d" % (end["sum_received"]["bits_per_second"] / 1e9,
                   end["sum_sent"].get("retransmits", 0)))' "$out"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A all
if [ $mode = tcp ]; then
    switches="bridge flowtier ovs flowtier_user"
else
    switches="flowtier ovs"
fi
for r in $(seq "$rounds"); do
    for sw in $switches; do
        topo_up
        "${sw}_up"
        # measure and measure_tcp run in a subshell: their die() ends
        # only it, so their failure is caught here.
        if [ $mode = tcp ]; then
            out=$(measure_tcp) || die "$sw: no measurement"
            set -- $out
            v=$1
            echo "round $r: $sw $v Gbit/s, $2 retransmits"
        else
            v=$(measure) || die "$sw: no measurement"
            echo "round $r: $sw $v pps"
        fi
        "${sw}_down"
        topo_down
        all[$sw]="${all[$sw]:-} $v"
    done
done
if [ $mode = tcp ]; then
    br=$(echo "${all[bridge]}" | median)
    for sw in $switches; do
        m=$(echo "${all[$sw]}" | median)
        awk -v sw="$sw" -v m="$m" -v b="$br" -v a="${all[$sw]# }" 'BEGIN {
            name["bridge"] = "Linux bridge"
            name["flowtier"] = "flowtier.ko"
            name["ovs"] = "openvswitch.ko"
            name["flowtier_user"] = "flowtierd userspace"
            printf "%s: median %s Gbit/s (%s), %.2fx the bridge\n",
                   name[sw], m, a, (b > 0 ? m / b : 0) }'
    done
    echo "(QEMU TCG, $(nproc) vCPUs: only the ratios count)"
else
    ft=$(echo "${all[flowtier]}" | median)
    ovs=$(echo "${all[ovs]}" | median)
    echo "flowtier.ko: median $ft pps (${all[flowtier]# })"
    echo "openvswitch.ko: median $ovs pps (${all[ovs]# })"
    awk -v a="$ft" -v b="$ovs" 'BEGIN { if (b > 0) printf "ratio flowtier/ovs: %.2fx (QEMU TCG, 1 vCPU: only the ratio counts)\n", a / b }'
fi
rmmod flowtier || die "rmmod flowtier"
