#!/bin/bash
# System test: VXLAN between two hypervisors.  Host A is the test's own
# namespace, host B a second one; each runs its own flowtierd (own run and
# database directories) with two VM namespaces, and the two hosts are
# joined by an underlay veth (172.31.1.1 - 172.31.1.2, MTU 1500).  On each
# bridge, VMs of VNI 100 sit on access ports of VLAN 100 beside a vxlan
# port with key=100 (same for 200), as Open vSwitch's guide sets it up, so
# NORMAL switches between local VMs and the tunnel:
#
#   a1 10.0.0.1 (VNI 100) --\            /-- b1 10.0.0.11 (VNI 100)
#                            br0 ==ul== br0
#   a2 10.0.0.2 (VNI 200) --/            \-- b2 10.0.0.12 (VNI 200)
#
# VMs of one VNI on different hosts ping and move 4 MiB over TCP; VNI 100
# and 200 stay apart although they share a subnet; full-size frames at the
# VMs' MTU of 1450 pass; a DF packet too big for the underlay is dropped
# and counted in dump-ports and dpif-show; the megaflows show the tunnel
# in dump-dp-flows; the underlay's neighbour and route are followed as
# they change; trace follows a packet into and out of a tunnel; bad
# options are refused with their reason.  Interop: a Linux vxlan device
# (host C) and Open vSwitch 3.1's userspace datapath (host D) as peers of
# host A, both ways, and through A to host B.
#
# usage: test-vxlan.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need sha256sum

HB=${SYS_NS_PREFIX}hostb
RUN_A=$FLOWTIER_RUNDIR DB_A=$FLOWTIER_DBDIR
RUN_B=$SYS_T/run-b DB_B=$SYS_T/db-b

# on_b CMD...: runs CMD in host B's namespace, against host B's daemon.
on_b() {
    FLOWTIER_RUNDIR=$RUN_B FLOWTIER_DBDIR=$DB_B ip netns exec "$HB" "$@"
}

# ftb STATUS ARG...: as ft, against host B's daemon.
ftb() {
    local save_run=$FLOWTIER_RUNDIR save_db=$FLOWTIER_DBDIR rc=0
    export FLOWTIER_RUNDIR=$RUN_B FLOWTIER_DBDIR=$DB_B
    ft "$@" || rc=$?
    export FLOWTIER_RUNDIR=$save_run FLOWTIER_DBDIR=$save_db
    return $rc
}

# add_vm_b VM IP PORT ADD-PORT-ARGS...: sys_add_vm on host B.
add_vm_b() {
    local vm=$1 ip=$2 port=$3 ns=$SYS_NS_PREFIX$1 mac
    shift 3
    mac=$(printf '02:00:00:00:00:%02x' "${ip##*.}")
    ip netns add "$ns" || fail "cannot create namespace $ns"
    on_b ip link add "$port" type veth peer name eth0 netns "$ns" \
        || fail "cannot create veth $port on host B"
    in_vm "$vm" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    in_vm "$vm" ip link set eth0 address "$mac"
    in_vm "$vm" ip addr add "$ip/24" dev eth0
    in_vm "$vm" ip link set lo up
    in_vm "$vm" ip link set eth0 up
    in_vm "$vm" ethtool -K eth0 tx off >/dev/null
    on_b ip link set "$port" up
    on_b "$FT" add-port br0 "$port" "$@" || fail "add-port $port on host B"
    pass
}

# The underlay.
ip netns add "$HB" || fail "cannot create host B"
on_b ip link set lo up
on_b sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add ul0 type veth peer name ul0 netns "$HB" || fail "no underlay veth"
ip addr add 172.31.1.1/24 dev ul0
ip link set ul0 up
on_b ip addr add 172.31.1.2/24 dev ul0
on_b ip link set ul0 up

# The two daemons.
sys_start_daemon
mkdir -p "$RUN_B" "$DB_B"
SYS_RUNDIRS+=("$RUN_B")
on_b "$FTD" --detach --no-fsync --log-file="$SYS_T/flowtierd-b.log" \
    || fail "host B's flowtierd did not start: $(tail -5 "$SYS_T/flowtierd-b.log")"
[ "$(cat "$RUN_A/flowtierd.pid")" != "$(cat "$RUN_B/flowtierd.pid")" ] \
    || fail "one daemon for both hosts"
pass

ft 0 add-br br0
ftb 0 add-br br0

