#!/bin/bash
# System test: forwarding threads (other_config:pmd-cpu-mask).  Bad masks
# refused with the reason; one pinned thread per CPU of the mask (0x3, or
# 0x1 on a machine with one CPU), each polling its share of the ports;
# pings through them with every ICMP packet counted exactly once on the
# OpenFlow rules, also while a rule's actions change to drop and back under
# traffic; dpif-show listing the threads, their queues and their
# hits; megaflows expired with their counts kept; the threads joined when
# the mask is removed, the daemon forwarding again by itself.
#
# usage: test-pmd.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon
pid=$(sys_daemon_pid)

ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0

# ---- Bad masks: refused with what is wrong, nothing started.
ft 1 set Bridge br0 other_config:pmd-cpu-mask=0xq3
expect_err "pmd-cpu-mask: '0xq3' is not a hexadecimal CPU mask"
ft 1 set Bridge br0 other_config:pmd-cpu-mask=0
expect_err "pmd-cpu-mask: '0' selects no CPU"
ft 1 set Bridge br0 other_config:pmd-cpu-mask=0x80000000
expect_err "pmd-cpu-mask: '0x80000000' selects CPU 31, but this machine has CPUs 0 to"
grep -qs '^pmd-c' /proc/"$pid"/task/*/comm && fail "a refused mask started threads"
pass

# ---- Threads: one per CPU, pinned.
if [ "$(nproc --all)" -ge 2 ]; then mask=0x3 n=2; else mask=0x1 n=1; fi
ft 0 set Bridge br0 other_config:pmd-cpu-mask=$mask
for c in $(seq 0 $((n - 1))); do
    t=$(grep -l "^pmd-c0$c\$" /proc/"$pid"/task/*/comm | head -1)
    [ -n "$t" ] || fail "no thread pmd-c0$c: $(cat /proc/"$pid"/task/*/comm)"
    grep -q "^Cpus_allowed_list:[[:space:]]*$c\$" "${t%/comm}/status" \
        || fail "pmd-c0$c not pinned to CPU $c: $(grep Cpus_allowed_list "${t%/comm}/status")"
    pass
done

# ---- Traffic, counted exactly: a rule per direction.
p1=$(ofport vnet0) p2=$(ofport vnet1)
ft 0 add-flow br0 "cookie=0x7,priority=10,icmp,in_port=$p1,actions=NORMAL"
ft 0 add-flow br0 "cookie=0x8,priority=10,icmp,in_port=$p2,actions=NORMAL"
ft 0 add-flow br0 "priority=0,actions=NORMAL"
ping_ok vm1 10.0.0.2 1
N=100
o=$(in_vm vm1 ping -n -q -c $N -i 0.005 -W 2 10.0.0.2 2>&1)
grep -q " $N received" <<<"$o" || fail "pings lost through the threads: $o"
pass
# wait_stat COOKIE WANT: waits (3 s at most) for the rule's count.
wait_stat() {
    local v i
    for i in $(seq 30); do
        v=$(flow_stat br0 "cookie=$1" n_packets)
        [ "$v" -ge "$2" ] && break
        sleep 0.1
    done
    echo "$v"
}
[ "$(wait_stat 0x7 $((N + 1)))" = $((N + 1)) ] \
    || fail "requests rule: $(flow_stat br0 cookie=0x7 n_packets), expected $((N + 1))"
pass
[ "$(wait_stat 0x8 $((N + 1)))" = $((N + 1)) ] \
    || fail "replies rule: $(flow_stat br0 cookie=0x8 n_packets), expected $((N + 1))"
pass

# ---- dpif-show: the threads, their queues, hits on each.
ft 0 dpif-show br0
expect_out "pmd thread 0 \\(cpu 0\\): rx queues: vnet0"
[ $n = 2 ] && expect_out "pmd thread 1 \\(cpu 1\\): rx queues: vnet1"
ft 0 --format json dpif-show br0
json_check '
t = d["pmd_threads"]
assert len(t) == '$n', t
for x in t:
    assert x["flows"] >= 2, t
    assert x["emc_hits"] + x["megaflow_hits"] + x["missed"] > 0, t'

# ---- The requests' rule changed to drop and back while pings flow (its
# megaflows revalidated under traffic): it counts every request exactly
# once, whatever it did with it; the replies' rule counts every reply.
r7=$(flow_stat br0 cookie=0x7 n_packets)
r8=$(flow_stat br0 cookie=0x8 n_packets)
sys_bg sh -c "ip netns exec ${SYS_NS_PREFIX}vm1 ping -n -q -c 400 -i 0.005 -W 1 10.0.0.2 >'$SYS_T/bgping' 2>&1"
bg=$!
sleep 0.4
ft 0 mod-flows br0 "icmp,in_port=$p1,actions=drop"
sleep 0.4
ft 0 mod-flows br0 "icmp,in_port=$p1,actions=NORMAL"
wait "$bg"
read -r sent got < <(sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) received.*/\1 \2/p' "$SYS_T/bgping")
[ "$sent" = 400 ] || fail "background ping: $(cat "$SYS_T/bgping")"
[ "$got" -lt 400 ] && [ "$got" -gt 0 ] \
    || fail "the drop did not take effect and go under traffic: $got of 400 answered"
pass
n7=$(wait_stat 0x7 $((r7 + 400)))
[ "$n7" = $((r7 + 400)) ] || fail "requests rule: $((n7 - r7)) of 400 requests counted"
pass
n8=$(wait_stat 0x8 $((r8 + got)))
[ "$n8" -ge $((r8 + got)) ] && [ "$n8" -le $((r8 + 400)) ] \
    || fail "replies rule: $((n8 - r8)) counted, $got answered"
pass

# ---- Megaflows expire (max-idle 1 s); what they counted stays.
ft 0 set Bridge br0 other_config:max-idle=1000
sleep 2.5
ft 0 dump-dp-flows br0
[ -z "$(grep icmp <<<"$out")" ] || fail "megaflows not expired: $out"
pass
n7b=$(flow_stat br0 cookie=0x7 n_packets)
[ "$n7b" = "$n7" ] || fail "expiry changed the count: $n7 -> $n7b"
pass

# ---- Removing the mask joins the threads; the daemon forwards alone.
ft 0 remove Bridge br0 other_config pmd-cpu-mask
grep -qs '^pmd-c' /proc/"$pid"/task/*/comm && fail "threads left: $(cat /proc/"$pid"/task/*/comm)"
pass
r8=$(flow_stat br0 cookie=0x8 n_packets)
ping_ok vm1 10.0.0.2 5
[ "$(wait_stat 0x8 $((r8 + 5)))" = $((r8 + 5)) ] \
    || fail "replies rule without threads: $(flow_stat br0 cookie=0x8 n_packets), expected $((r8 + 5))"
pass
ft 0 dpif-show br0
grep -q "pmd thread" <<<"$out" && fail "dpif-show still lists threads: $out"
pass
sys_done
