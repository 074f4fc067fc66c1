#!/bin/bash
# FlowTier's hw tier through TC flower, against the SmartNIC model
# (tests/ftnic/: a model for tests; its counters are not hardware
# figures).  VF0 and VF1 in namespaces, their representors in a bridge
# with hw-offload=true: the first packets go through the userspace
# datapath, then the megaflows go to the model as skip_sw filters carrying
# FlowTier's cookie; tc shows them in_hw with rising counters, the
# representors' own counters stop moving, dump-dp-flows says tier:hw, and
# the OpenFlow rule's n_packets counts every ping.  dump-dp-flows
# type=offloaded lists them with dp:tc, offload show puts both
# representors under their e-switch (and says ftnic is a model), and each
# --explain tc line, typed on a veth, makes the filter tc shows for
# FlowTier's (a UDP port and tos rewrite among them).  A match the model
# refuses keeps its megaflow in userspace with the model's words as the
# reason.  FlowTier's filters go when its rules go, a leftover of a
# killed daemon goes when the daemon comes back, all of them go on a clean
# stop, and a filter added by hand is never touched.  With a table of one
# rule, the second megaflow runs in userspace and moves to the NIC when
# room frees.  When the NIC goes away (driver unloaded) its ports stay
# configured with the reason and their megaflows go; when it comes back,
# the ports reopen and offload resumes.  With tc-policy=none the filters
# carry neither skip flag: the model takes the IPv4 ones (tier hw) and
# refuses the IPv6 ones, which stay in TC software (tier kernel, the
# model's words as the reason) behind the slow path; both forward every
# packet once and count exactly, each in its tier.  Then the same in
# front of FlowTier's kernel module (datapath_type=system, flowtier.ko):
# with skip_sw what the model refuses goes to the module (dp:kmod, the
# model's words as the reason), with none it stays in TC software in
# front of it; every packet handled once, counted exactly per tier.
#
# usage: test-tc-offload.sh FTNIC.KO FLOWTIER FLOWTIERD FLOWTIER.KO
#        (root; boots the VM)
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
# About 3 minutes on a busy machine, 6.5 on a very busy one: stop a
# hung guest before meson's 600 s do.
FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-560}
vm_init "$@"
ko=$1 FT=$2 FTD=$3 kko=$4
[ -f "$kko" ] || fail "no module at '$4' (it is built by the normal build)"

export FLOWTIER_RUNDIR=/tmp/ft/run FLOWTIER_DBDIR=/tmp/ft/db
mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR"
# FlowTier's cookie: "FlowTier" and 8 zero bytes.
COOKIE=466c6f7754696572

ft() {
    out=$("$FT" "$@" 2>&1) || fail "flowtier $*: $out"
}
start_daemon() {
    "$FTD" --detach --no-fsync --log-file=/tmp/ft/flowtierd.log \
        || fail "flowtierd did not start: $(tail -5 /tmp/ft/flowtierd.log)"
}
# ours DEV: FlowTier's filters on DEV's ingress (by their cookie).
ours() {
    tc -s filter show dev "$1" ingress | grep -c "cookie $COOKIE"
}
# ping_n N: N pings VF0 -> VF1, all answered.
ping_n() {
    ip netns exec vm0 ping -c "$1" -i 0.2 -W 2 10.0.0.2 >/tmp/ft/ping.txt \
        || fail "VF0 cannot ping VF1: $(tail -3 /tmp/ft/ping.txt)"
}
# icmp_packets: n_packets of the ICMP rule, after a revalidator pass.
icmp_packets() {
    sleep 1.2
    ft dump-flows br0
    sed -nE 's/.*n_packets=([0-9]+),.*priority=5,icmp actions=NORMAL.*/\1/p' <<<"$out"
}

ftnic_load "$ko"
vm_modprobe tun    # The bridge's own port is a tap.
ftnic_ns vm0 ftnic0vf0 10.0.0.1/24
ftnic_ns vm1 ftnic0vf1 10.0.0.2/24
# No IPv6 chatter in the namespaces either: only the test's packets cross.
for i in 0 1; do
    ip netns exec vm$i sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.ftnic0vf$i.disable_ipv6=1 || fail "IPv6 stays on in vm$i"
done
# Static neighbours: only the pings below cross the switch.
ip -n vm0 neigh replace 10.0.0.2 dev ftnic0vf0 nud permanent \
    lladdr "$(ip -n vm1 -br link show ftnic0vf1 | awk '{print $3}')"
ip -n vm1 neigh replace 10.0.0.1 dev ftnic0vf1 nud permanent \
    lladdr "$(ip -n vm0 -br link show ftnic0vf0 | awk '{print $3}')"
