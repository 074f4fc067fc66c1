#!/bin/bash
# System test: refusals.  A port whose device does not exist, a flow with
# a bad token, a bad flow file, a bad column value: each is one line on
# stderr naming what is wrong, exit status 1, and changes nothing (ports,
# flows, tags as before); the daemon answers afterwards and the switch
# keeps forwarding under the old rules.
#
# usage: test-bad-input.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0 -- set Port vnet0 tag=10
sys_add_vm vm2 10.0.0.2 vnet1 br0 -- set Port vnet1 tag=10
ft 0 add-flow br0 cookie=0x1,priority=100,in_port=vnet1,icmp,actions=drop
tcp_listen vm2 80
ping_fails vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 80

ft 0 list-ports br0; ports_before=$out
ft 0 show; show_before=$out
normalize() {
    sed -E 's/duration=[0-9.]+s, //; s/idle_age=[0-9]+, //;
            s/n_packets=[0-9]+, n_bytes=[0-9]+, //'
}
ft 0 dump-flows br0; flows_before=$(normalize <<<"$out")

unchanged() {
    ft 0 list-ports br0
    [ "$out" = "$ports_before" ] || fail "ports changed after $1: $out"
    ft 0 show
    [ "$out" = "$show_before" ] || fail "configuration changed after $1: $out"
    ft 0 dump-flows br0
    [ "$(normalize <<<"$out")" = "$flows_before" ] \
        || fail "flows changed after $1: $out"
}

# ---- Ports.
ft 1 add-port br0 nosuchdev0; expect_err 'nosuchdev0.*no such network device'
unchanged "add-port of a missing device"
ft 1 add-port br0 nosuchdev1 -- set Port nosuchdev1 tag=30
expect_err 'nosuchdev1'
unchanged "add-port of a missing device with a tag"
ft 1 add-port br0 vnet0; expect_err 'vnet0'
ft 1 add-port nosuchbr vnet9; expect_err 'nosuchbr'
ft 1 add-port br0 tapx -- set Interface tapx type=nosuchtype
expect_err 'nosuchtype'
ip link show tapx >/dev/null 2>&1 && fail "a refused port left device tapx"
pass
ft 1 set Port vnet0 tag=4096; expect_err '4096'
ft 1 set Port vnet0 tag=ten; expect_err 'ten'
ft 1 set Interface vnet0 type=bogus; expect_err 'bogus'
unchanged "bad port settings"

# ---- Flows.
ft 1 add-flow br0 'priority=10,ip,nw_dst=10.0.0.999,actions=drop'
expect_err '10\.0\.0\.999'
ft 1 add-flow br0 'priority=10,ip,actions=frobnicate'; expect_err 'frobnicate'
ft 1 add-flow br0 'priority=10,in_port=nosuchport,actions=drop'
expect_err 'nosuchport'
ft 1 add-flow br0 'priority=10,tcp,tp_dst=70000,actions=drop'; expect_err '70000'
ft 1 add-flow br0 'priority=10,nw_dst=10.0.0.1,actions=drop'; expect_err 'nw_dst'
ft 1 add-flow br0 'priority=10,ip,actions=output:nosuchport'
expect_err 'nosuchport'
ft 1 mod-flows br0 'ip,actions=mod_vlan_vid:5000'; expect_err '5000'
cat >"$SYS_T/bad.flows" <<'FLOWS'
priority=20,udp,actions=drop
priority=21,udp,tp_dst=53,actions=frobnicate
FLOWS
ft 1 add-flows br0 "$SYS_T/bad.flows"; expect_err 'bad\.flows:2: .*frobnicate'
ft 1 replace-flows br0 "$SYS_T/bad.flows"; expect_err 'bad\.flows:2: .*frobnicate'
unchanged "bad flows"

# A flows file too large for one control message: replace-flows sends it
# whole, so it is refused with the reason before anything is sent, nothing
# applied.  (add-flows streams a file of any size: test-add-flows-stream.)
"$SYS_PY" -c "
for i in range(150000):
    print('priority=%d,tcp,nw_src=10.%d.%d.%d,tp_dst=%d,actions=drop'
          % (i % 1000, i >> 16, (i >> 8) & 255, i & 255, i % 65535))
" >"$SYS_T/huge.flows"
ft 1 replace-flows br0 "$SYS_T/huge.flows"
expect_err "over the control socket's limit"
unchanged "an oversized replace-flows"

# ---- Tiers: bad placement policy, a datapath type this build lacks.
ft 1 set Bridge br0 other_config:tier-order=hw,disk
expect_err "tier-order: 'disk' is not a tier"
ft 1 set Bridge br0 other_config:hw-offload=maybe
expect_err "hw-offload: 'maybe' is not true or false"
ft 1 set Interface vnet0 other_config:tier-order=user,user
expect_err 'vnet0: tier-order: user appears twice'
ft 1 set Bridge br0 datapath_type=system
expect_err 'datapath_type is netdev; it cannot change'
ft 1 add-br br9 -- set Bridge br9 datapath_type=system
expect_err 'datapath type system needs the flowtier kernel module, but this kernel cannot load modules'
ft 1 set Bridge br0 datapath_type=warp; expect_err 'warp'
unchanged "bad tier settings"
ft 0 list-br
grep -q br9 <<<"$out" && fail "a refused add-br left bridge br9: $out"
pass

# ---- Still answering and forwarding under the old rules.
ft 0 list-br; [ "$out" = br0 ] || fail "list-br: $out"
kill -0 "$(sys_daemon_pid)" || fail "flowtierd died"
pass
ping_fails vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 80
ft 0 del-flows br0 cookie=0x1/0xffffffffffffffff
ping_ok vm1 10.0.0.2

sys_done
