#!/bin/bash
# System test: what the CLI says about offload on this host, where no
# port can be offloaded (veths and the bridge's tap are on no NIC
# e-switch, none is a DPDK port, and the kernel has no cls_flower):
#
#   - dump-dp-flows: every megaflow offloaded:no, dp:user, tier:user;
#     type= selects (offloaded, tc, rte_flow and kernel select none;
#     non-offloaded, user and all select every one); a bad type is
#     refused with the words it takes;
#   - dump-dp-flows --explain: under each megaflow, each provider's
#     reason for holding no rule (the probe's answer for its port);
#   - dump-flows --tiers: each rule's counters split by tier, the sums
#     equal to the counters, all of it in the user tier;
#   - offload show: every port on no e-switch, each provider's reason,
#     the megaflows of each port per tier as dump-dp-flows counts them,
#     and the reason they are not in hw with how many give it;
#   - the daemon's log: each distinct refusal reason logged at info
#     once, however many megaflows it applies to.
#
# usage: test-offload-cli.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

N=10
ft 0 add-br br0
# No megaflow idles out before the checks read it (a busy machine can
# take longer than the default 10 s).
ft 0 set Bridge br0 other_config:hw-offload=true other_config:max-idle=60000
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0
ft 0 add-flow br0 cookie=0x7,priority=10,icmp,actions=NORMAL
tcp_listen vm2 8080
ping_ok vm1 10.0.0.2 $N
tcp_ok vm1 10.0.0.2 8080
p1=$(ofport vnet0)
p2=$(ofport vnet1)

# ---- dump-dp-flows and type=. ----
ft 0 dump-dp-flows br0
all=$out
n=$(grep -c . <<<"$all")
[ "$n" -ge 4 ] || fail "expected megaflows of ping, ARP and TCP: $all"
pass
[ "$(grep -cE ', used:[^,]+, offloaded:no, dp:user, tier:user, not in hw: ' <<<"$all")" = "$n" ] \
    || fail "megaflows without offloaded:no, dp:user and their reason: $all"
pass
expect_out "^icmp,in_port=$p1,.*, offloaded:no, dp:user, tier:user, not in hw: tc: port vnet0 has no TC offload: not a switchdev port \(no phys_switch_id\); rte_flow: port vnet0 is not a DPDK port \(type system\); verbs: port vnet0 has no RDMA device behind it \([^),]*\), not in kernel: tc: port vnet0: TC in software is off \(other_config:tc-policy=skip_hw turns it on\), actions:$p2\$"

for t in offloaded tc rte_flow kernel; do
    ft 0 dump-dp-flows br0 type=$t
    [ -z "$out" ] || fail "type=$t selected megaflows here: $out"
    pass
done
for t in non-offloaded user all; do
    ft 0 dump-dp-flows br0 type=$t
    [ "$(grep -c . <<<"$out")" = "$n" ] \
        || fail "type=$t did not select all $n megaflows: $out"
    pass
done
ft 1 dump-dp-flows br0 type=hw
expect_err 'type=hw: not a kind of datapath flow \(offloaded, non-offloaded, tc, rte_flow, kernel, user or all\)'
ft 2 dump-dp-flows br0 offloaded
ft 0 --format json dump-dp-flows br0 type=user
json_check '
assert len(d) == '$n', d
for f in d:
    assert f["offloaded"] is False and f["dp"] == "user", f
    assert f["tier"] == "user" and f["holder"] == "netdev", f
    t = f["tiers"]
    assert t["hw"]["packets"] == 0 and t["kernel"]["packets"] == 0, f
    assert t["user"]["packets"] == f["packets"], f'

# ---- --explain. ----
ft 0 dump-dp-flows --explain br0 type=user
[ "$(grep -cE '^  tc: none: tc: port vnet[01] has no TC offload: not a switchdev port \(no phys_switch_id\)$' <<<"$out")" = "$n" ] \
    || fail "expected the tc reason under each of $n megaflows: $out"