ip link set ftnic0r0 up && ip link set ftnic0r1 up || fail "representors down"

# Someone else's filter, and a leftover of an earlier FlowTier.
tc qdisc add dev ftnic0r0 clsact || fail "no clsact on ftnic0r0"
tc filter add dev ftnic0r0 ingress pref 100 protocol all flower skip_sw \
    dst_mac 02:00:00:00:00:99 action drop || fail "hand filter refused"
tc qdisc add dev ftnic0r1 clsact || fail "no clsact on ftnic0r1"
tc filter add dev ftnic0r1 ingress pref 7 protocol all flower skip_sw \
    dst_mac 02:00:00:00:00:77 action drop cookie "${COOKIE}0000000000000000" \
    || fail "leftover filter refused"
[ "$(ours ftnic0r1)" = 1 ] || fail "the planted leftover is not there"
pass

start_daemon
# No megaflow idles out while the checks below run: under TCG on a busy
# host the guest's clock can jump by seconds between two pings.
ft add-br br0 -- set Bridge br0 other_config:hw-offload=true \
    other_config:max-idle=60000
ft add-port br0 ftnic0r0
ft add-port br0 ftnic0r1
# The pings' own rule, so that its counter is theirs alone.
ft add-flow br0 'priority=5,icmp,actions=NORMAL'
[ "$(ours ftnic0r1)" = 0 ] || fail "FlowTier's leftover survived: $(tc filter show dev ftnic0r1 ingress)"
# The representors are known as such, with their e-switch.
sw=$(cat /sys/class/net/ftnic0r0/phys_switch_id)
ft show
grep -A4 'Interface ftnic0r1$' <<<"$out" | grep -q "representor: pf0vf1 of switch $sw" \
    || fail "show does not name ftnic0r1 a representor of switch $sw: $out"
tc filter show dev ftnic0r0 ingress pref 100 | grep -q 02:00:00:00:00:99 \
    || fail "the hand-made filter is gone"
pass

# --- Offload --------------------------------------------------------------
ping_n 10
ft dump-dp-flows br0
grep -q ', tier:hw, ' <<<"$out" || fail "no megaflow in hw: $out"
for d in ftnic0r0 ftnic0r1; do
    [ "$(ours $d)" -ge 1 ] || fail "no FlowTier filter on $d: $(tc filter show dev $d ingress)
$out
$(tail -20 /tmp/ft/flowtierd.log)"
    tc filter show dev $d ingress | grep -B30 "cookie $COOKIE" \
        | grep -q 'in_hw' || fail "FlowTier's filter on $d is not in_hw"
done
pass
rx0=$(ftnic_pkts ftnic0r0 rx) rx1=$(ftnic_pkts ftnic0r1 rx)
n_before=$(icmp_packets)
ping_n 10
[ "$(ftnic_pkts ftnic0r0 rx)" = "$rx0" ] && [ "$(ftnic_pkts ftnic0r1 rx)" = "$rx1" ] \
    || fail "representors still receive: r0 $rx0 -> $(ftnic_pkts ftnic0r0 rx), r1 $rx1 -> $(ftnic_pkts ftnic0r1 rx)"
hw=$(tc -s filter show dev ftnic0r0 ingress | awk '/Sent hardware/ { s += $5 } END { print s + 0 }')
[ "$hw" -ge 10 ] || fail "tc counts $hw hardware packets on ftnic0r0"
n_after=$(icmp_packets)
[ $((n_after - n_before)) = 20 ] \
    || fail "the ICMP rule counted $((n_after - n_before)) packets for 20 offloaded"
pass

# --- What the CLI says of them --------------------------------------------
p0=$("$FT" get Interface ftnic0r0 ofport) p1=$("$FT" get Interface ftnic0r1 ofport)
# A rewrite too, so that --explain shows pedit and csum: UDP to port 9
# leaves with port 10 and tos 32 (the model rewrites it, checksums fixed).
ft add-flow br0 'priority=6,udp,tp_dst=9,actions=mod_tp_dst:10,mod_nw_tos:32,NORMAL'
for i in 1 2; do
    echo x | ip netns exec vm0 socat -u - UDP:10.0.0.2:9 2>/dev/null
    sleep 0.3
done
ping_n 2    # The ICMP megaflows used just now: none idles out below.
ft dump-dp-flows br0 type=offloaded
offl=$out
n_off=$(grep -c . <<<"$offl")
[ "$n_off" -ge 3 ] || fail "type=offloaded lists $n_off megaflows: $offl"
[ "$(grep -c ', offloaded:yes, dp:tc, tier:hw, ' <<<"$offl")" = "$n_off" ] \
    || fail "type=offloaded lists a megaflow not in hw with dp:tc: $offl"
