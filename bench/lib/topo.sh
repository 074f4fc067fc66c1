# topo.sh - the benchmark's network: three namespaces made fresh for every
# measurement.
#
#     $BENCH_NS1            $BENCH_SW                $BENCH_NS2
#   eth0 10.99.0.1  <-veth->  v1  [switch]  v2  <-veth->  eth0 10.99.0.2
#
# The switch under test runs in $BENCH_SW and owns v1 and v2 (OpenFlow
# ports 1 and 2 for the OpenFlow switches), so that its bridge and
# internal device never meet the host's or another run's devices.  Both
# ends of each veth have TX checksum offload (and with it TSO) off: a
# userspace switch forwards frames as they are, and a frame left with a
# partial checksum by a namespace would reach the other namespace broken.
# The same settings apply to every switch, the Linux bridge included.
# A case that sets CASE_NAME_OFFLOADS=on keeps every veth's default
# offloads instead (checksum offload, TSO, GSO: what a guest's virtio-net
# and a hypervisor's veths have), for switches that pass them through.
# The addresses exist only inside these namespaces.

BENCH_IP1=10.99.0.1
BENCH_IP2=10.99.0.2

# topo_names PREFIX: sets the namespace names.
topo_names() {
    BENCH_SW=$1-sw
    BENCH_NS1=$1-n1
    BENCH_NS2=$1-n2
}

# topo_offloads: true if the case being measured keeps the offloads on.
topo_offloads() {
    [ "$(eval echo "\${CASE_${BENCH_CASE:-none}_OFFLOADS:-off}")" = on ]
}

topo_create() {
    local ns
    for ns in "$BENCH_SW" "$BENCH_NS1" "$BENCH_NS2"; do
        ip netns add "$ns" || return 1
        bench_defer "ip netns del $ns"
        ip -n "$ns" link set lo up || return 1
    done
    ip -n "$BENCH_SW" link add v1 type veth peer name eth0 netns "$BENCH_NS1" \
        && ip -n "$BENCH_SW" link add v2 type veth peer name eth0 \
               netns "$BENCH_NS2" || return 1
    if ! topo_offloads; then
        ip netns exec "$BENCH_SW" ethtool -K v1 tx off >/dev/null 2>&1
        ip netns exec "$BENCH_SW" ethtool -K v2 tx off >/dev/null 2>&1
    fi
    ip -n "$BENCH_SW" link set v1 up && ip -n "$BENCH_SW" link set v2 up \
        || return 1
    for ns in "$BENCH_NS1" "$BENCH_NS2"; do
        topo_offloads || ip netns exec "$ns" ethtool -K eth0 tx off \
            >/dev/null 2>&1
        ip -n "$ns" link set eth0 up || return 1
    done
    ip -n "$BENCH_NS1" addr add "$BENCH_IP1/24" dev eth0 \
        && ip -n "$BENCH_NS2" addr add "$BENCH_IP2/24" dev eth0
}

topo_destroy() {
    local ns
    for ns in "$BENCH_NS2" "$BENCH_NS1" "$BENCH_SW"; do
        bench_undefer "ip netns del $ns"
    done
}

# topo_warmup: ARP and MAC learning in both directions.  Fails if ns2
# cannot be reached through the switch.
topo_warmup() {
    local i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        if ip netns exec "$BENCH_NS1" ping -c 1 -W 1 "$BENCH_IP2" \
               >/dev/null 2>&1; then
            ip netns exec "$BENCH_NS2" ping -c 2 -i 0.2 -W 1 "$BENCH_IP1" \
                >/dev/null 2>&1
            ip netns exec "$BENCH_NS1" ping -c 2 -i 0.2 -W 1 "$BENCH_IP2" \
                >/dev/null 2>&1
            return 0
        fi
        sleep 0.5
    done
    return 1
}

# topo_ns_mac NS: the MAC of eth0 in NS.
topo_ns_mac() {
    ip netns exec "$1" cat /sys/class/net/eth0/address
}

# topo_rx_packets NS: eth0's received-packet counter in NS.
topo_rx_packets() {
    ip netns exec "$1" cat /sys/class/net/eth0/statistics/rx_packets
}
