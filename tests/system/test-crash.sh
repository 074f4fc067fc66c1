#!/bin/bash
# System test: crash consistency of the configuration database, end to
# end through flowtierd.
#  1. flowtierd killed with SIGKILL at random moments (20-400 ms into each
#     life) while a client commits two-row transactions back to back, for
#     FT_CRASH_SECONDS (default 60): after every restart each acknowledged
#     commit is there, none is half applied, the database always loads
#     (tests/system/crash-consistency.py prints the counts).
#  2. Killed during an add-flows of 100,000 rules (FT_CRASH_ADD_FLOWS_TRIALS
#     times, default 2: at a random moment, then once the commit's record
#     is whole in the journal; a third trial kills as it is written): all
#     of them or none.
#  3. A full disk (the database on a 1 MiB tmpfs): the change that does
#     not fit is refused with the reason, the daemon goes on answering,
#     and everything committed before is there after a kill and restart.
#
# usage: test-crash.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
here=$(dirname "$(readlink -f "$0")")
SYS_RUNDIRS+=("$FLOWTIER_RUNDIR")

# ---- 1. Kills during commits.
"$SYS_PY" "$here/crash-consistency.py" commits "$FTD" \
    "${FT_CRASH_SECONDS:-60}" || fail "commits under kill -9"
pass

# ---- 2. Kills during a large add-flows.
"$SYS_PY" "$here/crash-consistency.py" add-flows "$FT" "$FTD" \
    "${FT_CRASH_ADD_FLOWS_TRIALS:-2}" 100000 || fail "add-flows under kill -9"
pass

# ---- 3. A full disk.
disk=$SYS_T/small-disk
mkdir -p "$disk"
mount -t tmpfs -o size=1m tmpfs "$disk" || fail "cannot mount a tmpfs on $disk"
trap 'umount -l "$disk" 2>/dev/null; sys_cleanup' EXIT
export FLOWTIER_DBDIR=$disk/db FLOWTIER_RUNDIR=$SYS_T/run-disk
mkdir -p "$FLOWTIER_DBDIR"
sys_start_daemon
ft 0 add-br br0
value=$(printf 'x%.0s' $(seq 4000))
acked=0
for i in $(seq 1 2000); do
    if ! "$FT" set Bridge br0 "external_ids:k$i=$value" 2>"$SYS_T/err"; then
        break
    fi
    acked=$i
done
refusal=$(cat "$SYS_T/err")
[ "$acked" -lt 2000 ] || fail "2000 commits of 4 kB fitted in 1 MiB"
[ "$acked" -gt 10 ] || fail "only $acked commits fitted: $refusal"
grep -qi "no space left on device" <<<"$refusal" \
    || fail "a change refused on a full disk without the reason: $refusal"
pass
# The daemon still answers, and refuses further changes with a reason.
ft 0 list-br; expect_out '^br0$'
if ! "$FT" set Bridge br0 external_ids:after=1 2>"$SYS_T/err"; then
    [ -s "$SYS_T/err" ] || fail "a refused change without a reason"
fi
# Nothing committed is lost, across a kill and a restart on the full disk.
sys_kill9_daemon
sys_start_daemon
ft 0 get Bridge br0 external_ids
for i in $(seq 1 "$acked"); do
    grep -q "k$i=x" <<<"$out" || fail "commit $i of $acked lost on a full disk: ${out:0:300}"
done
pass
echo "crash-consistency full disk: $acked commits of 4 kB acknowledged on a" \
     "1 MiB tmpfs, the next refused: $refusal"
sys_done