for p in $p0 $p1; do
    grep -q "^icmp,in_port=$p," <<<"$offl" || fail "ICMP from port $p not listed offloaded: $offl"
done
grep -q "^udp,in_port=$p0,.*actions:set(" <<<"$offl" || fail "the UDP rewrite is not offloaded: $offl"
ft dump-dp-flows br0 type=tc
[ "$(sed 's/, used:[^,]*//' <<<"$out")" = "$(sed 's/, used:[^,]*//' <<<"$offl")" ] \
    || fail "type=tc differs from type=offloaded here: $out"
ft dump-dp-flows br0 type=non-offloaded
grep -q 'offloaded:yes' <<<"$out" && fail "type=non-offloaded lists offloaded ones: $out"
pass

# offload show: both representors under their e-switch, the model named.
ft offload show br0
group=$(sed -n "/^ e-switch $sw:\$/,/^ [^ ]/p" <<<"$out")
for d in ftnic0r0 ftnic0r1; do
    grep -qE "^  port [0-9]+ $d \(type system, pf0vf${d#ftnic0r}, driver ftnic\)\$" <<<"$group" \
        || fail "$d is not under e-switch $sw: $out"
done
[ "$(grep -c '^    tc (hw tier): serves it$' <<<"$group")" = 2 ] \
    || fail "tc does not serve both representors: $out"
[ "$(grep -c 'ftnic is a SmartNIC model for tests: its counters are not hardware figures' <<<"$group")" = 2 ] \
    || fail "offload show does not say ftnic is a model: $out"
grep -qE '^      rules: [1-9][0-9]* \(table size not known\)$' <<<"$group" \
    || fail "no rules held shown: $out"
grep -qE '^    flows: hw:[1-9][0-9]* kernel:0 user:' <<<"$group" \
    || fail "no megaflows in hw shown: $out"
sed -n '/^ on no e-switch/,$p' <<<"$out" | grep -q '^  port [0-9]* br0 ' \
    || fail "br0's own port is not on no e-switch: $out"
pass

# --explain: each tc line, typed on a veth (in software: skip_hw), makes
# the filter FlowTier installed, as 'tc filter show' prints them both.
ip link add ftx0 type veth peer name ftx1 && ip link set ftx0 up \
    && tc qdisc add dev ftx0 clsact || fail "no veth for the explained lines"
# norm: a filter listing without what differs between the two copies
# (handles, counters, the hardware state, FlowTier's cookie, indexes),
# one filter a line.
norm() {
    sed -E -e '/Sent|backlog|requeues|in_hw|not_in_hw|skip_sw|skip_hw|used_hw_stats|cookie|^[[:space:]]*$/d' \
        -e '/^[[:space:]]*index [0-9]+ ref [0-9]+ bind [0-9]+/d' \
        -e '/^filter protocol .* chain [0-9]+ *$/d' \
        -e 's/ handle 0x[0-9a-f]+//; s/[[:space:]]+/ /g; s/ $//' \
        | awk '/^filter / && n++ { print "" } { printf "%s|", $0 } END { print "" }'
}
ft dump-dp-flows --explain br0 type=offloaded
expl=$out
n_expl=0
while read -r flow; do
    line=$(grep -A2 -F -- "$flow" <<<"$expl" | sed -n 's/^  tc: //p' | head -1)
    [ -n "$line" ] || fail "no tc line under: $flow"
    dev=$(awk '{print $5}' <<<"$line")
    prio=$(sed -nE 's/.* prio ([0-9]+) .*/\1/p' <<<"$line")
    hand=${line/dev $dev /dev ftx0 }
    hand=${hand/ skip_sw / skip_hw }
    read -ra words <<<"$hand"
    "${words[@]}" || fail "tc refuses the explained line: $line"
    want=$(tc filter show dev "$dev" ingress pref "$prio" | norm)
    got=$(tc filter show dev ftx0 ingress pref "$prio" | norm)
    [ -n "$got" ] && grep -qxF -- "$got" <<<"$want" || fail "explained line: $line
tc shows FlowTier's filter:
$want
and the typed one:
$got"
    tc filter del dev ftx0 ingress pref "$prio"
    n_expl=$((n_expl + 1))
done <<<"$(grep -E '^(icmp|udp),in_port' <<<"$offl" | sed 's/, packets:.*//')"
[ "$n_expl" -ge 3 ] || fail "only $n_expl explained lines checked"
grep -q '^  rte_flow: none: rte_flow: port ftnic0r0 is not a DPDK port (type system)$' <<<"$expl" \
    || fail "no rte_flow reason under the megaflows: $expl"