# ---- Bad options are refused, with the reason, and nothing is added.
ft 1 add-port br0 vxbad -- set Interface vxbad type=vxlan options:remote_ip=10.1.1
expect_err "vxbad: options:remote_ip '10.1.1' is not an IPv4 address or 'flow'"
ft 1 add-port br0 vxbad -- set Interface vxbad type=vxlan options:remote_ip=172.31.1.2 options:key=16777216
expect_err "options:key '16777216' is not a number from 0 to 16777215"
ft 1 add-port br0 vxbad -- set Interface vxbad type=vxlan options:remote_ip=fd00::2
expect_err "IPv4 only"
ft 1 add-port br0 vxbad -- set Interface vxbad type=vxlan options:key=5
expect_err "needs options:remote_ip"
ft 1 add-port br0 vxbad -- set Interface vxbad type=vxlan options:remote_ip=172.31.1.2 options:df_default=maybe
expect_err "options:df_default 'maybe' is not 'true' or 'false'"
ft 1 add-port br0 vxbad -- set Interface vxbad type=vxlan options:remote_ip=172.31.1.2 options:colour=red
expect_err "unknown option 'colour' for type vxlan"
ft 0 list-ports br0
grep -q vxbad <<<"$out" && fail "a refused vxlan port was added"
pass

# ---- The tunnels: two VNIs to host B, and back.
ft 0 add-port br0 vx100 -- set Port vx100 tag=100 -- set Interface vx100 type=vxlan \
    options:remote_ip=172.31.1.2 options:key=100
ft 0 add-port br0 vx200 -- set Port vx200 tag=200 -- set Interface vx200 type=vxlan \
    options:remote_ip=172.31.1.2 options:key=200 options:local_ip=172.31.1.1
ftb 0 add-port br0 vx100 -- set Port vx100 tag=100 -- set Interface vx100 type=vxlan \
    options:remote_ip=172.31.1.1 options:key=100
ftb 0 add-port br0 vx200 -- set Port vx200 tag=200 -- set Interface vx200 type=vxlan \
    options:remote_ip=172.31.1.1 options:key=200
sys_add_vm a1 10.0.0.1 vnet0 br0 -- set Port vnet0 tag=100
sys_add_vm a2 10.0.0.2 vnet1 br0 -- set Port vnet1 tag=200
add_vm_b b1 10.0.0.11 vnet0 -- set Port vnet0 tag=100
add_vm_b b2 10.0.0.12 vnet1 -- set Port vnet1 tag=200
for vm in a1 a2 b1 b2; do
    in_vm $vm ip link set eth0 mtu 1450
done

ping_ok a1 10.0.0.11
ping_ok b2 10.0.0.2
ping_ok a2 10.0.0.12 5

# ---- VNIs 100 and 200 stay apart, though the VMs share a subnet.
ping_fails a1 10.0.0.12
ping_fails b2 10.0.0.1

# ---- TCP, 4 MiB each way (checked by SHA-256).
head -c 4194304 /dev/urandom >"$SYS_T/tcp-data"
tcp_listen b1 5001
tcp_ok a1 10.0.0.11 5001
tcp_listen a2 5002
tcp_ok b2 10.0.0.2 5002

# ---- Full-size frames at the inner MTU 1450 pass (1422 + 28 = 1450).
o=$(in_vm a1 ping -n -q -c 3 -i 0.2 -W 2 -M do -s 1422 10.0.0.11 2>&1)
grep -q " 3 received" <<<"$o" || fail "1450-byte packets did not pass: $o"
pass

# ---- A DF packet too big for the underlay is dropped and counted.
ft 0 dpif-show br0
too_big0=$(sed -nE 's/.*too big for the underlay MTU with DF:([0-9]+).*/\1/p' <<<"$out")
[ -n "$too_big0" ] || fail "dpif-show has no VXLAN drop counter: $out"
err0=$(port_stat br0 vx100 tx errs)
in_vm a1 ip link set eth0 mtu 1500
ip link set vnet0 mtu 1500
o=$(in_vm a1 ping -n -q -c 3 -i 0.2 -W 1 -M do -s 1472 10.0.0.11 2>&1) \
    && fail "1500-byte DF packets crossed a 1500-byte underlay: $o"
ft 0 dpif-show br0
too_big=$(sed -nE 's/.*too big for the underlay MTU with DF:([0-9]+).*/\1/p' <<<"$out")
[ "$too_big" -ge $((too_big0 + 3)) ] \
    || fail "dpif-show counted $too_big0 -> $too_big DF drops, expected 3 more"
