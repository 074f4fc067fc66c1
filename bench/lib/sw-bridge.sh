# sw-bridge.sh - the Linux bridge under test: br0 in the switch namespace
# with v1 and v2 as its ports (forwarding in the kernel, in the softirq of
# whoever sent the frame).  STP off, forward delay 0, so it forwards at
# once.
#
# Switch defined here: linux-bridge.

sw_linux_bridge_start() {
    ip -n "$BENCH_SW" link add br0 type bridge forward_delay 0 stp_state 0 \
        || return 1
    ip -n "$BENCH_SW" link set v1 master br0 \
        && ip -n "$BENCH_SW" link set v2 master br0 \
        && ip -n "$BENCH_SW" link set br0 up
}

sw_linux_bridge_stop() {
    ip -n "$BENCH_SW" link del br0 2>/dev/null
    return 0
}

sw_linux_bridge_report() {
    local s=/sys/class/net
    echo "v1 rx $(ip netns exec "$BENCH_SW" cat $s/v1/statistics/rx_packets)" \
         "v2 tx $(ip netns exec "$BENCH_SW" cat $s/v2/statistics/tx_packets)"
}
