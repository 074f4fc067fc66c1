# case-openflow.sh - the OpenFlow connection itself, the same client
# (bench/lib/ofbench.py) on each switch's management socket
# (FlowTier: $FLOWTIER_RUNDIR/br0.mgmt; Open vSwitch: br0.mgmt in its run
# directory):
#
#   ofmod  BENCH_OFMOD_RULES (100000) FLOW_MODs (distinct matches) sent
#          back to back over one connection, then one BARRIER; FLOW_MODs
#          per second until the BARRIER_REPLY.  FlowTier runs in its
#          default, durable mode (CASE_ofmod_DURABLE): the reply comes
#          once the rules are committed to its database, fsync included;
#          Open vSwitch keeps no flows on disk.  dump-aggregate must count
#          every rule afterwards, or the run fails.
#   pktin  BENCH_PKTIN_ROUNDS (20000) round trips of a controller: a
#          PACKET_OUT to TABLE meets priority=0 actions=CONTROLLER and
#          comes back as a PACKET_IN before the next one goes; round trips
#          per second.
#
# Only for the OpenFlow switches (flowtier, ovs).

CASE_ofmod_UNIT=flow_mods/s
CASE_ofmod_DESC="100k FLOW_MODs pipelined over one OpenFlow 1.3 \\
connection, then a barrier (FlowTier durable)"
CASE_ofmod_DURABLE=1
CASE_ofmod_SWITCHES=flowtier,ovs
CASE_ofmod_WARMUP=no

CASE_pktin_UNIT=round_trips/s
CASE_pktin_DESC="PACKET_OUT to TABLE -> PACKET_IN round trips over one \\
OpenFlow 1.3 connection, one at a time"
CASE_pktin_SWITCHES=flowtier,ovs
CASE_pktin_WARMUP=no

BENCH_OFMOD_RULES=${BENCH_OFMOD_RULES:-100000}
BENCH_PKTIN_ROUNDS=${BENCH_PKTIN_ROUNDS:-20000}

# case_openflow_target: sets OF_SOCK (the running switch's br0.mgmt) and
# OF_CTL (its flow table command), or fails.
case_openflow_target() {
    sw_flowtier_env
    if [ -s "$FLOWTIER_RUNDIR/flowtierd.pid" ]; then
        OF_SOCK=$FLOWTIER_RUNDIR/br0.mgmt
        OF_CTL=sw_flowtier_ctl
    elif [ -s "$BENCH_TMP/ovs/ovs-vswitchd.pid" ]; then
        sw_ovs_env
        OF_SOCK=$BENCH_TMP/ovs/br0.mgmt
        OF_CTL=ovs-ofctl
    else
        bench_log "openflow: no FlowTier or OVS daemon running"
        return 1
    fi
}

case_ofmod_run() {
    local n
    case_openflow_target || return 1
    $OF_CTL del-flows br0 || return 1
    times >"$BENCH_TMP/ofmod.times0"
    CASE_VALUE=$(python3 "$BENCH_DIR/lib/ofbench.py" flowmod "$OF_SOCK" \
                     "$BENCH_OFMOD_RULES" 2>"$BENCH_TMP/ofmod.err") || {
        bench_log "ofbench: $(cat "$BENCH_TMP/ofmod.err")"
        return 1
    }
    times >"$BENCH_TMP/ofmod.times1"
    n=$(ovs-ofctl -O OpenFlow13 dump-aggregate "unix:$OF_SOCK" \
            | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p')
    [ "$n" = "$BENCH_OFMOD_RULES" ] || {
        bench_log "ofmod: $n rules in the table, not $BENCH_OFMOD_RULES"
        return 1
    }
    CASE_CPU=$(awk -v a="$(bench_times_cpu "$BENCH_TMP/ofmod.times0")" \
                   -v b="$(bench_times_cpu "$BENCH_TMP/ofmod.times1")" \
                   'BEGIN { print b - a }')
    CASE_EXTRA="rules=$BENCH_OFMOD_RULES"
}

case_pktin_run() {
    case_openflow_target || return 1
    $OF_CTL del-flows br0 || return 1
    CASE_VALUE=$(python3 "$BENCH_DIR/lib/ofbench.py" pktin "$OF_SOCK" \
                     "$BENCH_PKTIN_ROUNDS" 2>"$BENCH_TMP/pktin.err") || {
        bench_log "ofbench: $(cat "$BENCH_TMP/pktin.err")"
        return 1
    }
    CASE_EXTRA="rounds=$BENCH_PKTIN_ROUNDS"
}