ip link del ftx0
ft del-flows --strict br0 'priority=6,udp,tp_dst=9'
pass

# --- A match the model refuses -----------------------------------------
ft add-flow br0 'priority=10,tcp,tcp_flags=+syn,actions=drop'
ip netns exec vm0 socat -u - TCP:10.0.0.2:80,connect-timeout=1 \
    </dev/null 2>/dev/null
ft dump-dp-flows br0
grep -E 'tcp_flags.*tier:user, not in hw: tc: ftnic: cannot offload match on TCP flags' \
    <<<"$out" >/dev/null || fail "no refusal reason from the model: $out"
pass

# --- Rules gone, filters gone ---------------------------------------------
ft del-flows br0
sleep 1.5
for d in ftnic0r0 ftnic0r1; do
    [ "$(ours $d)" = 0 ] || fail "filters left on $d after del-flows"
done
pass

# --- kill -9, restart, clean stop -------------------------------------------
ft add-flow br0 'priority=0,actions=NORMAL'
ft add-flow br0 'priority=5,icmp,actions=NORMAL'
ping_n 4
[ "$(ours ftnic0r0)" -ge 1 ] || fail "no filter after the rules came back"
kill -9 "$(cat $FLOWTIER_RUNDIR/flowtierd.pid)"
sleep 0.3
[ "$(ours ftnic0r0)" -ge 1 ] || fail "a killed daemon's filters vanished by themselves"
ping_n 3    # Still switched by the model while no daemon runs.
start_daemon
sleep 1
[ "$(ours ftnic0r0)" = 0 ] || fail "the killed daemon's filters survived its restart"
ping_n 4
[ "$(ours ftnic0r0)" -ge 1 ] || fail "no filter after the restart"
kill -TERM "$(cat $FLOWTIER_RUNDIR/flowtierd.pid)"
for i in $(seq 50); do
    [ -e "$FLOWTIER_RUNDIR/flowtierd.pid" ] || break
    sleep 0.1
done
for d in ftnic0r0 ftnic0r1; do
    [ "$(ours $d)" = 0 ] || fail "filters left on $d after a clean stop"
done
tc filter show dev ftnic0r0 ingress pref 100 | grep -q 02:00:00:00:00:99 \
    || fail "the hand-made filter is gone after the stop"
pass

# --- tc-policy=none: the kernel decides, FlowTier reports ----------------
# Filters with neither skip flag: the model takes the IPv4 ones (in_hw,
# tier hw) and refuses the IPv6 ones (a match on IPv6 addresses), which
# the kernel keeps in software (not_in_hw, tier kernel, the model's words
# as the reason).  Misses go through the slow path, as with skip_hw: both
# kinds forward every packet once, and each rule's counters, per tier,
# count exactly the pings.
stop_daemon() {
    kill -TERM "$(cat $FLOWTIER_RUNDIR/flowtierd.pid)"
    for i in $(seq 50); do
        [ -e "$FLOWTIER_RUNDIR/flowtierd.pid" ] || break
        sleep 0.1
    done
}
# tiers: dump-flows --tiers after a revalidator pass, into $out.
# tier_pkts REGEX TIER: that tier's n_packets of the one rule of $out
# matching REGEX.
tiers() {
    sleep 1.2
    ft dump-flows --tiers br0
}
tier_pkts() {
    grep -E -- "$1" <<<"$out" | sed -nE 's/.* n_packets=[0-9]+ \(([^)]*)\).*/\1/p' \
        | tr , '\n' | sed -n "s/^$2=//p"
}
# blocks DEV: DEV's ingress filters, one a line (tc -s filter show).
blocks() {
    tc -s filter show dev "$1" ingress \
        | awk '/^filter / && n++ { print "" } { printf "%s|", $0 } END { print "" }'
}
# sw6_pkts: what FlowTier's ICMPv6 filters on ftnic0r0 counted.
sw6_pkts() {
    blocks ftnic0r0 | grep -E 'ip_proto (icmpv6|ipv6-icmp)' \
        | sed -nE 's/.*Sent [0-9]+ bytes ([0-9]+) pkt.*/\1/p' \
        | awk '{ n += $1 } END { print n + 0 }'
}
# ping6_n N: N pings6 VF0 -> VF1, all answered once.
ping6_n() {
    local o
    o=$(ip netns exec vm0 ping -6 -n -c "$1" -i 0.2 -W 2 fd00::2 2>&1)
    grep -q "^$1 packets transmitted, $1 received, 0% packet loss" <<<"$o" \
        || fail "$1 IPv6 pings: $(tail -3 <<<"$o")"
    grep -q 'DUP!\|duplicates' <<<"$o" && fail "duplicated IPv6 replies: $o"
}
for i in 0 1; do
    ip netns exec vm$i sysctl -qw net.ipv6.conf.ftnic0vf$i.disable_ipv6=0 \
        || fail "IPv6 stays off in vm$i"
    ip -n vm$i -6 addr add fd00::$((i + 1))/64 dev ftnic0vf$i nodad \
        || fail "no IPv6 address in vm$i"
