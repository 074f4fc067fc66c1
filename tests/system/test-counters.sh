#!/bin/bash
# System test: counters follow the traffic.  N pings through a rule of
# their own raise its n_packets by at least 2N (requests and replies) and
# its n_bytes accordingly; the ports' rx and tx counters and the
# megaflows' packet counts grow with them; a rule the pings do not match
# stays at zero.
#
# usage: test-counters.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

N=20
ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0
ft 0 add-flow br0 cookie=0x7,priority=10,icmp,actions=NORMAL
ft 0 add-flow br0 cookie=0x8,priority=10,udp,actions=NORMAL
ping_ok vm1 10.0.0.2 1

# wait_stat MIN CMD...: waits (3 s at most) until CMD prints a number >=
# MIN; the revalidator credits megaflow counters to rules periodically.
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

icmp_pkts=$(flow_stat br0 cookie=0x7 n_packets)
icmp_bytes=$(flow_stat br0 cookie=0x7 n_bytes)
rx1=$(port_stat br0 vnet0 rx pkts) rxb1=$(port_stat br0 vnet0 rx bytes)
tx2=$(port_stat br0 vnet1 tx pkts) txb2=$(port_stat br0 vnet1 tx bytes)
rx2=$(port_stat br0 vnet1 rx pkts) tx1=$(port_stat br0 vnet0 tx pkts)

ping_ok vm1 10.0.0.2 $N

# Rule counters: requests and replies both match the ICMP rule; an echo
# request of 56 data bytes is a 98-byte frame.
new=$(wait_stat $((icmp_pkts + 2 * N)) flow_stat br0 cookie=0x7 n_packets)
[ "$new" -ge $((icmp_pkts + 2 * N)) ] \
    || fail "ICMP rule n_packets $icmp_pkts -> $new after $N pings"
pass
new=$(flow_stat br0 cookie=0x7 n_bytes)
[ "$new" -ge $((icmp_bytes + 2 * N * 98)) ] \
    || fail "ICMP rule n_bytes $icmp_bytes -> $new after $N pings"
pass
[ "$(flow_stat br0 cookie=0x8 n_packets)" = 0 ] \
    || fail "the UDP rule counted packets it never saw"
pass
ft 0 --format json dump-flows br0
json_check '
f = [f for f in d if f.get("cookie") in (7, "0x7")]
assert len(f) == 1 and f[0]["n_packets"] >= 2 * '$N', d'

# Port counters: vm1's requests are received on vnet0 and sent on vnet1,
# the replies the other way.
check_port() {
    local port=$1 dir=$2 unit=$3 before=$4 min=$5 now
    now=$(port_stat br0 "$port" "$dir" "$unit")
    [ "$now" -ge $((before + min)) ] \
        || fail "$port $dir $unit: $before -> $now after $N pings, expected +$min"
    pass
}
check_port vnet0 rx pkts "$rx1" $N
check_port vnet0 rx bytes "$rxb1" $((N * 98))
check_port vnet1 tx pkts "$tx2" $N
check_port vnet1 tx bytes "$txb2" $((N * 98))
check_port vnet1 rx pkts "$rx2" $N
check_port vnet0 tx pkts "$tx1" $N

# Megaflow counters: the ICMP megaflow from vnet0 carried every request.
p1=$(ofport vnet0)
ft 0 dump-dp-flows br0
line=$(grep -E "^icmp,in_port=$p1,.*dl_dst=02:00:00:00:00:02," <<<"$out") \
    || fail "no ICMP megaflow from vnet0: $out"
n=$(sed -nE 's/.* packets:([0-9]+), .*/\1/p' <<<"$line")
[ "$n" -ge $N ] || fail "megaflow counted $n packets for $N pings: $line"
pass

# A TCP transfer moves the byte counters by at least its size.
tcp_listen vm2 80
rxb1=$(port_stat br0 vnet0 rx bytes)
tcp_ok vm1 10.0.0.2 80
check_port vnet0 rx bytes "$rxb1" 262144

# dpif-show: lookups counted; at a tiny flow-limit installs are refused,
# counted, and the datapath never holds more than the limit.
ft 0 dpif-show br0
missed=$(sed -nE 's/.*missed:([0-9]+) .*/\1/p' <<<"$out")
[ "${missed:-0}" -ge 1 ] || fail "dpif-show counted no miss: $out"
pass

# A rule change makes the revalidator translate the megaflows again;
# dpif-show keeps what the last change took (time, megaflows translated
# again) until the next change, so nothing depends on catching one pass.
ping_ok vm1 10.0.0.2
ft 0 --format json dpif-show br0
version=$("$SYS_PY" -c 'import json, sys; print(json.load(sys.stdin)["tables_version"])' <<<"$out")
ft 0 add-flow br0 cookie=0x9,priority=20,icmp,actions=NORMAL
for i in $(seq 200); do
    ft 0 --format json dpif-show br0
    "$SYS_PY" -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(not (d["last_change_version"] > int(sys.argv[1])))' "$version" <<<"$out" && break
    sleep 0.02
done
json_check "assert d['last_change_version'] > $version, d
assert d['tables_version'] >= d['last_change_version'], d
assert d['last_change_retranslated'] >= 1, d
assert d['last_change_settle_usec'] > 0, d
assert d['last_pass_usec'] > 0, d"
ft 0 dpif-show br0
grep -qE 'last pass: [0-9]+\.[0-9]{3} ms, [0-9]+ megaflows, [0-9]+ translated again' <<<"$out" \
    || fail "dpif-show has no last pass line: $out"
grep -qE 'last table change: in every megaflow [0-9]+\.[0-9]{3} ms after, [1-9][0-9]* translated again' <<<"$out" \
    || fail "dpif-show has no last table change line: $out"
pass
ft 0 set Bridge br0 other_config:flow-limit=1
ft 0 del-flows br0
ft 0 add-flow br0 'priority=0,actions=NORMAL'
ping_ok vm1 10.0.0.2
ft 0 dpif-show br0
flows=$(sed -nE 's/.*flows: ([0-9]+) .*/\1/p' <<<"$out")
refused=$(sed -nE 's/.*refused at the limit: ([0-9]+)\).*/\1/p' <<<"$out")
[ "${flows:-99}" -le 1 ] || fail "flow-limit 1 but $flows megaflows: $out"
[ "${refused:-0}" -ge 1 ] || fail "no install refused at flow-limit 1: $out"
pass
ft 0 --format json dpif-show br0
json_check 'assert d["flow_limit"] == 1 and d["flow_limit_hits"] >= 1, d'
# Megaflows per tier: no offload provider here, so all in the userspace
# datapath, and the tiers add up to the total.
json_check 'assert sum(d["flows_per_tier"].values()) == d["flows"], d
assert d["flows_per_tier"]["hw"] == 0, d
assert d["flows_per_tier"]["kernel"] == 0, d'
ft 0 dpif-show br0
grep -qE '^  flows per tier: hw:0 kernel:0 user:[0-9]+$' <<<"$out" \
    || fail "dpif-show has no per-tier line: $out"
pass

sys_done
