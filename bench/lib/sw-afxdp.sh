# sw-afxdp.sh - FlowTier with AF_XDP ports: flowtierd in the switch
# namespace, bridge br0 with v1 and v2 of type afxdp as OpenFlow ports 1
# and 2, the default table (NORMAL).
#
# Switches defined here:
#   flowtier-xdp-native   options:xdp-mode=native
#   flowtier-xdp-generic  options:xdp-mode=generic
# Each refuses to start if a port is not on XDP in that mode (it fell
# back to AF_PACKET: 'flowtier show' says why), so that no AF_PACKET
# figure is reported as an AF_XDP one.
#
# Needs BENCH_BUILD (a built tree), BENCH_TMP, BENCH_SW; uses sw-flowtier.sh.

# sw_afxdp_launch MODE: flowtierd with br0, v1 and v2 in xdp-mode MODE.
sw_afxdp_launch() {
    local mode=$1 show
    SW_FLOWTIER_BUILD=$BENCH_BUILD
    sw_flowtier_env
    rm -rf "$BENCH_TMP/ft"
    mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR" || return 1
    bench_defer "bench_kill_pidfile $FLOWTIER_RUNDIR/flowtierd.pid"
    ip netns exec "$BENCH_SW" "$BENCH_BUILD/mgmt/flowtierd" --detach \
        --no-fsync --log-file="$BENCH_TMP/ft/flowtierd.log" || return 1
    sw_flowtier_ctl add-br br0 \
        && sw_flowtier_ctl add-port br0 v1 -- set Interface v1 \
               ofport_request=1 type=afxdp options:xdp-mode="$mode" \
        && sw_flowtier_ctl add-port br0 v2 -- set Interface v2 \
               ofport_request=2 type=afxdp options:xdp-mode="$mode" \
        || return 1
    show=$(sw_flowtier_ctl show) || return 1
    [ "$(grep -c "status: xdp-mode=$mode," <<<"$show")" = 2 ] || {
        bench_log "afxdp ports not in $mode mode: $show"
        return 1
    }
}

sw_flowtier_xdp_native_start() {
    sw_afxdp_launch native
}

sw_flowtier_xdp_native_stop() {
    sw_flowtier_stop
}

sw_flowtier_xdp_native_report() {
    sw_flowtier_report
}

sw_flowtier_xdp_generic_start() {
    sw_afxdp_launch generic
}

sw_flowtier_xdp_generic_stop() {
    sw_flowtier_stop
}

sw_flowtier_xdp_generic_report() {
    sw_flowtier_report
}