pass
err=$(port_stat br0 vx100 tx errs)
[ "$err" -ge $((err0 + 3)) ] || fail "dump-ports vx100 tx errs $err0 -> $err"
pass
in_vm a1 ip link set eth0 mtu 1450
ping_ok a1 10.0.0.11

# ---- The megaflows show their tunnel, as Open vSwitch's datapath does.
ft 0 dump-dp-flows br0
p100=$(ofport vx100)
# No rule looks at the outer DF or checksum, so the megaflows match
# "key" only (and stay offloadable), on both hosts.
expect_out "^tunnel\\(tun_id=0x64,src=172.31.1.2,dst=172.31.1.1,flags\\(\\+key\\)\\),.*in_port=$p100,"
grep -E '^tunnel\(.*(df|csum)' <<<"$out" && fail "df or csum in a megaflow of a table that never looks at them"
expect_out "actions:set\\(tunnel\\(tun_id=0x64,dst=172.31.1.2,ttl=64,tp_dst=4789,flags\\(df\\|key\\)\\)\\),$p100"
expect_out "actions:set\\(tunnel\\(tun_id=0xc8,src=172.31.1.1,dst=172.31.1.2,ttl=64,tp_dst=4789,flags\\(df\\|key\\)\\)\\),$(ofport vx200)"
ftb 0 dump-dp-flows br0
expect_out "^tunnel\\(tun_id=0x64,src=172.31.1.1,dst=172.31.1.2,flags\\(\\+key\\)\\),"
grep -E '^tunnel\(.*(df|csum)' <<<"$out" && fail "df or csum in a megaflow of host B's table"
ft 0 dpif-show br0
expect_out "vxlan receive sockets: 4 \\(outer DF and UDP checksum seen\\)"

# ---- trace follows a packet into and out of a tunnel.
ft 0 trace br0 "ip,in_port=vx100,tun_id=0x64,tun_src=172.31.1.2,tun_dst=172.31.1.1,tun_flags=0x4,dl_src=02:00:00:00:00:0b,dl_dst=02:00:00:00:00:01,nw_src=10.0.0.11,nw_dst=10.0.0.1"
expect_out "input from VXLAN tunnel vx100: VNI 100, from 172.31.1.2"
expect_out "^Megaflow: .*tun_id=0x64,tun_src=172.31.1.2,tun_dst=172.31.1.1"
expect_out "^Datapath actions: $(ofport vnet0)\$"
ft 0 trace br0 "ip,in_port=vnet1,dl_src=02:00:00:00:00:02,dl_dst=02:00:00:00:00:0c,nw_src=10.0.0.2,nw_dst=10.0.0.12"
expect_out "output to VXLAN tunnel vx200: remote 172.31.1.2, VNI 200, UDP port 4789"
expect_out "^Datapath actions: set\\(tunnel\\(tun_id=0xc8,src=172.31.1.1,dst=172.31.1.2,ttl=64,tp_dst=4789,flags\\(df\\|key\\)\\)\\),$(ofport vx200)\$"

# ---- Flow-based tunnels: a port with remote_ip, key and local_ip "flow",
# driven by OpenFlow rules that set tun_dst, tun_src and the VNI; host B's
# vx100 takes what it sends.
ft 0 add-port br0 vxf -- set Interface vxf type=vxlan \
    options:remote_ip=flow options:key=flow options:local_ip=flow
pf=$(ofport vxf)
ft 0 add-flow br0 "priority=300,ip,in_port=vnet0,nw_dst=10.0.0.11,actions=set_field:172.31.1.2->tun_dst,set_field:172.31.1.1->tun_src,set_tunnel:100,output:vxf"
txf=$(port_stat br0 vxf tx pkts)
ping_ok a1 10.0.0.11 5
[ "$(port_stat br0 vxf tx pkts)" -ge $((txf + 5)) ] \
    || fail "the flow-based tunnel did not carry the pings"
pass
ft 0 dump-dp-flows br0
expect_out "actions:set\\(tunnel\\(tun_id=0x64,src=172.31.1.1,dst=172.31.1.2,ttl=64,tp_dst=4789,flags\\(df\\|key\\)\\)\\),$pf\$"
ft 0 del-flows br0 "ip,in_port=vnet0,nw_dst=10.0.0.11"
ft 0 del-port br0 vxf
ping_ok a1 10.0.0.11

