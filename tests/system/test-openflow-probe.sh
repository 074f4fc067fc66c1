#!/bin/bash
# test-openflow-probe.sh - inactivity probes of a controller connection: a
# fake controller (tests/controller/silent_controller.py) that says HELLO
# and then nothing gets an ECHO_REQUEST after 5 s of silence, keeps the
# connection by answering it, is dropped 5 s after a probe it ignores,
# and is connected to again (Open vSwitch's default inactivity_probe).
# The daemon's log says why it disconnected.
#
# usage: test-openflow-probe.sh FLOWTIER FLOWTIERD (as root; meson passes
# them)

. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need python3
CTL=$(dirname "$SYS_SELF")/../controller/silent_controller.py
PORT=$((20000 + $$ % 10000))

sys_start_daemon
"$FT" add-br br0 -- set Bridge br0 fail_mode=secure || fail "add-br br0"
python3 "$CTL" "$PORT" 5 >"$SYS_T/ctl.out" 2>&1 &
CTLPID=$!
SYS_PIDS+=($CTLPID)
sleep 0.3
"$FT" set-controller br0 "tcp:127.0.0.1:$PORT" || fail "set-controller"
wait $CTLPID || fail "inactivity probes:
$(cat "$SYS_T/ctl.out")"
pass
grep -q 'no response to inactivity probe after 10 s, disconnecting' \
    "$SYS_T/flowtierd.log" \
    || fail "the log does not say why the controller was dropped"
pass
sys_done
