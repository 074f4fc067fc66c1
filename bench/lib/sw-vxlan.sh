# sw-vxlan.sh - VXLAN host to host: the switch namespace becomes host A
# (v1: the encapsulating side for ns1 -> ns2) and a second namespace,
# $BENCH_SW-b, host B (v2: decapsulating), joined by an underlay veth
# (172.30.0.1 - 172.30.0.2, MTU 1600 so that ns1 and ns2 keep an MTU of
# 1500).  Each host runs a switch of its own: bridge br0 of its VM port and
# a vxlan port with key 100 to the other host, the default table (NORMAL).
#
#   ns1 - v1 [host A: switch] ul0 <-underlay-> ul0 [host B: switch] v2 - ns2
#
# Switches defined here (for the vxlan cases, case-vxlan.sh):
#   flowtier-vxlan  two flowtierd; the underlay address on ul0
#   ovs-vxlan       two private Open vSwitch with the userspace datapath
#                   (datapath_type=netdev); the underlay address on br-phy,
#                   a bridge of ul0, as OVS's userspace tunnelling wants
#
# Needs BENCH_BUILD, BENCH_TMP, BENCH_SW; topo.sh's namespaces.

SW_VXLAN_IP_A=172.30.0.1
SW_VXLAN_IP_B=172.30.0.2

# Makes host B, moves v2 there and adds the underlay veth.
sw_vxlan_underlay() {
    local b=$BENCH_SW-b ns
    ip netns add "$b" || return 1
    bench_defer "ip netns del $b"
    ip -n "$b" link set lo up
    ip -n "$BENCH_SW" link set v2 netns "$b" || return 1
    ip netns exec "$b" ethtool -K v2 tx off >/dev/null 2>&1
    ip -n "$b" link set v2 up || return 1
    ip -n "$BENCH_SW" link add ul0 type veth peer name ul0 netns "$b" \
        || return 1
    for ns in "$BENCH_SW" "$b"; do
        ip -n "$ns" link set ul0 mtu 1600 up || return 1
    done
}

sw_vxlan_underlay_del() {
    bench_undefer "ip netns del $BENCH_SW-b"
}

# sw_vxlan_ft HOST ARG...: the flowtier command against HOST's daemon.
sw_vxlan_ft() {
    local d=$BENCH_TMP/ft-$1
    shift
    FLOWTIER_RUNDIR=$d/run FLOWTIER_DBDIR=$d/db \
        "$BENCH_BUILD/mgmt/flowtier" --timeout=20 "$@"
}

# sw_vxlan_ft_launch HOST NS PORT REMOTE: flowtierd in NS, br0 of PORT
# and vx0 to REMOTE.
sw_vxlan_ft_launch() {
    local d=$BENCH_TMP/ft-$1
    rm -rf "$d"
    mkdir -p "$d/run" "$d/db" || return 1
    bench_defer "bench_kill_pidfile $d/run/flowtierd.pid"
    FLOWTIER_RUNDIR=$d/run FLOWTIER_DBDIR=$d/db ip netns exec "$2" \
        "$BENCH_BUILD/mgmt/flowtierd" --detach --no-fsync \
        --log-file="$d/flowtierd.log" || {
        bench_log "flowtierd did not start: $(tail -3 "$d/flowtierd.log")"
        return 1
    }
    sw_vxlan_ft "$1" add-br br0 \
        && sw_vxlan_ft "$1" add-port br0 "$3" \
        && sw_vxlan_ft "$1" add-port br0 vx0 -- set Interface vx0 \
               type=vxlan options:remote_ip="$4" options:key=100
}

sw_flowtier_vxlan_start() {
    sw_vxlan_underlay || return 1
    ip -n "$BENCH_SW" addr add "$SW_VXLAN_IP_A/24" dev ul0 \
        && ip -n "$BENCH_SW-b" addr add "$SW_VXLAN_IP_B/24" dev ul0 \
        && sw_vxlan_ft_launch a "$BENCH_SW" v1 "$SW_VXLAN_IP_B" \
        && sw_vxlan_ft_launch b "$BENCH_SW-b" v2 "$SW_VXLAN_IP_A"
}

