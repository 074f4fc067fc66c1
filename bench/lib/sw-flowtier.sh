# sw-flowtier.sh - FlowTier under test: flowtierd in the switch namespace,
# bridge br0 with v1 and v2 as OpenFlow ports 1 and 2 (type system: the
# AF_PACKET TPACKET_V3 port class).
#
# Switches defined here:
#   flowtier        the default table (priority=0 actions=NORMAL)
#   flowtier-flows  the table replaced by in_port=1 -> output:2 and
#                   in_port=2 -> output:1
#   flowtier-alt    as 'flowtier', with the programs of the build
#                   directory BENCH_ALT_BUILD (run.sh --alt-build) and,
#                   if SW_FLOWTIER_ALT_OPTIONS is set, its words added to
#                   both ports' Interface (options:rx_ring_frames=1024,
#                   say: an A/B of a port option with --alt-build naming
#                   the same build)
#
# Needs BENCH_BUILD (a built tree), BENCH_TMP, BENCH_SW.

sw_flowtier_env() {
    FLOWTIER_RUNDIR=$BENCH_TMP/ft/run
    FLOWTIER_DBDIR=$BENCH_TMP/ft/db
    export FLOWTIER_RUNDIR FLOWTIER_DBDIR
}

sw_flowtier_ctl() {
    "${SW_FLOWTIER_BUILD:-$BENCH_BUILD}/mgmt/flowtier" \
        --timeout="${SW_FLOWTIER_TIMEOUT:-20}" "$@"
}

sw_flowtier_start() {
    SW_FLOWTIER_BUILD=$BENCH_BUILD SW_FLOWTIER_IFACE=
    sw_flowtier_launch
}

# Starts flowtierd of $SW_FLOWTIER_BUILD with br0, v1 and v2.
sw_flowtier_launch() {
    local nofsync=--no-fsync
    sw_flowtier_env
    # A case measuring database commits (CASE_<case>_DURABLE=1) gets the
    # default, durable mode; the traffic cases do not commit anything.
    eval "[ -z \"\${CASE_${BENCH_CASE:-none}_DURABLE:-}\" ]" || nofsync=
    rm -rf "$BENCH_TMP/ft"
    mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR" || return 1
    bench_defer "bench_kill_pidfile $FLOWTIER_RUNDIR/flowtierd.pid"
    ip netns exec "$BENCH_SW" "$SW_FLOWTIER_BUILD/mgmt/flowtierd" --detach \
        $nofsync --log-file="$BENCH_TMP/ft/flowtierd.log" || {
        bench_log "flowtierd did not start:" \
                  "$(tail -3 "$BENCH_TMP/ft/flowtierd.log")"
        return 1
    }
    sw_flowtier_ctl add-br br0 \
        && sw_flowtier_ctl add-port br0 v1 -- set Interface v1 \
               ofport_request=1 ${SW_FLOWTIER_IFACE:-} \
        && sw_flowtier_ctl add-port br0 v2 -- set Interface v2 \
               ofport_request=2 ${SW_FLOWTIER_IFACE:-}
}

sw_flowtier_stop() {
    sw_flowtier_env
    bench_undefer "bench_kill_pidfile $FLOWTIER_RUNDIR/flowtierd.pid"
}

# Datapath statistics of the run, one line, for the log.
sw_flowtier_report() {
    sw_flowtier_env
    sw_flowtier_ctl dump-ports br0 2>/dev/null | tr -s ' \n' ' '
}

sw_flowtier_flows_start() {
    sw_flowtier_start || return 1
    sw_flowtier_ctl del-flows br0 \
        && sw_flowtier_ctl add-flow br0 'in_port=1,actions=output:2' \
        && sw_flowtier_ctl add-flow br0 'in_port=2,actions=output:1'
}

sw_flowtier_flows_stop() {
    sw_flowtier_stop
}

sw_flowtier_flows_report() {
    sw_flowtier_report
}

sw_flowtier_alt_start() {
    [ -n "${BENCH_ALT_BUILD:-}" ] || { bench_log "no --alt-build"; return 1; }
    SW_FLOWTIER_BUILD=$BENCH_ALT_BUILD
    SW_FLOWTIER_IFACE=${SW_FLOWTIER_ALT_OPTIONS:-}
    sw_flowtier_launch
}

sw_flowtier_alt_stop() {
    sw_flowtier_stop
}

sw_flowtier_alt_report() {
    sw_flowtier_report
}