done
ip -n vm0 -6 neigh replace fd00::2 dev ftnic0vf0 nud permanent \
    lladdr "$(ip -n vm1 -br link show ftnic0vf1 | awk '{print $3}')"
ip -n vm1 -6 neigh replace fd00::1 dev ftnic0vf1 nud permanent \
    lladdr "$(ip -n vm0 -br link show ftnic0vf0 | awk '{print $3}')"
start_daemon
ft set Bridge br0 other_config:tc-policy=none
ft add-flow br0 'priority=7,icmp6,ipv6_src=fd00::/64,actions=NORMAL'
for i in $(seq 50); do
    ft offload show br0
    [ "$(grep -c '^    tc (hw tier): serves it$' <<<"$out")" = 2 ] && break
    sleep 0.1
done
[ "$(grep -c '^    tc (hw tier): serves it$' <<<"$out")" = 2 ] \
    || fail "tc does not serve both representors under tc-policy=none: $out"
grep -q '^    tc-sw (kernel tier): no offload: tc: port ftnic0r0: with other_config:tc-policy=none the hw tier.s provider puts TC rules' <<<"$out" \
    || fail "tc-sw does not say why it leaves none ports alone: $out"
links=$(ip -br link show)
for d in ftnic0r0 ftnic0r1; do
    i=$(cat /sys/class/net/$d/ifindex)
    [ "$(grep -cE "^ftsp${i}u?@" <<<"$links")" = 2 ] \
        || fail "no slow-path pair for $d under tc-policy=none: $links"
    tc filter show dev $d ingress pref 65535 | grep -q "Redirect to device ftsp$i)" \
        || fail "no catch-all on $d: $(tc filter show dev $d ingress)"
done
pass
ping_n 3
ping6_n 3
ft dump-dp-flows br0 type=tc
tcflows=$out
for p in $p0 $p1; do
    grep -qE "^icmp,in_port=$p,.*, offloaded:yes, dp:tc, tier:hw, actions:[0-9]+\$" <<<"$tcflows" \
        || fail "ICMP from port $p is not in hw under tc-policy=none: $tcflows"
    grep -qE "^icmp6,in_port=$p,.*, offloaded:no, dp:tc, tier:kernel, not in hw: tc: ftnic: cannot offload match on IPv6 addresses, actions:[0-9]+\$" <<<"$tcflows" \
        || fail "ICMPv6 from port $p is not in TC software with the model's words: $tcflows"
done
f=$(blocks ftnic0r0)
v4=$(grep "cookie $COOKIE" <<<"$f" | grep -E '\|  ip_proto icmp\|')
v6=$(grep "cookie $COOKIE" <<<"$f" | grep -E 'ip_proto (icmpv6|ipv6-icmp)')
[ -n "$v4" ] && [ -n "$v6" ] || fail "no ICMP and ICMPv6 filters of FlowTier's on ftnic0r0: $f"
grep -q 'skip_' <<<"$v4$v6" && fail "a filter carries a skip flag under tc-policy=none: $f"
grep -q '|  in_hw in_hw_count 1|' <<<"$v4" || fail "the ICMP filter on ftnic0r0 is not in_hw: $f"
grep -q '|  not_in_hw|' <<<"$v6" || fail "the ICMPv6 filter on ftnic0r0 is not not_in_hw: $f"
pass
# 20 pings each way and family: every one forwarded once; the IPv4 rule's
# packets all in hw, the IPv6 rule's all in the kernel, none in userspace.
tiers
v4_hw=$(tier_pkts 'priority=5,icmp ' hw) v4_user=$(tier_pkts 'priority=5,icmp ' user)
v6_k=$(tier_pkts 'priority=7,icmp6' kernel) v6_user=$(tier_pkts 'priority=7,icmp6' user)
sw6=$(sw6_pkts)
ping_n 20
ping6_n 20
tiers
[ "$(tier_pkts 'priority=5,icmp ' hw)" = $((v4_hw + 40)) ] \
    && [ "$(tier_pkts 'priority=5,icmp ' user)" = "$v4_user" ] \
    || fail "for 40 ICMP packets in hw the rule counted hw $v4_hw -> $(tier_pkts 'priority=5,icmp ' hw), user $v4_user -> $(tier_pkts 'priority=5,icmp ' user): $out"
