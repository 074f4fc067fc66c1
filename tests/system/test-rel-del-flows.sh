#!/bin/bash
# System test: deleting part of a large flow table costs time in
# proportion to what is deleted, and the daemon keeps answering while it
# works.  50,000 IP rules plus one other are added; 'del-flows br0 ip'
# (the 50,000) must finish within FT_DEL_LIMIT seconds (default 3; a
# search of the whole flow list per deleted rule took ~8 s), the other
# rule must still be there and still be there after a restart, and a
# 'flowtier list-br' sent while the deletion runs must be answered within
# the same limit.
#
# usage: test-rel-del-flows.sh FLOWTIER FLOWTIERD
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

N=50000
LIMIT=${FT_DEL_LIMIT:-3}
ft 0 add-br br0
"$SYS_PY" - "$SYS_T/add" "$N" <<'PY'
import sys
add, n = sys.argv[1], int(sys.argv[2])
with open(add, "w") as a:
    for i in range(n):
        a.write("priority=100,ip,nw_dst=10.%d.%d.%d,actions=drop\n"
                % (i >> 16, (i >> 8) & 255, i & 255))
    a.write("priority=0,actions=NORMAL\n")
PY
ft 0 add-flows br0 "$SYS_T/add"
ft 0 dump-flows br0
[ "$(grep -c actions= <<<"$out")" = $((N + 1)) ] || fail "add-flows did not add $((N + 1)) rules"

start=$(date +%s%N)
"$FT" del-flows br0 ip >"$SYS_T/del.out" 2>&1 &
del_pid=$!
sleep 0.3
# The CLI must be answered while the deletion is under way.
q0=$(date +%s%N)
timeout "$LIMIT" "$FT" list-br >/dev/null \
    || fail "list-br was not answered within ${LIMIT} s during del-flows"
q1=$(date +%s%N)
pass
wait "$del_pid" || fail "del-flows failed: $(cat "$SYS_T/del.out")"
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "del-flows of $N of $((N + 1)) rules: $ms ms; list-br during it: $(( (q1 - q0) / 1000000 )) ms"
[ "$ms" -le $((LIMIT * 1000)) ] || fail "del-flows of $N rules took $ms ms (limit ${LIMIT} s)"
pass

check_one_left() {
    ft 0 dump-flows br0
    expect_out "priority=0 actions=NORMAL"
    [ "$(grep -c actions= <<<"$out")" = 1 ] || fail "expected 1 rule left, got:
$(head -3 <<<"$out")"
    pass
}
check_one_left
# The deletion was committed: a restart replays one rule.
kill -9 "$(sys_daemon_pid)"
sleep 0.2
sys_start_daemon
check_one_left
sys_done