sw_flowtier_vxlan_stop() {
    bench_undefer "bench_kill_pidfile $BENCH_TMP/ft-b/run/flowtierd.pid"
    bench_undefer "bench_kill_pidfile $BENCH_TMP/ft-a/run/flowtierd.pid"
    sw_vxlan_underlay_del
}

sw_flowtier_vxlan_report() {
    echo "A: $(sw_vxlan_ft a dpif-show br0 2>/dev/null | grep vxlan \
               | tr -s ' \n' ' ')"
    echo "B: $(sw_vxlan_ft b dpif-show br0 2>/dev/null | grep vxlan \
               | tr -s ' \n' ' ')"
}

# sw_vxlan_ovs HOST ARG...: ovs-vsctl against HOST's Open vSwitch.
sw_vxlan_ovs() {
    local d=$BENCH_TMP/ovs-$1
    shift
    PATH=$PATH:/usr/sbin ovs-vsctl --db="unix:$d/db.sock" --timeout=20 "$@"
}

# sw_vxlan_ovs_launch HOST NS PORT LOCAL REMOTE: a private Open vSwitch
# with ovs-vswitchd in NS, br-phy of ul0 with LOCAL, br0 of PORT and vx0
# to REMOTE.
sw_vxlan_ovs_launch() {
    local d=$BENCH_TMP/ovs-$1 schema=/usr/share/openvswitch/vswitch.ovsschema
    local i
    rm -rf "$d"
    mkdir -p "$d" || return 1
    (
        export OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d
        export PATH=$PATH:/usr/sbin
        ovsdb-tool create "$d/conf.db" "$schema" || exit 1
        ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" \
            --pidfile="$d/ovsdb-server.pid" \
            --log-file="$d/ovsdb-server.log" --no-chdir --detach || exit 1
        ovs-vsctl --db="unix:$d/db.sock" --no-wait init || exit 1
        ip netns exec "$2" ovs-vswitchd "unix:$d/db.sock" --disable-system \
            --pidfile="$d/ovs-vswitchd.pid" \
            --log-file="$d/ovs-vswitchd.log" -vconsole:off --no-chdir \
            --detach
    ) || { bench_log "Open vSwitch $1 did not start"; return 1; }
    bench_defer "bench_kill_pidfile $d/ovsdb-server.pid"
    bench_defer "bench_kill_pidfile $d/ovs-vswitchd.pid"
    sw_vxlan_ovs "$1" add-br br-phy -- set Bridge br-phy \
        datapath_type=netdev -- add-port br-phy ul0 || return 1
    for i in $(seq 50); do
        ip -n "$2" link show br-phy >/dev/null 2>&1 && break
        sleep 0.1
    done
    ip -n "$2" addr add "$4/24" dev br-phy \
        && ip -n "$2" link set br-phy up \
        && sw_vxlan_ovs "$1" add-br br0 -- set Bridge br0 \
               datapath_type=netdev -- add-port br0 "$3" \
               -- add-port br0 vx0 -- set Interface vx0 type=vxlan \
               options:remote_ip="$5" options:key=100
}

sw_ovs_vxlan_start() {
    sw_vxlan_underlay || return 1
    sw_vxlan_ovs_launch a "$BENCH_SW" v1 "$SW_VXLAN_IP_A" "$SW_VXLAN_IP_B" \
        && sw_vxlan_ovs_launch b "$BENCH_SW-b" v2 "$SW_VXLAN_IP_B" \
               "$SW_VXLAN_IP_A"
}

sw_ovs_vxlan_stop() {
    local h
    for h in b a; do
        bench_undefer "bench_kill_pidfile $BENCH_TMP/ovs-$h/ovs-vswitchd.pid"
        bench_undefer "bench_kill_pidfile $BENCH_TMP/ovs-$h/ovsdb-server.pid"
    done
    sw_vxlan_underlay_del
}

sw_ovs_vxlan_report() {
    local h
    for h in a b; do
        echo "$h: $(PATH=$PATH:/usr/sbin ovs-ofctl dump-ports br0 \
                    2>/dev/null | tr -s ' \n' ' ')"
    done
}