[ "$(tier_pkts 'priority=7,icmp6' kernel)" = $((v6_k + 40)) ] \
    && [ "$(tier_pkts 'priority=7,icmp6' user)" = "$v6_user" ] \
    || fail "for 40 ICMPv6 packets in TC software the rule counted kernel $v6_k -> $(tier_pkts 'priority=7,icmp6' kernel), user $v6_user -> $(tier_pkts 'priority=7,icmp6' user): $out"
[ "$(sw6_pkts)" = $((sw6 + 20)) ] \
    || fail "TC software counted $(($(sw6_pkts) - sw6)) IPv6 requests on ftnic0r0 for 20"
pass
stop_daemon
for d in ftnic0r0 ftnic0r1; do
    [ "$(ours $d)" = 0 ] || fail "filters left on $d after a clean stop (none)"
done
ip -br link show | grep -q '^ftsp' && fail "a slow-path pair was left: $(ip -br link show)"
pass

# --- The model in front of the kernel datapath (datapath_type=system) ----
# The same representors in a bridge of FlowTier's kernel module with
# hw-offload=true.  skip_sw: the IPv4 megaflows go into the model (in_hw,
# tier hw), the IPv6 ones, which it refuses, go to the next tier, the
# module (dp:kmod, tier kernel, the model's words as the reason).  The
# model switches the IPv4 packets, so the module sees only the IPv6 ones:
# its lookups rise by exactly the IPv6 packets (none handled twice) and
# each rule's per-tier counters by exactly its pings.  Then
# tc-policy=none: filters with neither skip flag, the model taking the
# IPv4 ones and the kernel keeping the IPv6 ones in TC software in front
# of the module (dp:tc, tier kernel), which then sees no packet at all.
# (The model's counts are a software model's under QEMU TCG, not
# hardware figures.)
insmod "$kko" || fail "insmod flowtier.ko failed"
rm -rf /tmp/ft/db/*
start_daemon
ft add-br br0 -- set Bridge br0 datapath_type=system \
    other_config:hw-offload=true other_config:max-idle=60000
ft add-port br0 ftnic0r0
ft add-port br0 ftnic0r1
ft add-flow br0 'priority=5,icmp,actions=NORMAL'
ft add-flow br0 'priority=7,icmp6,ipv6_src=fd00::/64,actions=NORMAL'
p0=$("$FT" get Interface ftnic0r0 ofport) p1=$("$FT" get Interface ftnic0r1 ofport)
# lookups: "HIT MISSED", the module's megaflow lookups.
lookups() {
    "$FT" dpif-show br0 | sed -nE 's/.*lookups: hit:([0-9]+) missed:([0-9]+) .*/\1 \2/p'
}
# hw_sum DEV: what the model counted for FlowTier's filters on DEV.
hw_sum() {
    blocks "$1" | grep "cookie $COOKIE" \
        | sed -nE 's/.*Sent hardware [0-9]+ bytes ([0-9]+) pkt.*/\1/p' \
        | awk '{ n += $1 } END { print n + 0 }'
}
# pings_both N: N pings of each family VF0 -> VF1, 50 ms apart, every
# one answered once.
pings_both() {
    local fam o
    for fam in 4 6; do
        o=$(ip netns exec vm0 ping -$fam -n -c "$1" -i 0.05 -W 2 \
            "$([ $fam = 4 ] && echo 10.0.0.2 || echo fd00::2)" 2>&1)
        grep -q "^$1 packets transmitted, $1 received, 0% packet loss" <<<"$o" \
            && ! grep -q 'DUP!\|duplicates' <<<"$o" \
            || fail "$1 IPv$fam pings on a system bridge: $o"
    done
}
# kernel_tiers POLICY MOD_LOOKUPS: 10 pings of each family, every one
# answered once; the ICMP rule counts 20 more in hw, the ICMPv6 rule 20
# more in the kernel, neither any in userspace; the model counts the 10
# requests on ftnic0r0; the module looks up MOD_LOOKUPS packets (hits)
# and misses at most 2: a ping a filter handled and the module saw again
# would be a miss (with none, the ICMPv6 megaflow is not in the module),
# 10 or 20 of them; the guests' own frames (IPv6 neighbour discovery,
# MLD) may miss once or twice in the meantime.
kernel_tiers() {
    local h0 m0 h1 m1 hw0
    tiers
    v4_hw=$(tier_pkts 'priority=5,icmp ' hw) v4_user=$(tier_pkts 'priority=5,icmp ' user)
    v6_k=$(tier_pkts 'priority=7,icmp6' kernel) v6_user=$(tier_pkts 'priority=7,icmp6' user)
    read -r h0 m0 <<<"$(lookups)"
    hw0=$(hw_sum ftnic0r0)
    pings_both 10
    read -r h1 m1 <<<"$(lookups)"
    tiers
    [ "$(tier_pkts 'priority=5,icmp ' hw)" = $((v4_hw + 20)) ] \
        && [ "$(tier_pkts 'priority=5,icmp ' user)" = "$v4_user" ] \
        || fail "$1 on a system bridge: for 20 ICMP packets in hw the rule counted hw $v4_hw -> $(tier_pkts 'priority=5,icmp ' hw), user $v4_user -> $(tier_pkts 'priority=5,icmp ' user): $out"
    [ "$(tier_pkts 'priority=7,icmp6' kernel)" = $((v6_k + 20)) ] \
        && [ "$(tier_pkts 'priority=7,icmp6' user)" = "$v6_user" ] \
        || fail "$1 on a system bridge: for 20 ICMPv6 packets in the kernel the rule counted kernel $v6_k -> $(tier_pkts 'priority=7,icmp6' kernel), user $v6_user -> $(tier_pkts 'priority=7,icmp6' user): $out"
    [ $(($(hw_sum ftnic0r0) - hw0)) = 10 ] \
        || fail "$1 on a system bridge: the model counted $(($(hw_sum ftnic0r0) - hw0)) of 10 ICMP requests on ftnic0r0"
    [ $((h1 - h0)) = "$2" ] && [ $((m1 - m0)) -le 2 ] \
        || fail "$1 on a system bridge: the module's lookups rose by hit $((h1 - h0)) missed $((m1 - m0)), want $2 and at most 2"
    echo "$VM_NAME: $1, system bridge (ftnic is a software model under QEMU TCG, not hardware): 20 ICMP in hw, 20 ICMPv6 in the kernel, module hits +$((h1 - h0))"
}
pings_both 3
ft dump-dp-flows br0
for p in $p0 $p1; do
    grep -qE "^icmp,in_port=$p,.*, offloaded:yes, dp:tc, tier:hw, actions:[0-9]+\$" <<<"$out" \
        || fail "ICMP from port $p is not in the model on a system bridge: $out"
    grep -qE "^icmp6,in_port=$p,.*, offloaded:no, dp:kmod, tier:kernel, not in hw: tc: ftnic: cannot offload match on IPv6 addresses[,]" <<<"$out" \
        || fail "ICMPv6 from port $p is not in the module with the model's words: $out"