pass
[ "$(grep -cE '^  rte_flow: none: rte_flow: port vnet[01] is not a DPDK port \(type system\)$' <<<"$out")" = "$n" ] \
    || fail "expected the rte_flow reason under each of $n megaflows: $out"
pass
ft 2 dump-flows --explain br0
ft 0 --format json dump-dp-flows --explain br0
json_check '
for f in d:
    e = {x["provider"]: x for x in f["explain"]}
    assert set(e) == {"tc", "rte_flow", "verbs", "tc-sw"}, f
    assert "no RDMA device behind it" in e["verbs"]["refusal"], f
    assert "command" not in e["tc"] and "not a switchdev port" in e["tc"]["refusal"], f
    assert "command" not in e["tc-sw"] and "tc-policy=skip_hw turns it on" in e["tc-sw"]["refusal"], f'

# ---- dump-flows --tiers. ----
ft 0 dump-flows --tiers br0
line=$(grep -E 'cookie=0x7,' <<<"$out")
pk=$(sed -nE 's/.* n_packets=([0-9]+) \(hw=0,kernel=0,user=([0-9]+)\), .*/\1 \2/p' <<<"$line")
by=$(sed -nE 's/.* n_bytes=([0-9]+) \(hw=0,kernel=0,user=([0-9]+)\), .*/\1 \2/p' <<<"$line")
read -r pkts upkts <<<"$pk"
read -r bytes ubytes <<<"$by"
[ -n "$pkts" ] && [ "$pkts" = "$upkts" ] && [ "$pkts" -ge $((2 * N)) ] \
    || fail "ICMP rule's packets not split as hw=0,kernel=0,user=all: $line"
pass
[ -n "$bytes" ] && [ "$bytes" = "$ubytes" ] && [ "$bytes" -ge $((2 * N * 98)) ] \
    || fail "ICMP rule's bytes not split as hw=0,kernel=0,user=all: $line"
pass
# Without --tiers the line is as before.
[ "$(flow_stat br0 cookie=0x7 n_packets)" -ge "$pkts" ] \
    || fail "dump-flows n_packets differs from its --tiers total"
pass
ft 0 --format json dump-flows --tiers br0
json_check '
for f in d:
    t = f["tiers"]
    assert sum(t[x]["packets"] for x in t) == f["n_packets"], f
    assert sum(t[x]["bytes"] for x in t) == f["n_bytes"], f'
ft 2 dump-dp-flows --tiers br0

# ---- offload show. ----
ft 0 offload show
expect_out '^br0:$'
expect_out '^ on no e-switch \(no phys_switch_id\):$'
grep -q '^ e-switch ' <<<"$out" && fail "a port on an e-switch here: $out"
expect_out "^  port $p1 vnet0 \(type system, driver veth\)\$"
expect_out '^    tc \(hw tier\): no offload: tc: port vnet0 has no TC offload: not a switchdev port \(no phys_switch_id\)$'
expect_out '^    rte_flow \(hw tier\): no offload: rte_flow: port vnet1 is not a DPDK port \(type system\)$'
expect_out '^    tc \(hw tier\): no offload: tc: port br0 has no TC offload: not a switchdev port \(no phys_switch_id\)$'
expect_out '^    verbs \(hw tier\): no offload: verbs: port vnet1 has no RDMA device behind it \([^),]*\)$'
grep -q '^    rdma:' <<<"$out" && fail "a veth has an RDMA device here: $out"
grep -q 'serves it' <<<"$out" && fail "a provider serves a port here: $out"
pass
n1=$(grep -c "in_port=$p1," <<<"$all")
expect_out "^    flows: hw:0 kernel:0 user:$n1\$"
# Under it, why they are not in hw: the reason dump-dp-flows gives each.
r1=$(sed -nE "s/^icmp,in_port=$p1,.*, not in hw: (.*), not in kernel: .*/\1/p" <<<"$all")
[ -n "$r1" ] || fail "no hw reason for vnet0's ICMP megaflow: $all"
grep -A12 "^  port $p1 vnet0 " <<<"$out" \
    | grep -qxF "      not in hw: $r1 ($n1 megaflows)" \
    || fail "offload show does not give vnet0's $n1 megaflows' reason '$r1': $out"
