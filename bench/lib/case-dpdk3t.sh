# case-dpdk3t.sh - forwarding between two DPDK ports, one datapath core,
# the three-flow table of tests/bench/bench-dpdk-fwd.c:
#
#   priority=100,udp,tp_dst=53,actions=drop
#   priority=50,ip,nw_dst=10.1.0.0/16,actions=mod_vlan_vid:100,output:2
#   (and the switch's table-miss: FlowTier's bridge is fail_mode=secure,
#   OVS's table gets no other flow)
#
# Port 1 is net_pcap0,rx_pcap=FILE,infinite_rx=1 (the driver loads the
# whole capture into mbufs of the port's pool and replays it forever),
# port 2 is net_null0,no-rx=1 (a sink).  The capture holds one 60-byte
# UDP frame per flow, as bench-dpdk-fwd writes it: flow i is
# 10.0.X.Y:P -> 10.1.X.Y:5000 with X.Y = i mod 65536, P = 1024 + i / 65536
# (distinct 5-tuples, all inside 10.1.0.0/16, none to port 53).
#
# Cases defined here (each runs only with the switches flowtier-dpdk and
# ovs-dpdk of sw-dpdk.sh, whatever --switches says):
#   dpdk3t      1,000 flows
#   dpdk3t64k   65,536 flows
#   dpdk3t1m    1,048,576 flows (about 8 GiB per switch, see sw-dpdk.sh)
#   dpdk3tgen, dpdk3tgen1m
#               1,000 and 1,048,576 flows whose frames bench-memif-gen
#               (tests/bench) makes as it sends them, on CPU 0, to port 1
#               of type net_memif: no capture in mbufs, so Open vSwitch
#               can run a million flows too
#
# The value is the rate (Mpps) of port 1's rx counter of the switch's
# dump-ports (flowtier dump-ports, ovs-ofctl dump-ports: OVS's database
# statistics lag by 5 s), read BENCH_SKIP seconds after the port came up
# and again max(BENCH_SECONDS, 10) seconds later.  CASE_EXTRA has the
# flow count, port 2's transmit rate, the exact window and the cycles per
# packet of the datapath core (its clock over the rate: both switches
# poll it all the time; OVS's own figure for the cycles of non-empty polls
# is there too).

CASE_dpdk3t_UNIT=Mpps
CASE_dpdk3t_DESC="DPDK net_pcap -> net_null, 3-flow table, 1,000 UDP flows, \
Mpps"
CASE_dpdk3t_SWITCHES=flowtier-dpdk,ovs-dpdk
CASE_dpdk3t_WARMUP=no
CASE_dpdk3t_FLOWS=1000

CASE_dpdk3t64k_UNIT=Mpps
CASE_dpdk3t64k_DESC="as dpdk3t, 65,536 UDP flows"
CASE_dpdk3t64k_SWITCHES=flowtier-dpdk,ovs-dpdk
CASE_dpdk3t64k_WARMUP=no
CASE_dpdk3t64k_FLOWS=65536

CASE_dpdk3t1m_UNIT=Mpps
CASE_dpdk3t1m_DESC="as dpdk3t, 1,048,576 UDP flows"
CASE_dpdk3t1m_SWITCHES=flowtier-dpdk,ovs-dpdk
CASE_dpdk3t1m_WARMUP=no
CASE_dpdk3t1m_FLOWS=1048576

CASE_dpdk3tgen_UNIT=Mpps
CASE_dpdk3tgen_DESC="as dpdk3t, the frames made as they are sent by \
bench-memif-gen on CPU 0 and received over memif"
CASE_dpdk3tgen_SWITCHES=flowtier-dpdk,ovs-dpdk
CASE_dpdk3tgen_WARMUP=no
CASE_dpdk3tgen_FLOWS=1000
CASE_dpdk3tgen_SOURCE=memif

CASE_dpdk3tgen1m_UNIT=Mpps
CASE_dpdk3tgen1m_DESC="as dpdk3tgen, 1,048,576 UDP flows"
CASE_dpdk3tgen1m_SWITCHES=flowtier-dpdk,ovs-dpdk
CASE_dpdk3tgen1m_WARMUP=no
CASE_dpdk3tgen1m_FLOWS=1048576
CASE_dpdk3tgen1m_SOURCE=memif

# case_dpdk_flows: the flow count of the current case ($BENCH_CASE), or
# nothing if it is not a DPDK case.
case_dpdk_flows() {
    eval echo "\${CASE_${BENCH_CASE:-none}_FLOWS:-}"
}

