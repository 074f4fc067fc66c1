#!/bin/bash
# FlowTier's kernel tier through TC flower in software
# (other_config:tc-policy=skip_hw), in Debian's kernel: a bridge of veths
# to two namespaces.  Each port gets a slow-path veth pair of FlowTier's
# and a last, catch-all filter redirecting its misses there; the daemon
# reads the misses from the pair, so a packet a TC rule forwarded never
# reaches it.  Checked: the megaflows are in the kernel tier (dp:tc,
# tier:kernel, type=tc lists them), tc shows FlowTier's filters not_in_hw
# with rising counters, ping and a TCP transfer work, no packet is
# delivered twice (50 pings, 50 replies, no DUP!), the ports' receive
# counters in the daemon stand still while TC switches, the OpenFlow
# rule's n_packets counts every packet, a deleted rule's filters go, a
# port of another type is refused with the reason, a killed daemon's
# filters and slow-path devices are replaced when it comes back, a clean
# stop leaves neither, and a filter added by hand is never touched.
#
# usage: test-tc-software.sh FLOWTIER FLOWTIERD  (root; boots the VM)
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"
vm_modprobe veth tun sch_ingress cls_flower act_mirred act_gact act_vlan \
    act_pedit act_csum

export FT_SYS_HOST_NS=fttcsw
SYS_SELF=$(readlink -f "$0")
. "$(dirname "$SYS_SELF")/../system/lib.sh" || exit 1
sys_init "$1" "$2"
# FlowTier's cookie: "FlowTier" and 8 zero bytes.
COOKIE=466c6f7754696572

# ours DEV: FlowTier's filters on DEV's ingress (by their cookie).
ours() {
    tc filter show dev "$1" ingress | grep -c "cookie $COOKIE"
}
# sp DEV: the slow-path devices of DEV.
sp() {
    local i
    i=$(cat "/sys/class/net/$1/ifindex")
    ip -br link show | grep -cE "^ftsp${i}u?(@| )"
}
# icmp_pkts DEV: what the software filters of FlowTier matching ICMP on
# DEV's ingress counted.
icmp_pkts() {
    tc -s filter show dev "$1" ingress | awk '
        /^filter / { icmp = 0 } /ip_proto icmp/ { icmp = 1 }
        icmp && /Sent [0-9]+ bytes/ { n += $4; icmp = 0 }
        END { print n + 0 }'
}
# ping50: 50 pings vm1 -> vm2; every one answered once, no duplicate.
ping50() {
    local o
    o=$(in_vm vm1 ping -n -c 50 -i 0.02 -W 2 10.0.0.2 2>&1)
    grep -q '^50 packets transmitted, 50 received, 0% packet loss' <<<"$o" \
        || fail "50 pings: $(tail -3 <<<"$o")"
    grep -q 'DUP!\|duplicates' <<<"$o" && fail "duplicated replies: $o"
    [ "$(grep -c 'bytes from 10.0.0.2' <<<"$o")" = 50 ] \
        || fail "not 50 replies: $o"
    pass
}

# wait_for SECONDS CMD...: runs CMD every 0.2 s until it succeeds.
wait_for() {
    local n=$(($1 * 5))
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.2
        n=$((n - 1))
    done
    return 1
}
icmp_rule_is() {
    [ "$(flow_stat br0 'priority=5,icmp' n_packets)" = "$1" ]
}
no_icmp_filter() {
    ! tc filter show dev vnet0 ingress | grep -q 'ip_proto icmp'
}

sys_start_daemon
# No megaflow idles out while the checks run (TCG on a busy host).
ft 0 add-br br0 -- set Bridge br0 other_config:tc-policy=skip_hw \
    other_config:max-idle=60000
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0
ft 0 add-flow br0 'priority=5,icmp,actions=NORMAL'
# Static neighbours: no ARP crosses, so that the ports receive only the
# test's packets (a broadcast goes to the bridge's own port too, and so
# stays in userspace).
in_vm vm1 ip neigh replace 10.0.0.2 dev eth0 lladdr 02:00:00:00:00:02 \
    nud permanent || fail "no static neighbour in vm1"
in_vm vm2 ip neigh replace 10.0.0.1 dev eth0 lladdr 02:00:00:00:00:01 \
    nud permanent || fail "no static neighbour in vm2"
# Someone else's filter: never touched.
tc filter add dev vnet1 ingress pref 100 protocol all flower skip_hw \
    dst_mac 02:00:00:00:00:99 action drop || fail "hand filter refused"
i0=$(cat /sys/class/net/vnet0/ifindex)

# --- The slow path ---------------------------------------------------------
links=$(ip -br link show)
for d in vnet0 vnet1; do
    i=$(cat /sys/class/net/$d/ifindex)
    f=$(tc filter show dev $d ingress)
    [ "$(grep -c "cookie $COOKIE" <<<"$f")" = 1 ] \
        || fail "want FlowTier's catch-all alone on $d: $f"
    [ "$(grep -cE "^ftsp${i}u?@" <<<"$links")" = 2 ] \
        || fail "no slow-path pair for $d: $links"
    grep -A4 '^filter protocol all pref 65535 flower chain 0 handle' <<<"$f" \
        | grep -q "^  skip_hw" || fail "the catch-all of $d is not skip_hw: $f"
    grep -A6 '^filter protocol all pref 65535 flower chain 0 handle' <<<"$f" \
        | grep -q "Egress Redirect to device ftsp$i)" \
        || fail "the catch-all of $d does not redirect to ftsp$i: $f"
    grep -q "FlowTier slow path of $d" "/sys/class/net/ftsp${i}u/ifalias" \
        || fail "ftsp${i}u has no FlowTier alias"
