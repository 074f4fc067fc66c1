#!/bin/bash
# System test: a three-table pipeline.  Table 0 sends everything to table
# 1, table 1 drops SSH (TCP port 22) from 10.0.0.50, table 2 is NORMAL.
# The SSH port is closed to 10.0.0.50 only: another host reaches it, and
# 10.0.0.50 still reaches port 80 and answers pings.
#
# usage: test-acl.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

ft 0 add-br br0
sys_add_vm bad 10.0.0.50 vnet0 br0
sys_add_vm good 10.0.0.2 vnet1 br0
sys_add_vm server 10.0.0.3 vnet2 br0
tcp_listen server 22
tcp_listen server 80

cat >"$SYS_T/acl.flows" <<'FLOWS'
# table 0: admission
table=0,priority=0,actions=resubmit(,1)
# table 1: ACL
table=1,cookie=0xac1,priority=200,tcp,nw_src=10.0.0.50,tp_dst=22,actions=drop
table=1,priority=0,actions=goto_table:2
# table 2: learning switch
table=2,priority=0,actions=NORMAL
FLOWS
ft 0 replace-flows br0 "$SYS_T/acl.flows"
ft 0 dump-flows br0
[ "$(grep -c . <<<"$out")" = 4 ] || fail "expected the 4 pipeline flows: $out"
expect_out '^ cookie=0xac1, .* table=1, n_packets=0, .*priority=200,tcp,nw_src=10.0.0.50,tp_dst=22 actions=drop$'

tcp_fails bad 10.0.0.3 22
tcp_ok good 10.0.0.3 22
tcp_ok bad 10.0.0.3 80
ping_ok bad 10.0.0.3
ping_ok good 10.0.0.50

# The drop rule counted the SYNs it stopped (its counters are credited by
# the revalidator, so give it a moment).
for i in $(seq 30); do
    n=$(flow_stat br0 'priority=200,tcp' n_packets)
    [ "$n" -ge 1 ] && break
    sleep 0.1
done
[ "$n" -ge 1 ] || fail "the SSH drop rule counted no packets"
pass

# The megaflow of the blocked connection: the consulted fields and a drop.
p_bad=$(ofport vnet0)
ft 0 dump-dp-flows br0
expect_out "^tcp,in_port=$p_bad,.*nw_src=10.0.0.50,.*tp_dst=22, .*tier:user, .*actions:drop\$"

# Trace agrees with what the packets did.
ft 0 trace br0 "tcp,in_port=vnet0,nw_src=10.0.0.50,nw_dst=10.0.0.3,tp_dst=22"
expect_out '^Datapath actions: drop$'

# The ACL goes: SSH from 10.0.0.50 gets through.
ft 0 del-flows br0 cookie=0xac1/0xffffffffffffffff
tcp_ok bad 10.0.0.3 22

sys_done
