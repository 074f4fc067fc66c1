# case-udp64.sh - 64-byte UDP from ns1 to ns2 at the highest rate the
# sender reaches; the value is the rate at which packets reach a UDP
# socket in ns2 (packets per second), counted over a window of
# BENCH_SECONDS that opens BENCH_SKIP seconds after the first packet.
#
# Sets CASE_VALUE, CASE_CPU (CPU seconds of the sender and the receiver)
# and CASE_EXTRA (KEY=VALUE words for the results: the sender's rate,
# packets ns2's eth0 received per second, the socket's buffer overflows).

CASE_udp64_UNIT=pps
CASE_udp64_DESC="64-byte UDP frames ns1 -> ns2, packets/s delivered to a \
UDP socket"

# case_wait_listen NS -u|-t PORT: until a UDP (-u) or listening TCP (-t)
# socket is bound to PORT in NS.
case_wait_listen() {
    local i
    for i in $(seq 50); do
        ip netns exec "$1" ss -Hln "$2" "sport = :$3" 2>/dev/null \
            | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

case_udp_rcvbuf_errors() {
    ip netns exec "$1" awk '/^Udp:/ { if (h) print $7; h = 1 }' /proc/net/snmp
}

case_udp64_run() {
    local d=$BENCH_TMP/udp64 mac rx0 rx1 err0 err1 rpid sent rcvd
    local send_secs
    mkdir -p "$d"
    mac=$(topo_ns_mac "$BENCH_NS2")
    send_secs=$(awk -v a="$BENCH_SKIP" -v b="$BENCH_SECONDS" \
                    'BEGIN { print a + b + 1 }')

    ip netns exec "$BENCH_NS2" $(bench_taskset "$BENCH_RECV_CPU") \
        "$BENCH_TOOLS/traffic-recv" --port 9 \
        --seconds "$BENCH_SECONDS" --skip "$BENCH_SKIP" --wait 10 \
        >"$d/recv.out" 2>"$d/recv.err" &
    rpid=$!
    bench_defer "bench_kill $rpid"
    case_wait_listen "$BENCH_NS2" -u 9 || {
        bench_log "receiver not listening"
        return 1
    }
    rx0=$(topo_rx_packets "$BENCH_NS2")
    err0=$(case_udp_rcvbuf_errors "$BENCH_NS2")

    ip netns exec "$BENCH_NS1" $(bench_taskset "$BENCH_SEND_CPU") \
        "$BENCH_TOOLS/traffic-send" \
        --dev eth0 --dst-mac "$mac" --src-ip "$BENCH_IP1" \
        --dst-ip "$BENCH_IP2" --dport 9 --seconds "$send_secs" \
        --size "${CASE_FRAME_SIZE:-60}" \
        >"$d/send.out" 2>"$d/send.err" || {
        bench_log "sender failed: $(cat "$d/send.err")"
        return 1
    }
    rx1=$(topo_rx_packets "$BENCH_NS2")
    err1=$(case_udp_rcvbuf_errors "$BENCH_NS2")
    wait "$rpid"
    bench_undefer "bench_kill $rpid"
    rcvd=$(sed -n 's/.*pps=\([0-9]*\).*/\1/p' "$d/recv.out")
    sent=$(sed -n 's/.*pps=\([0-9]*\).*/\1/p' "$d/send.out")
    [ -n "$rcvd" ] || { bench_log "receiver: $(cat "$d/recv.err")"; return 1; }
    CASE_VALUE=$rcvd
    CASE_CPU=$(cat "$d/send.out" "$d/recv.out" \
                   | sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' \
                   | awk '{ s += $1 } END { print s + 0 }')
    CASE_EXTRA="sent_pps=$sent ns2_rx_pps=$(awk -v a="$rx0" -v b="$rx1" \
        -v t="$send_secs" 'BEGIN { printf "%.0f", (b - a) / t }') \
udp_rcvbuf_errors=$((err1 - err0))"
}
