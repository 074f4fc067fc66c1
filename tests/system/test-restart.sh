#!/bin/bash
# System test: flowtierd killed with SIGKILL in the middle of traffic comes
# back with everything it had committed: bridges, ports, VLAN tags and
# every flow with its cookie, priority, table and timeouts; and the
# restarted daemon forwards again under the same rules (an ICMP drop still
# drops, the VLANs still separate, TCP flows).
#
# usage: test-restart.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0 -- set Port vnet0 tag=10
sys_add_vm vm2 10.0.0.2 vnet1 br0 -- set Port vnet1 tag=10
sys_add_vm vm3 10.0.0.3 vnet2 br0 -- set Port vnet2 tag=20
sys_add_vm vm4 10.0.0.4 vnet3 br0 -- set Port vnet3 tag=10
ft 0 set Interface vnet0 external-ids:vm-id=vm1

cat >"$SYS_T/pipeline.flows" <<'FLOWS'
table=0,cookie=0x10,priority=100,in_port=vnet3,icmp,actions=drop
table=0,cookie=0x11,priority=0,actions=resubmit(,1)
table=1,cookie=0x20,priority=300,idle_timeout=600,tcp,nw_dst=10.0.0.2,tp_dst=23,actions=drop
table=1,cookie=0x21,priority=5,actions=goto_table:2
table=2,cookie=0x30,priority=7,actions=NORMAL
FLOWS
ft 0 replace-flows br0 "$SYS_T/pipeline.flows"
tcp_listen vm2 23
tcp_listen vm2 80

check_traffic() {
    ping_ok vm1 10.0.0.2
    ping_fails vm4 10.0.0.2
    ping_fails vm1 10.0.0.3
    tcp_ok vm4 10.0.0.2 80
    tcp_fails vm1 10.0.0.2 23
}
check_traffic

# What must survive, without the fields that change with time and traffic.
normalize() {
    sed -E 's/duration=[0-9.]+s, //; s/idle_age=[0-9]+, //;
            s/n_packets=[0-9]+, n_bytes=[0-9]+, //' | sort
}
ft 0 dump-flows br0; flows_before=$(normalize <<<"$out")
[ "$(grep -c . <<<"$flows_before")" = 5 ] || fail "5 flows expected: $out"
ft 0 show; show_before=$out
ft 0 list Port; ports_before=$out
ft 0 list Interface; ifaces_before=$out

pid=$(sys_daemon_pid)
# Traffic in flight while it dies.
sys_bg in_vm vm1 ping -q -i 0.05 -c 100 10.0.0.2 >/dev/null 2>&1
sleep 0.3
kill -9 "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "flowtierd survived kill -9"
pass
# Nothing forwards while it is down.
ping_fails vm1 10.0.0.2

sys_start_daemon
grep -q 'bridge br0: started with 5 ports and 5 flows' "$SYS_T/flowtierd.log" \
    || fail "restart log: $(tail -5 "$SYS_T/flowtierd.log")"
pass
ft 0 show; [ "$out" = "$show_before" ] || fail "show after restart:
$out
before:
$show_before"
ft 0 list Port; [ "$out" = "$ports_before" ] || fail "ports after restart:
$out
before:
$ports_before"
ft 0 list Interface; [ "$out" = "$ifaces_before" ] || fail "interfaces after restart:
$out
before:
$ifaces_before"
ft 0 get Port vnet2 tag; [ "$out" = 20 ] || fail "vnet2 tag: $out"
ft 0 dump-flows br0; flows_after=$(normalize <<<"$out")
[ "$flows_after" = "$flows_before" ] || fail "flows after restart:
$flows_after
before:
$flows_before"
pass
expect_out '^ cookie=0x20, .*table=1, .*idle_timeout=600, .*priority=300,tcp,nw_dst=10.0.0.2,tp_dst=23 actions=drop$'

check_traffic

# A second kill -9 right after a change: the change is there too.
ft 0 add-flow br0 table=1,cookie=0x22,priority=400,ip,nw_src=10.0.0.4,actions=drop
kill -9 "$(sys_daemon_pid)"
sleep 0.2
sys_start_daemon
ft 0 dump-flows br0 table=1
expect_out '^ cookie=0x22, .*priority=400,ip,nw_src=10.0.0.4 actions=drop$'
tcp_fails vm4 10.0.0.2 80
ping_ok vm1 10.0.0.2

sys_done
