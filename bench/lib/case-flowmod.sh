# case-flowmod.sh - OpenFlow rule insertion: BENCH_FLOWMOD_RULES (100000)
# distinct rules loaded from a file into br0 of the running switch, whose
# table is emptied first: 'flowtier add-flows br0 FILE' for FlowTier,
# 'ovs-ofctl add-flows br0 FILE' for Open vSwitch.  The value is rules per
# second over the wall time of that command, which returns once every
# rule is in the table (FlowTier: after the database committed the
# transaction, fsync included: sw-flowtier.sh leaves out --no-fsync for a
# case with CASE_NAME_DURABLE=1; ovs-ofctl: after the barrier reply).
# Afterwards dump-flows must list exactly that many rules, or the run
# fails.
#
# Also defines the case 'memory': the same load, valued in bytes of the
# switch daemon's resident memory (VmRSS) per rule loaded.  Both cases
# record the daemon's VmRSS before and after the load in CASE_EXTRA.
#
# Only for the OpenFlow switches (flowtier, ovs: CASE_NAME_SWITCHES);
# needs BENCH_TMP and the switches' control functions.

CASE_flowmod_UNIT=rules/s
CASE_flowmod_DESC="100k distinct OpenFlow rules loaded by add-flows into \
an empty table, rules/s (durable database)"
CASE_flowmod_DURABLE=1
CASE_flowmod_SWITCHES=flowtier,ovs
CASE_flowmod_WARMUP=no

CASE_memory_UNIT=B/rule
CASE_memory_DESC="growth of the daemon's VmRSS per rule loaded (100k \
rules); lower is better, a ratio above 1: FlowTier uses more"
CASE_memory_DURABLE=1
CASE_memory_SWITCHES=flowtier,ovs
CASE_memory_WARMUP=no

BENCH_FLOWMOD_RULES=${BENCH_FLOWMOD_RULES:-100000}

# Also 'flowmod1m': the same with 1,000,000 rules (a 75 MB file, which
# 'flowtier add-flows' streams to the daemon in chunks and commits as one
# transaction), counted with dump-aggregate.
CASE_flowmod1m_UNIT=rules/s
CASE_flowmod1m_DESC="1M distinct OpenFlow rules loaded by add-flows into \
an empty table, rules/s (durable database, one transaction)"
CASE_flowmod1m_DURABLE=1
CASE_flowmod1m_SWITCHES=flowtier,ovs
CASE_flowmod1m_WARMUP=no

# case_flowmod_file: prints the name of the rules file, writing it on
# first use.  Rule i has a match unique to it (its nw_src, 10.X.Y.Z from
# i) and a mix of fields and actions by i mod 4, written without
# redundant text ('/32', defaults): 100,000 of them take 7.5 MB.
case_flowmod_file() {
    local f=$BENCH_TMP/flowmod-$BENCH_FLOWMOD_RULES.txt
    if [ ! -s "$f" ]; then
        awk -v n="$BENCH_FLOWMOD_RULES" 'BEGIN {
            for (i = 0; i < n; i++) {
                src = sprintf("10.%d.%d.%d", int(i / 65536) % 256,
                              int(i / 256) % 256, i % 256)
                dst = sprintf("172.16.%d.%d", int(i / 256) % 256,
                              (i * 7) % 256)
                prio = 100 + i % 1000
                k = i % 4
                if (k == 0)
                    printf "priority=%d,ip,nw_src=%s,nw_dst=%s," \
                           "actions=output:2\n", prio, src, dst
                else if (k == 1)
                    printf "priority=%d,tcp,in_port=1,nw_src=%s," \
                           "tp_dst=%d,actions=output:2\n", prio, src,
                           1 + i % 65535
                else if (k == 2)
                    printf "priority=%d,udp,nw_src=%s,tp_src=%d," \
                           "actions=mod_nw_tos:32,output:1\n",
                           prio, src, 1 + i % 65535
                else
                    printf "priority=%d,ip,dl_dst=02:00:00:00:%02x:%02x," \
                           "nw_src=%s,actions=drop\n", prio,
                           int(i / 256) % 256, i % 256, src
            }
        }' >"$f" || return 1
    fi
    echo "$f"
}

# case_flowmod_count: the number of rules in br0 of the running switch
# (dump-aggregate over its management socket: one small reply however
# many rules; the running switch as in case_flowmod_load).
case_flowmod_count() {
    local sock
    sw_flowtier_env
    if [ -s "$FLOWTIER_RUNDIR/flowtierd.pid" ]; then
        sock=$FLOWTIER_RUNDIR/br0.mgmt
    else
        sock=$BENCH_TMP/ovs/br0.mgmt
    fi
    ovs-ofctl -O OpenFlow13 dump-aggregate "unix:$sock" \
        | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p'
}

