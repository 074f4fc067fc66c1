#!/bin/bash
# What the SmartNIC model (tests/ftnic/) refuses, and how.  A rule it
# cannot take fails under skip_sw with an extack message naming the field
# or action ("ftnic: cannot offload ..."), and without skip_sw stays in
# software only (not_in_hw).  With max_rules=4 the fifth rule fails with
# "rule table full" (-ENOSPC) until one is deleted.
#
# usage: test-ftnic-refuse.sh FTNIC.KO   (runs as root; boots the VM)
# FT_VM_SHOW_ERR=1 prints each refusal message.
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"
ko=$1

ftnic_load "$ko" max_rules=4 || exit 1
for d in ftnic0r0 ftnic0r1 ftnic0r2; do
    ip link set "$d" up
    tc qdisc add dev "$d" ingress || fail "no ingress qdisc on $d"
done

# refuse 'WANTED MESSAGE' TC FILTER ARGS...: the skip_sw rule must fail
# with that message and leave nothing behind.
refuse() {
    local want=$1 out
    shift
    if out=$(tc filter add dev ftnic0r0 ingress pref 1 "$@" 2>&1); then
        fail "accepted: tc filter add ... $*"
    fi
    case $out in
        *"Error: ftnic: cannot offload $want"*) ;;
        *) fail "tc filter add ... $*: got '$out', want 'ftnic: cannot offload $want'" ;;
    esac
    [ -z "$(tc filter show dev ftnic0r0 ingress)" ] \
        || fail "a refused rule was left behind: $*"
    [ "${FT_VM_SHOW_ERR:-0}" = 1 ] && echo "$out"
    pass
}

refuse "action skbedit mark" \
    protocol ip flower skip_sw dst_ip 10.1.0.1 action skbedit mark 7
refuse "tunnel_key set unless a redirect to a VXLAN device follows" \
    protocol ip flower skip_sw dst_ip 10.1.0.2 \
    action tunnel_key set src_ip 192.0.2.1 dst_ip 192.0.2.2 id 42 dst_port 4789 \
    action mirred egress redirect dev ftnic0
refuse "action tunnel_key unset here (only first, on a VXLAN device)" \
    protocol ip flower skip_sw dst_ip 10.1.0.7 action tunnel_key unset \
    action mirred egress redirect dev ftnic0r1
refuse "action goto (chains)" \
    protocol ip flower skip_sw dst_ip 10.1.0.3 action goto chain 1
refuse "action mirred to a device outside this e-switch" \
    protocol ip flower skip_sw dst_ip 10.1.0.4 action mirred egress redirect dev lo
refuse "action pedit of this field" \
    protocol ip flower skip_sw dst_ip 10.1.0.5 \
    action pedit ex munge ip protocol set 17 pipe action drop
refuse "match on IPv6 addresses" \
    protocol ipv6 flower skip_sw dst_ip 2001:db8::1 action drop
refuse "match on a number of VLAN tags other than none" \
    protocol ip flower skip_sw num_of_vlans 1 action drop
refuse "match on TCP flags" \
    protocol ip flower skip_sw ip_proto tcp tcp_flags 0x2 action drop
refuse "rules in chains other than 0" \
    chain 3 protocol ip flower skip_sw dst_ip 10.1.0.6 action drop

# Without skip_sw the same rule lives in software.
tc filter add dev ftnic0r0 ingress pref 2 protocol ip flower \
    dst_ip 10.1.0.1 action skbedit mark 7 || fail "software fallback refused"
tc filter show dev ftnic0r0 ingress | grep -q not_in_hw \
    || fail "an unsupported rule without skip_sw is not marked not_in_hw"
tc filter del dev ftnic0r0 ingress pref 2
pass

# The table holds four rules, across all representors.
for n in 1 2 3 4; do
    tc filter add dev ftnic0r$((n % 3)) ingress pref 10 protocol ip flower \
        skip_sw dst_ip 10.2.0.$n action drop || fail "rule $n of 4 refused"
done
[ "$(tc filter show dev ftnic0r1 ingress | grep -c 'in_hw in_hw_count 1')" = 2 ] \
    || fail "rules not in hardware"
pass
out=$(tc filter add dev ftnic0r2 ingress pref 10 protocol ip flower skip_sw \
      dst_ip 10.2.0.5 action drop 2>&1) && fail "a fifth rule fit in max_rules=4"
case $out in
    *"Error: ftnic: cannot offload: rule table full"*) ;;
    *) fail "table full: got '$out'" ;;
esac
pass
tc filter add dev ftnic0r2 ingress pref 11 protocol ip flower \
    dst_ip 10.2.0.5 action drop || fail "software fallback refused"
tc filter show dev ftnic0r2 ingress pref 11 | grep -q not_in_hw \
    || fail "a rule over the table size without skip_sw is not not_in_hw"
tc filter del dev ftnic0r2 ingress pref 11
tc filter del dev ftnic0r1 ingress pref 10 handle 1 flower \
    || fail "cannot delete a rule"
tc filter add dev ftnic0r2 ingress pref 10 protocol ip flower skip_sw \
    dst_ip 10.2.0.5 action drop || fail "a freed slot cannot be used again"
pass

ftnic_unload_clean
vm_done
