#!/bin/bash
# The SmartNIC model (tests/ftnic/) under churn: 10,000 random skip_sw
# rules (several match shapes and actions, on four representors) added and
# deleted through one tc batch, with their counters read now and then,
# while VF0 and VF1 ping each other through base rules and the wire pings
# VF0.  Every rule must be taken; afterwards only the base rules remain and
# still forward.  Then 600 rules more, and the module unloads under
# traffic with them in place: nothing may be left, and the kernel log must
# have no warning, bug or leak report.
#
# usage: test-ftnic-stress.sh FTNIC.KO [SEED]   (runs as root; boots the VM)
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"
ko=$1
seed=${2:-$RANDOM}
n_rules=10000
echo "$VM_NAME: seed $seed"

slab_objs() {
    awk '$1 == "kmalloc-1k" { print $2 }' /proc/slabinfo
}
slab_before=$(slab_objs)

ftnic_load "$ko" || exit 1
ftnic_ns vm0 ftnic0vf0 10.0.0.1/24
ftnic_ns vm1 ftnic0vf1 10.0.0.2/24
ftnic_ns tor ftnic0wire 10.0.0.3/24
for d in ftnic0r0 ftnic0r1 ftnic0r2 ftnic0; do
    ip link set "$d" up
    tc qdisc add dev "$d" ingress || fail "no ingress qdisc on $d"
done
tc filter add dev ftnic0r0 ingress pref 100 protocol all flower skip_sw \
    action mirred egress redirect dev ftnic0r1 || fail "base rule refused"
tc filter add dev ftnic0r1 ingress pref 100 protocol all flower skip_sw \
    action mirred egress redirect dev ftnic0r0 || fail "base rule refused"
tc filter add dev ftnic0 ingress pref 100 protocol all flower skip_sw \
    action mirred egress redirect dev ftnic0r0 || fail "base rule refused"

ip netns exec vm0 ping -q -i 0.01 10.0.0.2 >/dev/null 2>&1 &
ping0=$!
ip netns exec tor ping -q -i 0.02 10.0.0.1 >/dev/null 2>&1 &
ping1=$!

# Pref selects the match shape (and the protocol, which one pref keeps).
awk -v n=$n_rules -v seed="$seed" 'BEGIN {
    srand(seed)
    split("ftnic0r0 ftnic0r1 ftnic0r2 ftnic0", dev, " ")
    split("ip ip ip all 802.1q", proto, " ")
    act[1] = "action drop"
    act[2] = "action mirred egress redirect dev ftnic0r1"
    act[3] = "action vlan push id 7 action mirred egress redirect dev ftnic0"
    act[4] = "action pedit ex munge ip ttl set 9 munge eth dst set 02:00:00:00:00:09 pipe action mirred egress redirect dev ftnic0r2"
    act[5] = "action mirred egress mirror dev ftnic0r2 action drop"
    act[6] = "action vlan pop action mirred egress redirect dev ftnic0r0"
    act[7] = "action trap"
    live = 0
    for (i = 1; i <= n; i++) {
        # Flower takes one rule per key and mask in a pref: draw again
        # while the key is in use.
        do {
            d = dev[1 + int(rand() * 4)]
            p = 1 + int(rand() * 5)
            m = shape(p)
        } while ((d " " p " " m) in used)
        used[d " " p " " m] = 1
        a = act[1 + int(rand() * 7)]
        print "filter add dev " d " ingress pref " p " handle " i " protocol " proto[p] " flower skip_sw " m " " a
        h[live] = "dev " d " ingress pref " p " handle " i
        k[live++] = d " " p " " m
        if (rand() < 0.5) {
            j = int(rand() * live)
            print "filter del " h[j] " flower"
            delete used[k[j]]
            h[j] = h[--live]
            k[j] = k[live]
        }
        if (i % 2000 == 0)
            print "filter show dev ftnic0r0 ingress"
    }
    for (j = 0; j < live; j++)
        print "filter del " h[j] " flower"
}
function shape(p) {
    if (p == 1)
        return "dst_ip 10.0.0." (1 + int(rand() * 4))
    if (p == 2)
        return "ip_proto udp dst_ip 10." int(rand() * 256) "." int(rand() * 256) ".1 dst_port " (1 + int(rand() * 65535))
    if (p == 3)
        return "ip_proto icmp src_ip 10.0.0." (1 + int(rand() * 4)) " dst_ip 10.0.0.0/24"
    if (p == 4)
        return "dst_mac 02:00:00:00:" sprintf("%02x:%02x", int(rand() * 256), int(rand() * 256))
    return "vlan_id " int(rand() * 4095)
}' >/tmp/rules.batch
[ "$(grep -c '^filter add' /tmp/rules.batch)" = $n_rules ] || fail "batch generation"

start=$(date +%s)
tc -s -batch /tmp/rules.batch >/tmp/rules.out 2>/tmp/rules.err \
    || { tail -5 /tmp/rules.err >&2; fail "a random rule was refused or a delete failed"; }
echo "$VM_NAME: $n_rules rules added and deleted in $(( $(date +%s) - start )) s (a model, not hardware)"
grep -q 'in_hw in_hw_count 1' /tmp/rules.out || fail "no rule showed in hardware during the churn"
pass

kill $ping0 $ping1 2>/dev/null
wait $ping0 $ping1 2>/dev/null
for d in ftnic0r0 ftnic0r1 ftnic0r2 ftnic0; do
    left=$(tc filter show dev $d ingress | grep -c '^filter .* handle' || true)
    want=1
    [ $d = ftnic0r2 ] && want=0
    [ "$left" = $want ] || fail "$d has $left rules left, want $want"
done
pass
ip netns exec vm0 ping -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null \
    || fail "the base rules no longer forward after the churn"
[ "$(ftnic_hw_pkts ftnic0r0 100)" -gt 3 ] || fail "the base rule did not count traffic"
pass

# Unload with rules in place and traffic running: TC must destroy every
# rule as the representors go, and the model must stop forwarding first.
awk 'BEGIN {
    for (i = 1; i <= 600; i++)
        printf "filter add dev ftnic0r%d ingress pref 7 handle %d protocol ip flower skip_sw dst_ip 10.7.%d.%d action drop\n", i % 3, i, int(i / 256), i % 256
}' >/tmp/rules2.batch
tc -batch /tmp/rules2.batch || fail "rules before unload refused"
ip netns exec vm0 ping -q -i 0.01 10.0.0.2 >/dev/null 2>&1 &
ping0=$!
sleep 0.5
ftnic_unload_clean
kill $ping0 2>/dev/null
wait $ping0 2>/dev/null
sleep 1
slab_after=$(slab_objs)
[ "$slab_after" -lt $((slab_before + 2000)) ] \
    || fail "kmalloc-1k grew from $slab_before to $slab_after objects: a leak"
pass
vm_done
