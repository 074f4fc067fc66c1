#!/bin/bash
# test-controller.sh - a real SDN controller drives FlowTier: Debian's
# os-ken (osken-manager) with tests/controller/learning_switch.py.  The
# bridge is fail_mode=secure with no flows, so pings between two
# namespaces pass only through the controller's packet-outs and the rules
# it installs; with the controller stopped the rules keep working
# (secure), and once they are gone nothing passes until fail_mode
# standalone lets NORMAL take over (fail-open, as Open vSwitch).
#
# usage: test-controller.sh FLOWTIER FLOWTIERD (as root; meson passes them)

. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need /usr/bin/osken-manager
APP=$(dirname "$SYS_SELF")/../controller/learning_switch.py
PORT=$((20000 + $$ % 10000))

sys_start_daemon
ft 0 add-br br0 -- set Bridge br0 fail_mode=secure
sys_add_vm vm1 10.0.0.1 vnet1 br0
sys_add_vm vm2 10.0.0.2 vnet2 br0
ft 0 dump-flows br0
[ -z "$out" ] || fail "a secure bridge starts with flows: $out"
ping_fails vm1 10.0.0.2

# connected BRIDGE: waits up to 10 s until get-controller says so.
wait_connected() {
    local i
    for i in $(seq 100); do
        "$FT" get-controller br0 | grep -q '(connected)' && return 0
        sleep 0.1
    done
    fail "the controller did not connect: $("$FT" get-controller br0)
$(tail -20 "$SYS_T/osken.log")"
}

/usr/bin/osken-manager --ofp-listen-host 127.0.0.1 \
    --ofp-tcp-listen-port "$PORT" --log-file "$SYS_T/osken.log" \
    "$APP" >/dev/null 2>&1 &
OSKEN=$!
SYS_PIDS+=($OSKEN)
ft 0 set-controller br0 "tcp:127.0.0.1:$PORT"
wait_connected
# The controller installs its table-miss rule once it has the switch's
# features, a moment after the connection is up; before that, a secure
# bridge drops the first ARP and ping gives up.
for i in $(seq 100); do
    "$FT" dump-flows br0 | grep -q 'actions=CONTROLLER' && break
    sleep 0.1
done
pass

# The ARP resolution the refused pings above started may still be going
# on (a probe a second, three in all): once its last probe goes
# unanswered, the kernel fails every packet queued behind it, those of
# the next ping too.  Start from no neighbour entry.
in_vm vm1 ip neigh flush all
in_vm vm2 ip neigh flush all
ping_ok vm1 10.0.0.2
ping_ok vm2 10.0.0.1
grep -q 'packet-in' "$SYS_T/osken.log" \
    || fail "the controller saw no packet: $(tail "$SYS_T/osken.log")"
pass
# The table-miss rule and the learned rules, as the CLI sees them.
ft 0 dump-flows br0
expect_out 'priority=0 actions=CONTROLLER:65535'
expect_out 'priority=1,in_port=vnet1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02 actions=output:vnet2'
expect_out 'priority=1,in_port=vnet2,dl_src=02:00:00:00:00:02,dl_dst=02:00:00:00:00:01 actions=output:vnet1'
n_in=$(grep -c 'packet-in' "$SYS_T/osken.log")

# Controller stopped: secure keeps the rules working, no fail-open.
kill "$OSKEN"
wait "$OSKEN" 2>/dev/null
for i in $(seq 50); do
    "$FT" get-controller br0 | grep -q '(not connected)' && break
    sleep 0.1
done
ft 0 get-controller br0
expect_out 'not connected'
ping_ok vm1 10.0.0.2
ft 0 --format json get-controller br0
json_check 'assert d["fail_open"] is False'
[ "$(grep -c 'packet-in' "$SYS_T/osken.log")" = "$n_in" ] \
    || fail "packet-ins counted after the controller stopped"
pass

# Without its rules a secure bridge forwards nothing ...
ft 0 del-flows br0
ping_fails vm1 10.0.0.2
# ... a standalone one switches with NORMAL while no controller is
# connected.
ft 0 set Bridge br0 fail_mode=standalone
sleep 0.5   # The revalidator translates the megaflows again.
ping_ok vm1 10.0.0.2
ft 0 --format json get-controller br0
json_check 'assert d["fail_open"] is True'
# The controller is gone from the configuration: the table rules again.
ft 0 del-controller br0
ft 0 get-controller br0
[ -z "$out" ] || fail "controllers left: $out"
sleep 0.5
ping_fails vm1 10.0.0.2
sys_done