done
pass
# The bridge's own port (a tap the daemon reads) cannot take it: the
# reason says so.
ft 0 offload show br0
expect_out '^    tc-sw \(kernel tier\): no offload: tc: port br0: TC in software serves ports of type system only \(this one is internal\)$'
expect_out '^    tc \(hw tier\): no offload: tc: port vnet0: other_config:tc-policy=skip_hw keeps TC rules out of the NIC$'

# --- The kernel tier -------------------------------------------------------
ping_ok vm1 10.0.0.2 3
ft 0 dump-dp-flows br0 type=tc
expect_out "^icmp,in_port=1,.*, offloaded:no, dp:tc, tier:kernel, .*actions:2\$"
expect_out "^icmp,in_port=2,.*, offloaded:no, dp:tc, tier:kernel, .*actions:1\$"
grep -q 'tier:user' <<<"$out" && fail "type=tc lists a userspace megaflow: $out"
f=$(tc filter show dev vnet0 ingress)
grep -A8 'ip_proto icmp' <<<"$f" | grep -q "cookie $COOKIE" \
    || fail "no ICMP filter of FlowTier's on vnet0: $f"
grep -A3 'ip_proto icmp' <<<"$f" | grep -q not_in_hw \
    || fail "the ICMP filter on vnet0 is not not_in_hw: $f"
pass

# 50 pings: each request and reply once; TC switches them all, so the
# ports' receive counters in the daemon (the slow path) stand still and
# the filters' counters rise by 50 each way.
rx0=$(port_stat br0 vnet0 rx pkts) rx1=$(port_stat br0 vnet1 rx pkts)
c0=$(icmp_pkts vnet0) c1=$(icmp_pkts vnet1)
ping50
[ "$(port_stat br0 vnet0 rx pkts)" = "$rx0" ] \
    || fail "vnet0's rx in the daemon went $rx0 -> $(port_stat br0 vnet0 rx pkts) with TC switching"
[ "$(port_stat br0 vnet1 rx pkts)" = "$rx1" ] \
    || fail "vnet1's rx in the daemon went $rx1 -> $(port_stat br0 vnet1 rx pkts) with TC switching"
[ $(($(icmp_pkts vnet0) - c0)) = 50 ] \
    || fail "the ICMP filter on vnet0 counted $(($(icmp_pkts vnet0) - c0)), want 50"
[ $(($(icmp_pkts vnet1) - c1)) = 50 ] \
    || fail "the ICMP filter on vnet1 counted $(($(icmp_pkts vnet1) - c1)), want 50"
pass
# The rule's n_packets: every echo and reply of the 53 pings, whichever
# tier switched it.
wait_for 5 icmp_rule_is 106 \
    || fail "the ICMP rule counted $(flow_stat br0 'priority=5,icmp' n_packets), want 106"
pass

# TCP: 256 KiB, checked by SHA-256, its megaflows in TC too.
tcp_listen vm2 8080
tcp_ok vm1 10.0.0.2 8080
ft 0 dump-dp-flows br0
grep -qE "^(tcp|ip),in_port=1,.*, dp:tc, tier:kernel, .*actions:2\$" <<<"$out" \
    || fail "no TCP megaflow in TC: $out"
pass

# A deleted rule's filters go.
ft 0 del-flows br0 'icmp'
wait_for 5 no_icmp_filter || fail "ICMP filters left after del-flows: $(tc filter show dev vnet0 ingress)"
pass

# --- kill -9, restart, clean stop ------------------------------------------
ping_ok vm1 10.0.0.2 2
old=$(cat "/sys/class/net/ftsp$i0/ifindex")
kill -9 "$(sys_daemon_pid)"
sleep 0.3
[ "$(sp vnet0)" = 2 ] || fail "the killed daemon's slow path is not there"
[ "$(ours vnet0)" -ge 2 ] || fail "the killed daemon's filters are not there"
sys_start_daemon
wait_for 5 test -e "/sys/class/net/ftsp$i0" \
    || fail "no slow path after the restart"
[ "$(cat "/sys/class/net/ftsp$i0/ifindex")" != "$old" ] \
    || fail "the killed daemon's slow-path pair was kept, not made again"
[ "$(ours vnet0)" = 1 ] || fail "leftover filters after the restart: $(tc filter show dev vnet0 ingress)"
[ "$(sp vnet0)" = 2 ] || fail "not one slow-path pair for vnet0: $(ip -br link)"
pass
ping50
tc filter show dev vnet1 ingress pref 100 | grep -q 02:00:00:00:00:99 \
    || fail "the hand-made filter is gone"

pid=$(sys_daemon_pid)
kill "$pid"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null" || fail "flowtierd did not stop"
for d in vnet0 vnet1; do
    [ "$(ours $d)" = 0 ] || fail "FlowTier filters left on $d: $(tc filter show dev $d ingress)"
    [ "$(sp $d)" = 0 ] || fail "slow path of $d left: $(ip -br link)"
done
ip -br link | grep -q '^ftsp' && fail "slow-path devices left: $(ip -br link)"
tc filter show dev vnet1 ingress pref 100 | grep -q 02:00:00:00:00:99 \
    || fail "the hand-made filter is gone after the stop"
pass
sys_done
