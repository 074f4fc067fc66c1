# case-megaflows.sh - the cases about megaflows: how fast a switch makes
# them, what one costs in memory, how long revalidating them takes after
# one rule change.  They run on the DPDK switches of sw-dpdk.sh with a
# capture whose every flow has its own source MAC ('macs') and the table
# 'setup' (case 1's table and one exact dl_src rule, a blocked host), so
# that every flow makes its own megaflow in both switches: a miss in the
# dl_src rule's subtable un-wildcards the whole source MAC.  Both switches
# get room for twice the flows and megaflows that do not idle out
# (sw-dpdk.sh, MEGAFLOWS).
#
# The table is in before the ports come up; from the moment port 1 does,
# every frame of the first pass over the capture misses every cache and
# makes a megaflow.  The case polls the megaflow count and the daemon's
# VmRSS every 50 ms until the count reaches the flow count, stops growing
# for 5 s, or 180 s pass.
#
# Cases (run only with flowtier-dpdk and ovs-dpdk):
#   setup   1,048,576 flows, the capture read once; megaflows installed
#           per second, from the count's growth between the samples at
#           10% and 90% of the most it reached
#   mfmem   the same load; bytes of VmRSS per megaflow: the slope of a
#           least-squares line through the (megaflows, VmRSS) samples
#           between 10% and 90% (what one more megaflow costs; the port's
#           buffer pool, allocated before, is left out).  CASE_EXTRA has
#           the VmRSS at the end.  Lower is better.
#   reval   200,000 flows, the capture replayed (the megaflows stay in
#           use); after the fill, one rule change (the nw_dst=10.1.0.0/16
#           rule's action becomes mod_vlan_vid:200), and the time the
#           switch reports for the revalidator pass that handled it, in
#           wall time: FlowTier's dpif-show 'last pass' (the pass that
#           translated the megaflows again, in slices with forwarding in
#           between), Open vSwitch's longest 'dump duration' of
#           upcall/show in the 5 s after the change (its revalidators dump
#           every 500 ms; the one after a rule change translates every
#           megaflow again).  Afterwards a dump of the datapath must show
#           the new VLAN on at least 99% of the megaflows, or the run
#           fails.  Lower is better.
#
# Open vSwitch cannot replay a capture of more than about 256k frames:
# net_pcap's infinite_rx needs an mbuf per frame, and OVS's shared pool
# has 262,144 (its rxq setup fails with EINVAL).  Hence the single pass
# for 1M flows.
#
# The polling (CLI, ovs-appctl, awk) counts as the case's CPU time
# (CASE_CPU), not as other processes'.

CASE_setup_UNIT=megaflows/s
CASE_setup_DESC="DPDK, 1,048,576 flows each making its own megaflow, \
megaflows installed per second"
CASE_setup_FLOWS=1048576
CASE_setup_REPLAY=0

CASE_mfmem_UNIT=B/megaflow
CASE_mfmem_DESC="DPDK, the setup load, growth of the daemon's VmRSS per \
megaflow; lower is better, a ratio above 1: FlowTier uses more"
CASE_mfmem_FLOWS=1048576
CASE_mfmem_REPLAY=0

CASE_reval_UNIT=ms
CASE_reval_DESC="DPDK, 200,000 megaflows, one rule change, the \
revalidator pass that followed (switch's own figure); lower is better"
CASE_reval_FLOWS=200000

# What the three have in common (see sw-dpdk.sh).
for c in setup mfmem reval; do
    eval "CASE_${c}_SWITCHES=flowtier-dpdk,ovs-dpdk CASE_${c}_WARMUP=no"
    eval "CASE_${c}_CAPTURE=macs CASE_${c}_TABLE=setup CASE_${c}_MEGAFLOWS=1"
done
unset c

# case_mf_fill: waits for the megaflows.  Writes 'TIME COUNT RSS_KB'
# samples to $BENCH_TMP/fill.txt and sets CASE_MF_N (megaflows at the
# end), CASE_MF_RSS (kB at the end) and CASE_EXTRA.  Returns 1 if the
# switch does not answer.
case_mf_fill() {
    local fn=${BENCH_SWITCH//-/_} flows t0 t n rss last=-1 since
    flows=$(case_dpdk_flows)
    : >"$BENCH_TMP/fill.txt"
    t0=$(case_dpdk_now)
    since=$t0
    while :; do
        t=$(case_dpdk_now)
        n=$("sw_${fn}_megaflows")
        rss=$("sw_${fn}_rss")
        [ -n "$n" ] && [ -n "$rss" ] || {
            bench_log "$BENCH_SWITCH: no megaflow count or VmRSS"
            return 1
        }
        echo "$(awk -v a="$t" -v b="$t0" 'BEGIN { printf "%.3f", a - b }')" \
             "$n $rss" >>"$BENCH_TMP/fill.txt"
        [ "$n" -ge "$flows" ] && break
        if [ "$n" != "$last" ]; then
            last=$n since=$t
        elif awk -v a="$t" -v b="$since" 'BEGIN { exit !(a - b > 5) }'; then
            break
        fi
        awk -v a="$t" -v b="$t0" 'BEGIN { exit !(a - b > 180) }' && break
        sleep 0.05
    done
    CASE_MF_N=$n CASE_MF_RSS=$rss
    CASE_EXTRA="flows=$flows megaflows=$n rss_kb=$rss samples=$(
        wc -l <"$BENCH_TMP/fill.txt")"
    if [ "$BENCH_SWITCH" = ovs-dpdk ]; then
        CASE_EXTRA="$CASE_EXTRA ovs_flow_limit=$(sw_ovs_dpdk_upcall limit)"
    fi
    return 0
}