# ---- The underlay's neighbour and route are followed as they change.
mac_b=$(on_b cat /sys/class/net/ul0/address)
ip neigh replace 172.31.1.2 lladdr 02:de:ad:be:ef:01 dev ul0 nud permanent
ping_fails a1 10.0.0.11
ip neigh replace 172.31.1.2 lladdr "$mac_b" dev ul0 nud permanent
ping_ok a1 10.0.0.11
ip route add blackhole 172.31.1.2/32
ping_fails a1 10.0.0.11
ft 0 dpif-show br0
expect_out "no route:[1-9]"
ip route del blackhole 172.31.1.2/32
ping_ok a1 10.0.0.11

# ---- Interop: host C is a Linux vxlan device (VNI 100) on a second
# underlay link, a second remote on host A's bridge.  Its own address
# 10.0.0.21 on the device stands for a VM behind it.
HC=${SYS_NS_PREFIX}hostc
ip netns add "$HC" || fail "cannot create host C"
ip link add ul1 type veth peer name ul0 netns "$HC" || fail "no veth to host C"
ip addr add 172.31.2.1/24 dev ul1
ip link set ul1 up
ip netns exec "$HC" sh -e -c '
    sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip link set lo up
    ip addr add 172.31.2.3/24 dev ul0
    ip link set ul0 up
    ip link add vxl100 type vxlan id 100 remote 172.31.2.1 local 172.31.2.3 \
        dstport 4789 dev ul0 df unset noudpcsum
    ip link set vxl100 address 02:00:00:00:00:15 mtu 1450
    ip addr add 10.0.0.21/24 dev vxl100
    ip link set vxl100 up
    ethtool -K vxl100 tx off >/dev/null' || fail "cannot set up host C"
ft 0 add-port br0 vx100c -- set Port vx100c tag=100 -- set Interface vx100c \
    type=vxlan options:remote_ip=172.31.2.3 options:key=100
ping_ok a1 10.0.0.21
o=$(ip netns exec "$HC" ping -n -q -c 3 -i 0.2 -W 2 10.0.0.1 2>&1)
grep -q " 3 received" <<<"$o" || fail "Linux vxlan -> FlowTier ping failed: $o"
pass
# Through host A, tunnel to tunnel, to host B's VM.
o=$(ip netns exec "$HC" ping -n -q -c 3 -i 0.2 -W 2 10.0.0.11 2>&1)
grep -q " 3 received" <<<"$o" || fail "Linux vxlan -> A -> B ping failed: $o"
pass
ping_fails a2 10.0.0.21
# TCP both ways.
sys_bg ip netns exec "$HC" socat TCP-LISTEN:5003,reuseaddr,fork \
    "SYSTEM:sha256sum | cut -c1-64"
sleep 0.3
tcp_ok a1 10.0.0.21 5003
tcp_listen a1 5004
got=$(ip netns exec "$HC" timeout 10 socat -t 5 -T 5 - \
    TCP:10.0.0.1:5004,connect-timeout=2 <"$SYS_T/tcp-data" 2>/dev/null)
[ "$got" = "$(sha256sum <"$SYS_T/tcp-data" | cut -c1-64)" ] \
    || fail "TCP Linux vxlan -> FlowTier failed"
pass

# ---- The outer DF bit and UDP checksum of received packets.  Host E is a
# second Linux vxlan peer (VNI 100), with "df set" and "udpcsum", where
# host C's device has neither ("df unset noudpcsum"); host B (FlowTier) sets DF without a
# checksum.  OpenFlow rules on tun_flags tell them apart: host E's echo
# requests are dropped, host C's switched; host B's match neither rule.
HE=${SYS_NS_PREFIX}hoste
# wait_stat MIN CMD...: CMD's number once it is at least MIN (the rule
# counters follow the datapath's every revalidator pass), or after 3 s.
wait_stat() {
    local min=$1 v i
    shift
    for i in $(seq 30); do
        v=$("$@")
        [ "$v" -ge "$min" ] && break
        sleep 0.1
    done
    echo "$v"
}
ip netns add "$HE" || fail "cannot create host E"
ip link add ul3 type veth peer name ul0 netns "$HE" || fail "no veth to host E"
ip addr add 172.31.4.1/24 dev ul3
ip link set ul3 up
ip netns exec "$HE" sh -e -c '
    sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip link set lo up
    ip addr add 172.31.4.5/24 dev ul0
    ip link set ul0 up
    ip link add vxl100 type vxlan id 100 remote 172.31.4.1 local 172.31.4.5 \
        dstport 4789 dev ul0 df set udpcsum
    ip link set vxl100 address 02:00:00:00:00:16 mtu 1450
    ip addr add 10.0.0.22/24 dev vxl100
    ip link set vxl100 up
    ethtool -K vxl100 tx off >/dev/null' || fail "cannot set up host E"
