# sw-ovs.sh - Open vSwitch under test: a private ovsdb-server and
# ovs-vswitchd (state in $BENCH_TMP/ovs, no systemd, no kernel datapath)
# with ovs-vswitchd in the switch namespace, bridge br0 of
# datapath_type=netdev (the userspace datapath) and v1, v2 as ports of
# type system (netdev-linux: AF_PACKET sockets) with OpenFlow numbers 1
# and 2.  The ports are not DPDK ports, so no PMD thread polls them: the
# main thread does, as FlowTier's event loop does.
#
# Switches defined here:
#   ovs        the default table (NORMAL)
#   ovs-flows  in_port=1 -> output:2 and in_port=2 -> output:1
#
# Needs BENCH_TMP and BENCH_SW; Open vSwitch's programs on PATH or in
# /usr/sbin.

sw_ovs_env() {
    local d=$BENCH_TMP/ovs
    OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d
    export OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR
    PATH=$PATH:/usr/sbin:/sbin
}

sw_ovs_vsctl() {
    ovs-vsctl --db="unix:$BENCH_TMP/ovs/db.sock" --timeout=20 "$@"
}

# sw_ovs_launch VSWITCHD [INIT-ARG...]: a private Open vSwitch in
# $BENCH_TMP/ovs: a new database, ovsdb-server, 'ovs-vsctl init' with the
# INIT-ARGs (e.g. '-- set Open_vSwitch . other_config:...'), and the
# VSWITCHD binary in the switch namespace.
sw_ovs_launch() {
    local d=$BENCH_TMP/ovs schema=/usr/share/openvswitch/vswitch.ovsschema
    local vswitchd=$1
    shift
    sw_ovs_env
    rm -rf "$d"
    mkdir -p "$d" || return 1
    [ -r "$schema" ] || { bench_log "no $schema"; return 1; }
    ovsdb-tool create "$d/conf.db" "$schema" || return 1
    bench_defer "bench_kill_pidfile $d/ovsdb-server.pid"
    ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" \
        --pidfile="$d/ovsdb-server.pid" --log-file="$d/ovsdb-server.log" \
        --no-chdir --detach || return 1
    sw_ovs_vsctl --no-wait init "$@" || return 1
    bench_defer "bench_kill_pidfile $d/ovs-vswitchd.pid"
    ip netns exec "$BENCH_SW" "$vswitchd" "unix:$d/db.sock" \
        --disable-system --disable-system-route \
        --pidfile="$d/ovs-vswitchd.pid" --log-file="$d/ovs-vswitchd.log" \
        -vconsole:off --no-chdir --detach || {
        bench_log "$(basename "$vswitchd") did not start:" \
                  "$(tail -3 "$d/ovs-vswitchd.log")"
        return 1
    }
}

sw_ovs_start() {
    local i
    # With the offloads on (topo_offloads), Open vSwitch's userspace TSO
    # (virtio-net headers on its packet sockets), as FlowTier's.
    if topo_offloads; then
        sw_ovs_launch ovs-vswitchd -- set Open_vSwitch . \
            other_config:userspace-tso-enable=true || return 1
    else
        sw_ovs_launch ovs-vswitchd || return 1
    fi
    sw_ovs_vsctl add-br br0 -- set bridge br0 datapath_type=netdev \
        -- add-port br0 v1 -- set interface v1 ofport_request=1 \
        -- add-port br0 v2 -- set interface v2 ofport_request=2 || return 1
    for i in $(seq 100); do
        ovs-ofctl show br0 >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    bench_log "OVS br0 does not answer OpenFlow"
    return 1
}

sw_ovs_stop() {
    local d=$BENCH_TMP/ovs
    bench_undefer "bench_kill_pidfile $d/ovs-vswitchd.pid"
    bench_undefer "bench_kill_pidfile $d/ovsdb-server.pid"
}

sw_ovs_report() {
    sw_ovs_env
    ovs-ofctl dump-ports br0 2>/dev/null | tr -s ' \n' ' '
}

sw_ovs_flows_start() {
    sw_ovs_start || return 1
    ovs-ofctl del-flows br0 \
        && ovs-ofctl add-flow br0 'in_port=1,actions=output:2' \
        && ovs-ofctl add-flow br0 'in_port=2,actions=output:1'
}

sw_ovs_flows_stop() {
    sw_ovs_stop
}

sw_ovs_flows_report() {
    sw_ovs_report
}
