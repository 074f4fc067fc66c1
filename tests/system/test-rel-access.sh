#!/bin/bash
# System test: who may talk to flowtierd.  With --socket-group=GROUP, the
# control socket, each bridge's OpenFlow socket (BRIDGE.mgmt) and the
# OVSDB socket (db.sock) accept root and members of GROUP, and refuse any
# other user.  A user and a group are created for the test (useradd,
# groupadd) and removed at its end.  (The OpenFlow and OVSDB sockets were
# root's group only, so members of GROUP could not use them.)
#
# usage: test-rel-access.sh FLOWTIER FLOWTIERD
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need useradd userdel groupadd groupdel runuser

GRP=ftg$$
MEMBER=ftm$$
OTHER=fto$$
groupadd "$GRP" || fail "groupadd"
useradd -M -N -g nogroup -G "$GRP" -s /bin/false "$MEMBER" || { groupdel "$GRP"; fail "useradd"; }
useradd -M -N -g nogroup -s /bin/false "$OTHER" || { userdel "$MEMBER"; groupdel "$GRP"; fail "useradd"; }
access_cleanup() {
    userdel "$MEMBER" 2>/dev/null
    userdel "$OTHER" 2>/dev/null
    groupdel "$GRP" 2>/dev/null
    sys_cleanup
}
trap access_cleanup EXIT
# The run directory lives in the test's private directory: let everyone
# reach it, so that only the daemon's own permissions decide.
chmod 755 "$SYS_T"

SYS_RUNDIRS+=("$FLOWTIER_RUNDIR")
"$FTD" --detach --no-fsync --log-file="$SYS_T/flowtierd.log" --socket-group="$GRP" \
    || fail "flowtierd did not start: $(tail -3 "$SYS_T/flowtierd.log")"
ft 0 add-br br0
for _ in $(seq 50); do [ -S "$FLOWTIER_RUNDIR/br0.mgmt" ] && break; sleep 0.1; done

# can USER SOCKET: prints "ok" or the error of connecting as USER.
can() {
    runuser -u "$1" -- "$SYS_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
    print("ok")
except OSError as e:
    print(e.strerror)
' "$2"
}

for sock in flowtierd.sock br0.mgmt db.sock; do
    path=$FLOWTIER_RUNDIR/$sock
    [ -S "$path" ] || fail "no socket $path"
    r=$(can "$MEMBER" "$path")
    [ "$r" = ok ] || fail "a member of $GRP cannot connect to $sock: $r ($(ls -ld "$path"))"
    pass
    r=$(can "$OTHER" "$path")
    [ "$r" = "Permission denied" ] || fail "a user outside $GRP got '$r' connecting to $sock ($(ls -ld "$path"))"
    pass
done
runuser -u "$MEMBER" -- "$FT" list-br >"$SYS_T/m.out" 2>&1 \
    || fail "list-br as a member of $GRP: $(cat "$SYS_T/m.out")"
grep -qx br0 "$SYS_T/m.out" || fail "list-br as a member printed: $(cat "$SYS_T/m.out")"
pass
! runuser -u "$OTHER" -- "$FT" list-br >"$SYS_T/o.out" 2>&1 \
    || fail "list-br as a user outside $GRP worked: $(cat "$SYS_T/o.out")"
grep -q "Permission denied" "$SYS_T/o.out" || fail "list-br as an outsider: $(cat "$SYS_T/o.out")"
pass
ft 0 list-br
sys_done