# case_mf_rate: megaflows per second from $BENCH_TMP/fill.txt, between
# the samples at 10% and 90% of the highest count.
case_mf_rate() {
    awk '{ t[NR] = $1; n[NR] = $2; if ($2 > m) m = $2 }
         END {
             for (i = 1; i <= NR; i++) {
                 if (!a && n[i] >= 0.1 * m) a = i
                 if (!b && n[i] >= 0.9 * m) b = i
             }
             if (!a || !b || t[b] <= t[a]) exit 1
             printf "%.0f\n", (n[b] - n[a]) / (t[b] - t[a])
         }' "$BENCH_TMP/fill.txt"
}

# case_mf_slope: bytes of VmRSS per megaflow from $BENCH_TMP/fill.txt:
# the least-squares slope over the samples between 10% and 90% of the
# highest count.
case_mf_slope() {
    awk '{ n[NR] = $2; r[NR] = $3 * 1024; if ($2 > m) m = $2 }
         END {
             for (i = 1; i <= NR; i++) {
                 if (n[i] < 0.1 * m || n[i] > 0.9 * m) continue
                 k++; sx += n[i]; sy += r[i]
                 sxx += n[i] * n[i]; sxy += n[i] * r[i]
             }
             d = k * sxx - sx * sx
             if (k < 3 || d <= 0) exit 1
             printf "%.0f\n", (k * sxy - sx * sy) / d
         }' "$BENCH_TMP/fill.txt"
}

# case_mf_timed COMMAND...: runs COMMAND in this shell, setting CASE_CPU
# to the CPU time its child processes took.
case_mf_timed() {
    local rc
    times >"$BENCH_TMP/mf.times0"
    "$@"
    rc=$?
    times >"$BENCH_TMP/mf.times1"
    CASE_CPU=$(awk -v a="$(bench_times_cpu "$BENCH_TMP/mf.times0")" \
                   -v b="$(bench_times_cpu "$BENCH_TMP/mf.times1")" \
                   'BEGIN { print b - a }')
    return $rc
}

case_setup_run() {
    case_mf_timed case_setup_measure
}

case_mfmem_run() {
    case_mf_timed case_mfmem_measure
}

case_reval_run() {
    case_mf_timed case_reval_measure
}

case_setup_measure() {
    case_mf_fill || return 1
    CASE_VALUE=$(case_mf_rate) || {
        bench_log "$BENCH_SWITCH: too few samples for a rate"
        return 1
    }
}

case_mfmem_measure() {
    case_mf_fill || return 1
    CASE_VALUE=$(case_mf_slope) || {
        bench_log "$BENCH_SWITCH: too few samples for bytes per megaflow"
        return 1
    }
}

# case_reval_pass: prints the time (ms) the rule change made just before
# took to reach every megaflow (and for FlowTier, the megaflows translated
# again meanwhile), or nothing.  FlowTier records it for the change that
# followed tables version $VERSION_BEFORE (from the first slice that saw
# the change to the end of the first pass begun after it), so the case
# cannot miss it between two polls.  For OVS, the longest revalidator
# round seen in the next 5 s.
case_reval_pass() {
    local i d max= fields
    if [ "${BENCH_SWITCH%-alt}" = flowtier-dpdk ]; then
        for i in $(seq 1500); do
            fields=$(sw_flowtier_dpdk_dpif last_change_version \
                         last_change_settle_usec last_change_retranslated)
            set -- $fields
            if [ -n "${3:-}" ] && [ "$1" -gt "$VERSION_BEFORE" ]; then
                awk -v u="$2" -v n="$3" \
                    'BEGIN { printf "%.1f %d\n", u / 1000, n }'
                return 0
            fi
            sleep 0.02
        done
        return 0
    fi
    for i in $(seq 100); do
        d=$(sw_ovs_dpdk_upcall duration)
        [ -n "$d" ] && { [ -z "$max" ] || [ "$d" -gt "$max" ]; } && max=$d
        sleep 0.05
    done
    echo "$max"
}

case_reval_measure() {
    local fn=${BENCH_SWITCH//-/_} before changed n
    case_mf_fill || return 1
    [ "$CASE_MF_N" -ge "$(case_dpdk_flows)" ] || {
        bench_log "$BENCH_SWITCH: $CASE_MF_N megaflows, not $(case_dpdk_flows)"
        return 1
    }
    # A routine pass first, for comparison.
    sleep 2
    if [ "${BENCH_SWITCH%-alt}" = flowtier-dpdk ]; then
        before=$(sw_flowtier_dpdk_dpif last_pass_usec \
                     | awk '{ printf "%.1f", $1 / 1000 }')
        VERSION_BEFORE=$(sw_flowtier_dpdk_dpif tables_version)
    else
        before=$(sw_ovs_dpdk_upcall duration)
    fi
    "sw_${fn}_change" >/dev/null || {
        bench_log "$BENCH_SWITCH: the rule change does not go in"
        return 1
    }
    set -- $(case_reval_pass)
    CASE_VALUE=${1:-}
    [ -n "${2:-}" ] && CASE_EXTRA="$CASE_EXTRA retranslated=$2"
    [ -n "$CASE_VALUE" ] || {
        bench_log "$BENCH_SWITCH: no revalidator pass after the change"
        return 1
    }
    sleep 1
    n=$("sw_${fn}_megaflows")
    changed=$("sw_${fn}_dp_count" "vid=200,")
    CASE_EXTRA="$CASE_EXTRA routine_pass_ms=$before megaflows_after=$n \
with_new_vlan=$changed"
    [ "$changed" -ge $((n * 99 / 100)) ] || {
        bench_log "$BENCH_SWITCH: only $changed of $n megaflows carry the" \
                  "new VLAN"
        return 1
    }
}