done
f=$(blocks ftnic0r0)
v4=$(grep "cookie $COOKIE" <<<"$f" | grep -E '\|  ip_proto icmp\|')
grep -q '|  skip_sw|' <<<"$v4" && grep -q '|  in_hw in_hw_count 1|' <<<"$v4" \
    || fail "no skip_sw in_hw ICMP filter of FlowTier's on ftnic0r0: $f"
grep -qE 'ip_proto (icmpv6|ipv6-icmp)' <<<"$f" && fail "an ICMPv6 filter on ftnic0r0 under skip_sw: $f"
pass
kernel_tiers skip_sw 20
pass
ft set Bridge br0 other_config:tc-policy=none
for i in $(seq 50); do
    ft offload show br0
    [ "$(grep -c '^    tc (hw tier): serves it$' <<<"$out")" = 2 ] && break
    sleep 0.1
done
[ "$(grep -c '^    tc (hw tier): serves it$' <<<"$out")" = 2 ] \
    || fail "tc does not serve both representors of a system bridge under tc-policy=none: $out"
ip -br link show | grep -q '^ftsp' && fail "a slow-path pair on a system bridge: $(ip -br link show)"
pings_both 3
ft dump-dp-flows br0
for p in $p0 $p1; do
    grep -qE "^icmp,in_port=$p,.*, offloaded:yes, dp:tc, tier:hw, actions:[0-9]+\$" <<<"$out" \
        || fail "ICMP from port $p is not in hw under tc-policy=none on a system bridge: $out"
    grep -qE "^icmp6,in_port=$p,.*, offloaded:no, dp:tc, tier:kernel, not in hw: tc: ftnic: cannot offload match on IPv6 addresses, actions:[0-9]+\$" <<<"$out" \
        || fail "ICMPv6 from port $p is not in TC software with the model's words on a system bridge: $out"
done
f=$(blocks ftnic0r0)
v4=$(grep "cookie $COOKIE" <<<"$f" | grep -E '\|  ip_proto icmp\|')
v6=$(grep "cookie $COOKIE" <<<"$f" | grep -E 'ip_proto (icmpv6|ipv6-icmp)')
[ -n "$v4" ] && [ -n "$v6" ] && ! grep -q 'skip_' <<<"$v4$v6" \
    && grep -q '|  in_hw in_hw_count 1|' <<<"$v4" && grep -q '|  not_in_hw|' <<<"$v6" \
    || fail "no ICMP filter in_hw and ICMPv6 filter not_in_hw, neither with a skip flag: $f"