ft 0 --format json offload show br0
export FT_R1=$r1
json_check '
[b] = d
assert b["bridge"] == "br0", d
[sw] = b["switches"]
assert sw["switch_id"] == "", d
names = {p["name"]: p for p in sw["ports"]}
assert {"vnet0", "vnet1", "br0"} <= set(names), d
for p in sw["ports"]:
    assert p["flows"]["hw"] == 0 and p["flows"]["kernel"] == 0, p
    for pr in p["providers"]:
        assert pr["refusal"] and "matches" not in pr, p
    assert p["rdma"] is None, p
assert names["vnet0"]["flows"]["user"] == '$n1', d
import os
assert names["vnet0"]["not_in_hw"] == [{"reason": os.environ["FT_R1"], "flows": '$n1'}], d
assert names["vnet0"]["not_in_hw_other"] == 0, d'
ft 1 offload show nosuchbr
expect_err 'no bridge named "nosuchbr"'
ft 2 offload list

# ---- Each reason logged once. ----
log="$SYS_T/flowtierd.log"
r='megaflows not in hw: tc: port vnet0 has no TC offload'
[ "$(grep -c "INFO.*bridge br0: $r" "$log")" = 1 ] \
    || fail "expected one info line for /$r/ in the log for $n1 megaflows: $(grep 'megaflows not in' "$log")"
pass
[ "$(grep -c "bridge br0: megaflows not in kernel: tc: port vnet0: TC in software is off" "$log")" = 1 ] \
    || fail "expected one info line for the kernel tier's reason: $(grep 'megaflows not in' "$log")"
pass

# ---- tc-policy. ----
# TC in software on a port of a kernel without cls_flower: refused with
# the kernel's words, nothing of FlowTier's left on the port, the port
# still switched (in userspace).
ft 0 set Interface vnet1 other_config:tc-policy=skip_hw
ft 0 offload show br0
expect_out '^    tc-sw \(kernel tier\): no offload: tc: port vnet1: .+$'
expect_out '^    tc \(hw tier\): no offload: tc: port vnet1: other_config:tc-policy=skip_hw keeps TC rules out of the NIC$'
expect_out '^    tc-sw \(kernel tier\): no offload: tc: port vnet0: TC in software is off \(other_config:tc-policy=skip_hw turns it on\)$'
ip -br link | grep -q '^ftsp' && fail "a slow-path device was left: $(ip -br link)"
pass
ping_ok vm1 10.0.0.2 2
ft 0 dump-dp-flows br0
expect_out "^icmp,in_port=$p2,.*, tier:user, .*not in kernel: tc: port vnet1: .*actions:$p1\$"
ft 1 set Interface vnet1 other_config:tc-policy=skip_hx
expect_err "vnet1: other_config:tc-policy: 'skip_hx' is not one of skip_sw, skip_hw, none"
# none: the hw tier's provider puts the filters, with neither skip flag;
# where the kernel has no cls_flower its probe says so, the kernel tier
# says whose the port is, nothing is left on it, and it still switches.
ft 0 set Interface vnet1 other_config:tc-policy=none
ft 0 offload show br0
expect_out '^    tc \(hw tier\): no offload: tc: port vnet1: .+$'
expect_out '^    tc-sw \(kernel tier\): no offload: tc: port vnet1: with other_config:tc-policy=none the hw tier.s provider puts TC rules and the kernel keeps in software what the NIC does not take$'
ip -br link | grep -q '^ftsp' && fail "a slow-path device was left: $(ip -br link)"
tc filter show dev vnet1 ingress 2>/dev/null | grep -q . \
    && fail "a filter was left on vnet1: $(tc filter show dev vnet1 ingress)"
pass
ping_ok vm1 10.0.0.2 2

sys_done
