#!/bin/bash
# System test: nothing FlowTier created is left on the host after it
# stops, whether by SIGTERM or by kill -9 followed by a start and a stop.
# A bridge with its internal port, a second internal port, two taps for
# guests (one FlowTier creates, one the user made beforehand, which must
# stay) and a veth.  After each stop: no FlowTier tap or internal port,
# the user's tap still there, and no ingress or clsact qdisc on the
# veth.  (A tap
# FlowTier created used to survive kill -9 and be adopted by the next
# daemon as the user's, so it was never deleted.)  Kernel datapaths and
# TC filters exist only where the kernel has the module and flower (the
# VM tests, tests/vm/); on this host the bridges use the userspace
# datapath and TC offload finds nothing to offload.
#
# usage: test-rel-leftovers.sh FLOWTIER FLOWTIERD
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"

ip tuntap add dev usertap mode tap || fail "cannot create a tap"
ip link add ve0 type veth peer name ve0p || fail "cannot create a veth"

ours="br0 int1 gtap"
check_clean() {
    local d
    for d in $ours; do
        ! ip link show "$d" >/dev/null 2>&1 || fail "$1: $d is still there: $(ip -o link show "$d")"
        pass
    done
    ip link show usertap >/dev/null 2>&1 || fail "$1: the user's tap usertap was deleted"
    pass
    ! tc qdisc show dev ve0 | grep -qE "ingress|clsact" \
        || fail "$1: a qdisc was left on the veth: $(tc qdisc show dev ve0)"
    pass
}
check_present() {
    local d
    for d in $ours usertap; do
        ip link show "$d" >/dev/null 2>&1 || fail "$1: $d is missing"
    done
    pass
}
stop_daemon() {
    local pid
    pid=$(sys_daemon_pid)
    kill "$1" "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

sys_start_daemon
ft 0 add-br br0
ft 0 add-port br0 int1 -- set Interface int1 type=internal
ft 0 add-port br0 gtap -- set Interface gtap type=tap
ft 0 add-port br0 usertap -- set Interface usertap type=tap
ft 0 add-port br0 ve0
check_present "running"
stop_daemon -TERM
check_clean "after SIGTERM"

sys_start_daemon
check_present "restarted"
stop_daemon -KILL
sys_start_daemon
check_present "restarted after kill -9"
stop_daemon -TERM
check_clean "after kill -9, start and stop"

# Deleting the port while the daemon runs removes the tap too, also one
# left by a killed daemon.
sys_start_daemon
stop_daemon -KILL
sys_start_daemon
ft 0 del-port br0 gtap
! ip link show gtap >/dev/null 2>&1 || fail "del-port after kill -9 left gtap"
pass
stop_daemon -TERM
ip link del usertap
sys_done