pass
kernel_tiers none 0
pass
stop_daemon
for d in ftnic0r0 ftnic0r1; do
    [ "$(ours $d)" = 0 ] || fail "filters left on $d after a clean stop (system bridge)"
done
ip link show br0 >/dev/null 2>&1 && fail "the datapath (its port br0) outlived a clean stop"
rmmod flowtier || fail "rmmod flowtier after a clean stop failed"
pass

tc filter del dev ftnic0r0 ingress pref 100
ftnic_unload_clean

# --- A full table: the next tier, then up when room frees --------------
setup_vfs() {
    ftnic_ns vm0 ftnic0vf0 10.0.0.1/24
    ftnic_ns vm1 ftnic0vf1 10.0.0.2/24
    for i in 0 1; do
        ip netns exec vm$i sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
            net.ipv6.conf.ftnic0vf$i.disable_ipv6=1 || fail "IPv6 on in vm$i"
    done
    ip -n vm0 neigh replace 10.0.0.2 dev ftnic0vf0 nud permanent \
        lladdr "$(ip -n vm1 -br link show ftnic0vf1 | awk '{print $3}')"
    ip -n vm1 neigh replace 10.0.0.1 dev ftnic0vf1 nud permanent \
        lladdr "$(ip -n vm0 -br link show ftnic0vf0 | awk '{print $3}')"
    ip link set ftnic0r0 up && ip link set ftnic0r1 up || fail "representors down"
}
ftnic_load "$ko" max_rules=1
setup_vfs
rm -rf /tmp/ft/db/*
start_daemon
ft add-br br0 -- set Bridge br0 other_config:hw-offload=true
ft add-port br0 ftnic0r0 -- set Interface ftnic0r0 ofport_request=1
ft add-port br0 ftnic0r1 -- set Interface ftnic0r1 ofport_request=2
ft add-flow br0 'priority=5,icmp,in_port=1,actions=output:2'
ft add-flow br0 'priority=5,icmp,in_port=2,actions=output:1'
ping_n 3
ft dump-dp-flows br0
grep -q 'icmp,in_port=1,.*tier:hw' <<<"$out" || fail "requests not in hw: $out"
grep -q 'icmp,in_port=2,.*tier:user, not in hw: tc: ftnic: .*full' <<<"$out" \
    || fail "replies not refused for a full table: $out"
ft del-flows br0 'icmp,in_port=1'
ft add-flow br0 'priority=4,icmp,in_port=1,actions=output:2'
sleep 1.5
ft dump-dp-flows br0
grep -q 'icmp,in_port=2,.*tier:hw' <<<"$out" || fail "replies did not move up: $out"
ft dpif-show br0
grep -qE 'revalidator: .* [1-9][0-9]* moved to a faster tier' <<<"$out" \
    || fail "no move counted: $out"
pass

# --- The NIC goes away (VFs removed, driver unloaded) and comes back ---
for ns in vm0 vm1; do ip netns del $ns; done
rmmod ftnic || fail "rmmod ftnic with FlowTier's filters in place failed"
for i in $(seq 80); do
    ft show
    grep -q 'could not open network device ftnic0r1 (No such device)' \
        <<<"$out" && break
    sleep 0.1
done
grep -q 'could not open network device ftnic0r0 (No such device)' <<<"$out" \
    || fail "no error for the vanished representor: $out"
ft dpif-show br0
grep -q 'flows per tier: hw:0 kernel:0 user:0' <<<"$out" \
    || fail "megaflows of vanished ports remain: $out"
ftnic_load "$ko" max_rules=1
setup_vfs
for i in $(seq 80); do
    ft show
    grep -q 'could not open' <<<"$out" || break
    sleep 0.1
done
grep -q 'could not open' <<<"$out" && fail "ports not reopened: $out"
ping_n 3
ft dpif-show br0
grep -qE 'flows per tier: hw:[1-9]' <<<"$out" || fail "offload did not resume: $out"
[ "$(ours ftnic0r0)" -le 1 ] && [ "$(ours ftnic0r1)" -le 1 ] \
    || fail "more filters than megaflows after the NIC came back"
pass
kill -TERM "$(cat $FLOWTIER_RUNDIR/flowtierd.pid)"
for i in $(seq 50); do
    [ -e "$FLOWTIER_RUNDIR/flowtierd.pid" ] || break
    sleep 0.1
done
ftnic_unload_clean
vm_done