# case_dpdk_pcap FLOWS [KIND]: prints the path of the capture with FLOWS
# flows, writing it into $BENCH_TMP the first time.  KIND 'fwd' (the
# default): every frame 02:00:00:00:00:01 -> 02:00:00:00:00:02; 'macs':
# flow i from 02:00:II:II:II:II (i + 1, big-endian), so that a table with
# an exact dl_src rule gives each flow its own megaflow.
case_dpdk_pcap() {
    local n=$1 kind=${2:-fwd} f=$BENCH_TMP/dpdk3t-$1-${2:-fwd}.pcap
    if [ ! -s "$f" ]; then
        python3 - "$f" "$n" "$kind" <<'PY' || return 1
import struct, sys

path, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def csum(h):
    s = sum(h[i] << 8 | h[i + 1] for i in range(0, len(h), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        lo = i & 0xffff
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64,
                                   17, 0, bytes([10, 0, lo >> 8, lo & 255]),
                                   bytes([10, 1, lo >> 8, lo & 255])))
        ip[10:12] = struct.pack("!H", csum(ip))
        src = (bytes.fromhex("0200") + struct.pack("!I", i + 1)
               if kind == "macs" else bytes.fromhex("020000000001"))
        fr = (bytes.fromhex("020000000002") + src + bytes.fromhex("0800") + ip
              + struct.pack("!HHHH", 1024 + i // 65536, 5000, 26, 0))
        fr += bytes(60 - len(fr))
        f.write(struct.pack("<IIII", 1, i % 1000000, 60, 60) + fr)
PY
    fi
    echo "$f"
}

# case_dpdk_now: seconds since the epoch, with nanoseconds.
case_dpdk_now() {
    date +%s.%N
}

case_dpdk_run() {
    local fn=${BENCH_SWITCH//-/_} secs rx0 rx1 tx0 tx1 t0 t1 gen0 gen1 ticks0
    secs=$(awk -v s="$BENCH_SECONDS" 'BEGIN { print (s < 10 ? 10 : s) }')
    declare -F "sw_${fn}_counts" >/dev/null || {
        bench_log "switch $BENCH_SWITCH has no DPDK port counters"
        return 1
    }
    # The generator is this case's own process: its CPU is not others'.
    ticks0=$(sw_dpdk_memif_ticks)
    sleep "$BENCH_SKIP"
    read -r rx0 tx0 < <("sw_${fn}_counts") && [ -n "$tx0" ] || {
        bench_log "$BENCH_SWITCH: no port counters"
        return 1
    }
    [ "$BENCH_SWITCH" = ovs-dpdk ] \
        && sw_ovs_dpdk_appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1
    t0=$(case_dpdk_now)
    gen0=$(sw_dpdk_memif_mark)
    sleep "$secs"
    read -r rx1 tx1 < <("sw_${fn}_counts") && [ -n "$tx1" ] || {
        bench_log "$BENCH_SWITCH: no port counters"
        return 1
    }
    t1=$(case_dpdk_now)
    gen1=$(sw_dpdk_memif_mark)
    CASE_CPU=$(awk -v a="$ticks0" -v b="$(sw_dpdk_memif_ticks)" \
                   -v hz="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / hz }')
    CASE_VALUE=$(awk -v a="$rx0" -v b="$rx1" -v t0="$t0" -v t1="$t1" \
                     'BEGIN { printf "%.3f", (b - a) / (t1 - t0) / 1e6 }')
    CASE_EXTRA="flows=$(case_dpdk_flows) window_s=$(awk -v t0="$t0" \
        -v t1="$t1" 'BEGIN { printf "%.2f", t1 - t0 }') \
tx_mpps=$(awk -v a="$tx0" -v b="$tx1" -v t0="$t0" -v t1="$t1" \
              'BEGIN { printf "%.3f", (b - a) / (t1 - t0) / 1e6 }') \
cycles_per_pkt=$(case_dpdk_cycles "$CASE_VALUE")"
    if [ -n "$gen0" ] && [ -n "$gen1" ]; then
        # The generator's rate over about the same window, and the bursts
        # the switch's memif ring did not take (nonzero: the switch set
        # the pace, not the generator).
        CASE_EXTRA="$CASE_EXTRA $(echo "$gen0 $gen1" | awk '{
            printf "gen_mpps=%.3f gen_full_bursts=%d",
                   ($5 - $2) / ($4 - $1) / 1e6, $6 - $3 }')"
    fi
    if [ "$BENCH_SWITCH" = ovs-dpdk ]; then
        # OVS's own figure counts only the cycles of polls that got
        # packets: the ones spent on polls that came back empty are out.
        CASE_EXTRA="$CASE_EXTRA ovs_processing_cycles_per_pkt=$(
            sw_ovs_dpdk_appctl dpif-netdev/pmd-stats-show 2>/dev/null | awk '
                /avg processing cycles per packet/ {
                    sub(/.*packet: */, ""); print $1; exit }')"
    fi
}

# case_dpdk_cycles MPPS: the datapath core's cycles per packet at MPPS:
# its clock (/proc/cpuinfo's "cpu MHz") over the rate.  Both switches poll
# their core all the time, so every cycle of it goes to the packets.
case_dpdk_cycles() {
    awk -F: -v r="$1" '/^cpu MHz/ { if (r > 0) printf "%.0f", $2 / r; exit }' \
        /proc/cpuinfo
}

case_dpdk3t_run() {
    case_dpdk_run
}

case_dpdk3t64k_run() {
    case_dpdk_run
}

case_dpdk3t1m_run() {
    case_dpdk_run
}

case_dpdk3tgen_run() {
    case_dpdk_run
}

case_dpdk3tgen1m_run() {
    case_dpdk_run
}