ft 0 add-port br0 vx100e -- set Port vx100e tag=100 -- set Interface vx100e \
    type=vxlan options:remote_ip=172.31.4.5 options:key=100
o=$(ip netns exec "$HE" ping -n -q -c 3 -i 0.2 -W 2 10.0.0.1 2>&1)
grep -q " 3 received" <<<"$o" || fail "Linux vxlan (df, udpcsum) -> FlowTier ping failed: $o"
pass
ft 0 add-flow br0 "cookie=0xdf3,priority=300,icmp,icmp_type=8,tun_id=100,tun_flags=0x3/0x3,actions=drop"
ft 0 add-flow br0 "cookie=0xdf0,priority=290,icmp,icmp_type=8,tun_id=100,tun_flags=0/0x3,actions=NORMAL"
o=$(ip netns exec "$HE" ping -n -q -c 3 -i 0.2 -W 1 10.0.0.1 2>&1)
grep -q " 0 received" <<<"$o" || fail "host E's +df+csum pings were not dropped: $o"
pass
o=$(ip netns exec "$HC" ping -n -q -c 3 -i 0.2 -W 2 10.0.0.1 2>&1)
grep -q " 3 received" <<<"$o" || fail "host C's -df-csum pings did not pass: $o"
pass
ping_ok b1 10.0.0.1
[ "$(wait_stat 3 flow_stat br0 cookie=0xdf3 n_packets)" -ge 3 ] \
    || fail "the +df+csum rule did not count host E's pings"
[ "$(wait_stat 3 flow_stat br0 cookie=0xdf0 n_packets)" -ge 3 ] \
    || fail "the -df-csum rule did not count host C's pings"
[ "$(flow_stat br0 cookie=0xdf3 n_packets)" -le 3 ] \
    || fail "the +df+csum rule counted more than host E's 3 pings"
[ "$(flow_stat br0 cookie=0xdf0 n_packets)" -le 3 ] \
    || fail "the -df-csum rule counted more than host C's 3 pings"
pass
ft 0 dump-dp-flows br0
expect_out "^tunnel\\(tun_id=0x64,src=172.31.4.5,dst=172.31.4.1,flags\\(\\+df\\+csum\\+key\\)\\),.*actions:drop"
expect_out "^tunnel\\(tun_id=0x64,src=172.31.2.3,dst=172.31.2.1,flags\\(-df-csum\\+key\\)\\),.*icmp"
expect_out "^tunnel\\(tun_id=0x64,src=172.31.1.2,dst=172.31.1.1,flags\\(\\+df-csum\\+key\\)\\),.*in_port=$p100,"
ft 0 del-flows br0 cookie=0xdf3/0xffffffffffffffff
ft 0 del-flows br0 cookie=0xdf0/0xffffffffffffffff
ft 0 del-port br0 vx100e

# ---- Interop: host D is Open vSwitch 3.1 with its userspace datapath
# (datapath_type=netdev): the underlay address on its br-phy bridge, as
# OVS's userspace tunnelling wants, and a VM 10.0.0.31 behind a vxlan port
# of br-int with key 100.
HD=${SYS_NS_PREFIX}hostd
OVSD=$SYS_T/ovs
PATH=$PATH:/usr/sbin
sys_need ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl
mkdir -p "$OVSD"
on_d() {
    ip netns exec "$HD" env OVS_RUNDIR="$OVSD" OVS_DBDIR="$OVSD" \
        OVS_LOGDIR="$OVSD" OVS_SYSCONFDIR="$OVSD" "$@"
}
ovs() {
    on_d ovs-vsctl --timeout=10 --db="unix:$OVSD/db.sock" "$@" \
        || fail "ovs-vsctl $* failed"
}
ip netns add "$HD" || fail "cannot create host D"
ip link add ul2 type veth peer name ul0 netns "$HD" || fail "no veth to host D"
ip addr add 172.31.3.1/24 dev ul2
ip link set ul2 up
on_d sh -e -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip link set lo up; ip link set ul0 up' || fail "cannot set up host D"
on_d ovsdb-tool create "$OVSD/conf.db" /usr/share/openvswitch/vswitch.ovsschema \
    || fail "ovsdb-tool create failed"
