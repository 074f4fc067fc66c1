#!/bin/bash
# test-add-flows-stream.sh - 'flowtier add-flows' of a file larger than one
# control message (200,000 rules, about 10 MB: the daemon's message limit
# is 8 MiB) streamed in chunks and committed as one transaction: every
# rule is there afterwards and after a kill -9 and restart; the command's
# memory stays far below the file's; a bad line anywhere (here the last)
# refuses the whole file with its line number and adds nothing; a client
# killed halfway adds nothing and the daemon keeps serving; a daemon
# killed during the commit comes back with all of the rules or none.
#
# usage: test-add-flows-stream.sh FLOWTIER FLOWTIERD (as root; meson
# passes them)

. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need /usr/bin/time

N=200000
sys_start_daemon
"$FT" add-br br0 || fail "add-br br0"
"$FT" del-flows br0 || fail "del-flows br0"

"$SYS_PY" - "$N" >"$SYS_T/flows" <<'PY'
import sys
n = int(sys.argv[1])
print("# generated rules")
for i in range(n):
    print("priority=%d,tcp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=output:%d"
          % (i % 1000 + 1, i >> 16, (i >> 8) & 255, i & 255, i % 60000 + 1,
             i % 4 + 1))
PY
size=$(stat -c %s "$SYS_T/flows")
[ "$size" -gt $((8 * 1024 * 1024)) ] || fail "the file is only $size bytes"
count() {
    "$FT" --timeout=120 dump-flows br0 | grep -c priority
}

# A bad last line: nothing added, its line number named.
{ cat "$SYS_T/flows"; echo "priority=5,ip,nw_dst=10.0.0.300,actions=drop"; } \
    >"$SYS_T/bad"
ft 1 --timeout=120 add-flows br0 "$SYS_T/bad"
expect_err "$SYS_T/bad:$((N + 2)): .*nw_dst"
[ "$(count)" = 0 ] || fail "a refused add-flows left $(count) rules"
pass

# The client killed halfway: nothing added.
"$FT" --timeout=120 add-flows br0 "$SYS_T/flows" &
cli=$!
sleep 0.5
kill -9 $cli 2>/dev/null
wait $cli 2>/dev/null
n=$(count)
[ "$n" = 0 ] || [ "$n" = $N ] || fail "a killed add-flows left $n rules"
"$FT" del-flows br0 || fail "del-flows after a killed add-flows"
pass

# The whole file, in bounded memory: the command's peak for the file is
# within 3 MiB of its peak for a tenth of it (what grows is a line number
# per flow), where holding the file would take ten times as much.
head -$((N / 10)) "$SYS_T/flows" >"$SYS_T/tenth"
/usr/bin/time -f %M -o "$SYS_T/rss-tenth" "$FT" --timeout=300 add-flows br0 \
    "$SYS_T/tenth" || fail "add-flows of a tenth of the rules failed"
"$FT" del-flows br0 || fail "del-flows"
/usr/bin/time -f %M -o "$SYS_T/rss" "$FT" --timeout=300 add-flows br0 "$SYS_T/flows" \
    || fail "add-flows of $N rules failed"
[ "$(count)" = $N ] || fail "$(count) rules after add-flows, not $N"
pass
rss=$(cat "$SYS_T/rss")
rss_tenth=$(cat "$SYS_T/rss-tenth")
[ "$rss" -lt $((rss_tenth + 3072)) ] \
    || fail "flowtier add-flows peaked at $rss KiB for $N rules ($((size / 1024)) KiB), $rss_tenth KiB for a tenth"
pass

# Durable: the same rules after kill -9 and restart.
sys_kill9_daemon
sys_start_daemon
[ "$(count)" = $N ] || fail "$(count) rules after a restart, not $N"
pass

# The daemon killed during another add-flows: all of it or none.
"$FT" del-flows br0 || fail "del-flows"
"$FT" --timeout=300 add-flows br0 "$SYS_T/flows" 2>/dev/null &
cli=$!
sleep 2
sys_kill9_daemon
wait $cli 2>/dev/null
sys_start_daemon
n=$(count)
[ "$n" = 0 ] || [ "$n" = $N ] || fail "$n rules after a kill -9 during add-flows"
pass
sys_done