# case_flowmod_rss PID: the process's VmRSS in kB.
case_flowmod_rss() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# case_flowmod_load: empties br0 of the running switch, loads the rules
# and counts them.  Sets CASE_FLOWMOD_SECS, CASE_FLOWMOD_RSS0,
# CASE_FLOWMOD_RSS1 (kB) and CASE_FLOWMOD_FSYNC (1 if the switch's
# database fsyncs its commits, 0 if not, '-' if it has none for flows).
case_flowmod_load() {
    local file pidfile n ctl sw TIMEFORMAT='%3R'
    # Every command of the case counts as the benchmark's CPU time, not
    # others' (run.sh's CASE_CPU): 'times' in this shell, not a subshell.
    times >"$BENCH_TMP/flowmod.times0"
    file=$(case_flowmod_file) || {
        bench_log "cannot write the rules"
        return 1
    }
    # The running switch is the one whose daemon's pidfile exists (a
    # switch's stop function removes it).
    sw_flowtier_env
    if [ -s "$FLOWTIER_RUNDIR/flowtierd.pid" ]; then
        sw=flowtier
    elif [ -s "$BENCH_TMP/ovs/ovs-vswitchd.pid" ]; then
        sw=ovs
    else
        sw=none
    fi
    case $sw in
        flowtier)
            pidfile=$FLOWTIER_RUNDIR/flowtierd.pid
            ctl=sw_flowtier_ctl
            CASE_FLOWMOD_FSYNC=1
            tr '\0' ' ' <"/proc/$(cat "$pidfile")/cmdline" \
                | grep -q -- --no-fsync && CASE_FLOWMOD_FSYNC=0
            ;;
        ovs)
            sw_ovs_env
            pidfile=$BENCH_TMP/ovs/ovs-vswitchd.pid
            ctl=ovs-ofctl
            CASE_FLOWMOD_FSYNC=-
            ;;
        *)
            bench_log "flowmod: no FlowTier or OVS daemon running"
            return 1
            ;;
    esac
    $ctl del-flows br0 || return 1
    n=$(case_flowmod_count)
    [ "$n" = 0 ] || {
        bench_log "flowmod: $n rules left after del-flows"
        return 1
    }
    CASE_FLOWMOD_RSS0=$(case_flowmod_rss "$(cat "$pidfile")")
    { time $ctl add-flows br0 "$file" >"$BENCH_TMP/flowmod.out" 2>&1; } \
        2>"$BENCH_TMP/flowmod.time" || {
        bench_log "add-flows failed: $(tail -3 "$BENCH_TMP/flowmod.out")"
        return 1
    }
    # The daemon's memory once it is done with the request (it may still
    # be freeing it when the command returns).
    sleep 1
    CASE_FLOWMOD_RSS1=$(case_flowmod_rss "$(cat "$pidfile")")
    n=$(case_flowmod_count)
    [ "$n" = "$BENCH_FLOWMOD_RULES" ] || {
        bench_log "flowmod: $n rules in the table, not $BENCH_FLOWMOD_RULES"
        return 1
    }
    read -r CASE_FLOWMOD_SECS <"$BENCH_TMP/flowmod.time"
    times >"$BENCH_TMP/flowmod.times1"
    CASE_CPU=$(awk -v a="$(bench_times_cpu "$BENCH_TMP/flowmod.times0")" \
                   -v b="$(bench_times_cpu "$BENCH_TMP/flowmod.times1")" \
                   'BEGIN { print b - a }')
}

case_flowmod_extra() {
    CASE_EXTRA="rules=$BENCH_FLOWMOD_RULES seconds=$CASE_FLOWMOD_SECS \
fsync=$CASE_FLOWMOD_FSYNC rss_kb_before=$CASE_FLOWMOD_RSS0 \
rss_kb_after=$CASE_FLOWMOD_RSS1"
}

case_flowmod_run() {
    case_flowmod_load || return 1
    CASE_VALUE=$(awk -v n="$BENCH_FLOWMOD_RULES" -v s="$CASE_FLOWMOD_SECS" \
                     'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    case_flowmod_extra
}

case_flowmod1m_run() {
    local BENCH_FLOWMOD_RULES=1000000 SW_FLOWTIER_TIMEOUT=900
    case_flowmod_run
}

case_memory_run() {
    case_flowmod_load || return 1
    CASE_VALUE=$(awk -v n="$BENCH_FLOWMOD_RULES" -v a="$CASE_FLOWMOD_RSS0" \
                     -v b="$CASE_FLOWMOD_RSS1" \
                     'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
    case_flowmod_extra
}