on_d ovsdb-server "$OVSD/conf.db" --remote="punix:$OVSD/db.sock" \
    --pidfile="$OVSD/ovsdb-server.pid" --log-file="$OVSD/ovsdb-server.log" \
    --no-chdir --detach 2>>"$OVSD/start.log" || fail "ovsdb-server did not start"
SYS_PIDS+=("$(cat "$OVSD/ovsdb-server.pid")")
ovs --no-wait init
on_d ovs-vswitchd "unix:$OVSD/db.sock" --pidfile="$OVSD/ovs-vswitchd.pid" \
    --log-file="$OVSD/ovs-vswitchd.log" --no-chdir --detach \
    2>>"$OVSD/start.log" || fail "ovs-vswitchd did not start: $(tail -3 "$OVSD/start.log")"
SYS_PIDS+=("$(cat "$OVSD/ovs-vswitchd.pid")")
ovs add-br br-phy -- set Bridge br-phy datapath_type=netdev
ovs add-port br-phy ul0
on_d ip addr add 172.31.3.4/24 dev br-phy
on_d ip link set br-phy up
ovs add-br br-int -- set Bridge br-int datapath_type=netdev
ovs add-port br-int vx100 -- set Interface vx100 type=vxlan \
    options:remote_ip=172.31.3.1 options:key=100
ip netns add "${SYS_NS_PREFIX}d1" || fail "cannot create d1"
on_d ip link add vm1 type veth peer name eth0 netns "${SYS_NS_PREFIX}d1"
in_vm d1 sh -e -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip link set eth0 address 02:00:00:00:00:1f mtu 1450
    ip addr add 10.0.0.31/24 dev eth0; ip link set lo up; ip link set eth0 up
    ethtool -K eth0 tx off >/dev/null' || fail "cannot set up d1"
on_d ip link set vm1 up
ovs add-port br-int vm1
ft 0 add-port br0 vx100d -- set Port vx100d tag=100 -- set Interface vx100d \
    type=vxlan options:remote_ip=172.31.3.4 options:key=100
# OVS resolves the underlay neighbour itself, dropping the packets that
# wait for it: the first pings may be lost.
in_vm a1 ping -n -q -c 3 -i 0.3 -W 1 10.0.0.31 >/dev/null 2>&1
ping_ok a1 10.0.0.31
o=$(in_vm d1 ping -n -q -c 3 -i 0.2 -W 2 10.0.0.11 2>&1)
grep -q " 3 received" <<<"$o" || fail "OVS -> FlowTier A -> FlowTier B ping failed: $o"
pass
tcp_listen d1 5005
tcp_ok a1 10.0.0.31 5005
got=$(in_vm d1 timeout 10 socat -t 5 -T 5 - TCP:10.0.0.1:5004,connect-timeout=2 \
    <"$SYS_T/tcp-data" 2>/dev/null)
[ "$got" = "$(sha256sum <"$SYS_T/tcp-data" | cut -c1-64)" ] \
    || fail "TCP OVS -> FlowTier failed"
pass

# ---- dump-ports counts both ways.
[ "$(port_stat br0 vx100 rx pkts)" -gt 100 ] || fail "vx100 rx pkts"
[ "$(port_stat br0 vx100 tx pkts)" -gt 100 ] || fail "vx100 tx pkts"
pass

# ---- A vxlan port's options changed while it carries pings: the port
# reopens (the UDP socket, shared with vx200, stays), the pings go on (a
# few may be lost during the change, no more) and the megaflows
# encapsulate as the new options say; then back.  (Last: the port's
# counters start again when it reopens.)
for df in false true; do
    in_vm a1 ping -n -q -c 20 -i 0.1 -W 2 10.0.0.11 >"$SYS_T/pingbg" 2>&1 &
    pid=$!
    sleep 0.7
    ft 0 set Interface vx100 options:df_default=$df
    wait "$pid"
    got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$SYS_T/pingbg")
    [ "${got:-0}" -ge 16 ] \
        || fail "changing vx100's df_default to $df lost $((20 - ${got:-0})) of 20 pings: $(cat "$SYS_T/pingbg")"
    ping_ok a1 10.0.0.11
    [ $df = true ] && flags='df\|key' || flags=key
    ft 0 dump-dp-flows br0
    expect_out "actions:set\\(tunnel\\(tun_id=0x64,dst=172.31.1.2,ttl=64,tp_dst=4789,flags\\($flags\\)\\)\\),$p100"
done

sys_done
