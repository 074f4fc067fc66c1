# case-tcp.sh - one TCP stream from ns1 to ns2 (iperf3, default message
# size), Gbit/s received, over BENCH_SECONDS after BENCH_SKIP seconds of
# slow start left out (iperf3 --omit).  TX checksum offload (and so TSO)
# is off in both namespaces (topo.sh): segments are at most one MTU.
# Case tcptso (below) is the same stream with the offloads on.

CASE_tcp_UNIT=Gbit/s
CASE_tcp_DESC="one TCP stream ns1 -> ns2 (iperf3), Gbit/s received"

case_tcp_run() {
    local d=$BENCH_TMP/$BENCH_CASE spid secs
    mkdir -p "$d"
    ip netns exec "$BENCH_NS2" $(bench_taskset "$BENCH_RECV_CPU") \
        iperf3 -s -1 -B "$BENCH_IP2" -p 5201 >"$d/server.out" 2>&1 &
    spid=$!
    bench_defer "bench_kill $spid"
    case_wait_listen "$BENCH_NS2" -t 5201 || {
        bench_log "iperf3 server not listening"
        return 1
    }
    # A stream that stalls (a switch that loses every segment) leaves
    # iperf3 waiting for ever: the run fails 30 s after it should end.
    secs=$(awk -v a="$BENCH_SKIP" -v b="$BENCH_SECONDS" 'BEGIN { print a + b }')
    ip netns exec "$BENCH_NS1" $(bench_taskset "$BENCH_SEND_CPU") \
        timeout "$(awk -v s="$secs" 'BEGIN { print int(s + 30) }')" \
        iperf3 -c "$BENCH_IP2" -p 5201 -J -t "$secs" \
        -O "$BENCH_SKIP" >"$d/client.json" 2>"$d/client.err" || {
        bench_log "iperf3 client failed or stalled:" \
                  "$(tail -3 "$d/client.err")"
        return 1
    }
    wait "$spid"
    bench_undefer "bench_kill $spid"
    CASE_VALUE=$(python3 -c '
import json, sys
end = json.load(open(sys.argv[1]))["end"]
print("%.3f" % (end["sum_received"]["bits_per_second"] / 1e9))
' "$d/client.json") || return 1
    # iperf3 reports its CPU use as percentages of the test's duration.
    set -- $(python3 -c '
import json, sys
end = json.load(open(sys.argv[1]))["end"]
cpu = end["cpu_utilization_percent"]
secs = end["sum_received"]["seconds"]
print(end["sum_sent"].get("retransmits", 0),
      "%.2f" % ((cpu["host_total"] + cpu["remote_total"]) / 100 * secs))
' "$d/client.json")
    CASE_EXTRA="retransmits=$1"
    CASE_CPU=$2
}

# tcptso: the same stream with every veth's offloads on (topo.sh), so the
# sender's stack hands over TSO super-frames of up to 64 KiB with partial
# checksums, as a guest's virtio-net does; Open vSwitch gets
# userspace-tso-enable=true.
CASE_tcptso_UNIT=Gbit/s
CASE_tcptso_DESC="one TCP stream ns1 -> ns2 (iperf3), TSO and checksum offload on, Gbit/s received"
CASE_tcptso_OFFLOADS=on

case_tcptso_run() {
    case "$BENCH_SWITCH" in
        *xdp*)
            # AF_XDP hands over no checksum state: the namespace's partial
            # checksums would reach the other side unfinished (README).
            bench_log "tcptso: $BENCH_SWITCH: AF_XDP ports need peers that" \
                      "send complete checksums (offloads off): use case tcp"
            CASE_REFUSED=1
            return 1 ;;
    esac
    case_tcp_run
}
