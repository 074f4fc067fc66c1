#!/bin/bash
# System test: AF_XDP ports (type=afxdp).  Two namespaces joined through a
# bridge of two afxdp veth ports, one in native and one in generic XDP
# mode: ping, a TCP transfer checked by SHA-256, the ports' counters in
# dump-ports against what the namespaces' own devices counted, two
# receive queues; the XDP program of a daemon killed with -9 removed by
# the next one; a device holding another tool's XDP program (left alone)
# and a device that refuses native mode falling back to AF_PACKET with the
# reason shown; a second daemon refused a device the first switches; bad
# options refused; nothing of FlowTier left on any device after a clean
# stop, the other tool's program still there.
#
# usage: test-afxdp.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need clang
sys_start_daemon

# xdp_prog DEV: prints "MODE NAME ID" of DEV's XDP program, or nothing.
xdp_prog() {
    ip -d link show dev "$1" 2>/dev/null | awk '
        / xdpgeneric / { mode = "generic" }
        / xdp / && !mode { mode = "native" }
        /prog\/xdp id/ { print mode, $5, $3; exit }'
}

# stat_of VM COUNTER: that counter of VM's eth0, as its kernel counts it.
stat_of() {
    in_vm "$1" cat "/sys/class/net/eth0/statistics/$2"
}

ft 0 add-br br0 -- set Bridge br0 other_config:max-idle=60000
sys_add_vm vm1 10.0.0.1 xv1 br0 -- set Interface xv1 type=afxdp
sys_add_vm vm2 10.0.0.2 xv2 br0 -- set Interface xv2 type=afxdp \
    options:xdp-mode=generic
pid=$(sys_daemon_pid)

# ---- Attached: native where the driver can (veth), generic when asked.
ft 0 show
expect_out "^ +status: xdp-mode=native, n_rxq=1$"
expect_out "^ +status: xdp-mode=generic, n_rxq=1$"
[ "$(xdp_prog xv1 | cut -d' ' -f1,2)" = "native ftxsk_$pid" ] \
    || fail "xv1: $(ip -d link show dev xv1)"
[ "$(xdp_prog xv2 | cut -d' ' -f1,2)" = "generic ftxsk_$pid" ] \
    || fail "xv2: $(ip -d link show dev xv2)"
pass

# ---- Traffic.
ping_ok vm1 10.0.0.2
ping_ok vm2 10.0.0.1
tcp_listen vm2 80
tcp_ok vm1 10.0.0.2 80

# ---- Counters: what the switch received on a port is what the
# namespace's eth0 sent, and it went out of the other port whole.
sleep 0.5
rx1=$(port_stat br0 xv1 rx pkts) rb1=$(port_stat br0 xv1 rx bytes)
tx2=$(port_stat br0 xv2 tx pkts) tb2=$(port_stat br0 xv2 tx bytes)
rx2=$(port_stat br0 xv2 rx pkts) tx1=$(port_stat br0 xv1 tx pkts)
s1=$(stat_of vm1 tx_packets) r2=$(stat_of vm2 rx_packets)
ping_ok vm1 10.0.0.2 50
tcp_ok vm1 10.0.0.2 80
sleep 0.5
d_rx1=$(($(port_stat br0 xv1 rx pkts) - rx1))
d_rb1=$(($(port_stat br0 xv1 rx bytes) - rb1))
d_tx2=$(($(port_stat br0 xv2 tx pkts) - tx2))
d_tb2=$(($(port_stat br0 xv2 tx bytes) - tb2))
d_rx2=$(($(port_stat br0 xv2 rx pkts) - rx2))
d_tx1=$(($(port_stat br0 xv1 tx pkts) - tx1))
d_s1=$(($(stat_of vm1 tx_packets) - s1))
d_r2=$(($(stat_of vm2 rx_packets) - r2))
echo "counters: vm1 sent $d_s1, xv1 rx $d_rx1 ($d_rb1 bytes), xv2 tx $d_tx2 ($d_tb2 bytes), vm2 received $d_r2; back: xv2 rx $d_rx2, xv1 tx $d_tx1"
[ "$d_rx1" -ge 50 ] && [ "$d_rx1" = "$d_s1" ] && [ "$d_tx2" = "$d_rx1" ] \
    && [ "$d_tb2" = "$d_rb1" ] && [ "$d_r2" = "$d_tx2" ] \
    && [ "$d_tx1" = "$d_rx2" ] && [ "$d_rx2" -ge 50 ] \
    || fail "counters do not add up (see above)"
pass
ft 0 dump-ports br0
expect_out "port +1: rx pkts=[0-9]+, bytes=[0-9]+, drop=0, errs=0"
expect_out "port +2: rx pkts=[0-9]+, bytes=[0-9]+, drop=0, errs=0"

# ---- Bad options are refused with the reason, and change nothing.
ip link add xv9 type veth peer name xv9p
ft 1 add-port br0 xv9 -- set Interface xv9 type=afxdp options:xdp-mode=turbo
expect_err "port xv9: xdp-mode=turbo is not one of best-effort, native, generic"
ft 1 add-port br0 xv9 -- set Interface xv9 type=afxdp options:n_rxq=4
expect_err "port xv9: n_rxq=4 but xv9 has 1 receive queue"
[ -z "$(xdp_prog xv9)" ] || fail "xv9 kept an XDP program: $(xdp_prog xv9)"
pass
ip link del xv9

# ---- Two receive queues: a socket and UMEM each.
ns3=${SYS_NS_PREFIX}vm3
ip netns add "$ns3"
ip link add xv3 numtxqueues 2 numrxqueues 2 type veth peer name eth0 \
    numtxqueues 2 numrxqueues 2 netns "$ns3"
in_vm vm3 ip addr add 10.0.0.3/24 dev eth0
in_vm vm3 ip link set eth0 up
in_vm vm3 ethtool -K eth0 tx off >/dev/null
ip link set xv3 up
ft 0 add-port br0 xv3 -- set Interface xv3 type=afxdp options:n_rxq=2
ft 0 show
expect_out "^ +status: xdp-mode=native, n_rxq=2$"
ping_ok vm3 10.0.0.1 10
tcp_listen vm3 81
tcp_ok vm1 10.0.0.3 81

# ---- Another daemon cannot take a device this one switches.
SYS_RUNDIRS+=("$SYS_T/run2")        # The cleanup kills it if need be.
(
    export FLOWTIER_RUNDIR=$SYS_T/run2 FLOWTIER_DBDIR=$SYS_T/db2
    sys_start_daemon
    ft 0 add-br br9
    ft 1 add-port br9 xv1 -- set Interface xv1 type=afxdp
    expect_err "afxdp: xv1 is already switched through AF_XDP by flowtierd \(pid $pid\)"
    kill -TERM "$(sys_daemon_pid)"
) || exit 1
[ "$(xdp_prog xv1 | cut -d' ' -f2)" = "ftxsk_$pid" ] \
    || fail "xv1 lost its program to the second daemon: $(xdp_prog xv1)"
pass

# ---- kill -9: the program stays; the next daemon removes it and
# attaches its own.
old_id=$(xdp_prog xv1 | cut -d' ' -f3)
kill -9 "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "flowtierd survived kill -9"
[ "$(xdp_prog xv1 | cut -d' ' -f2)" = "ftxsk_$pid" ] \
    || fail "a killed daemon's program is gone already: $(xdp_prog xv1)"
pass
sys_start_daemon
pid=$(sys_daemon_pid)
[ "$(xdp_prog xv1 | cut -d' ' -f1,2)" = "native ftxsk_$pid" ] \
    && [ "$(xdp_prog xv2 | cut -d' ' -f1,2)" = "generic ftxsk_$pid" ] \
    || fail "after restart: xv1 $(xdp_prog xv1), xv2 $(xdp_prog xv2)"
pass
ft 0 show
expect_out "status: xdp-mode=native, n_rxq=1, removed-leftover-prog=$old_id$"
ping_ok vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 80

# ---- Another tool's XDP program: left alone, the port falls back to
# AF_PACKET and says why.
printf '%s\n' '__attribute__((section("xdp"), used)) int other_pass(void *c) { return 2; }' \
    'char _license[] __attribute__((section("license"), used)) = "GPL";' \
    >"$SYS_T/other.c"
clang -O2 -target bpf -c "$SYS_T/other.c" -o "$SYS_T/other.o" \
    || fail "cannot build a test XDP program with clang"
sys_add_vm vm4 10.0.0.4 xv4 br0
ft 0 del-port br0 xv4
ip link set dev xv4 xdpgeneric obj "$SYS_T/other.o" sec xdp \
    || fail "cannot attach the test XDP program"
other=$(xdp_prog xv4)
ft 0 add-port br0 xv4 -- set Interface xv4 type=afxdp
ft 0 show
expect_out "^ +status: xdp-mode=none$"
expect_out "error: \"afxdp: xv4 already has an XDP program of another tool \(id ${other##* }, name 'other_pass', generic mode\); FlowTier leaves it in place; receiving through AF_PACKET instead\""
ft 0 list Interface xv4
expect_out "^error +: \"afxdp: xv4 already has an XDP program of another tool"
ping_ok vm4 10.0.0.1 5
[ "$(xdp_prog xv4)" = "$other" ] || fail "xv4's program changed: $(xdp_prog xv4), was $other"
pass

# ---- A device that refuses native mode: the kernel's words; native only
# falls back to AF_PACKET, best-effort takes generic.
in_vm vm2 ip link set eth0 mtu 9000
ft 0 set Interface xv2 options:xdp-mode=native
ft 0 show
expect_out "error: \"afxdp: xv2 refused FlowTier's XDP program in native mode: Numerical result out of range: .*[Pp]eer MTU is too large to set XDP; receiving through AF_PACKET instead\""
[ -z "$(xdp_prog xv2)" ] || fail "xv2 kept a program: $(xdp_prog xv2)"
pass
ping_ok vm2 10.0.0.1
ft 0 set Interface xv2 options:xdp-mode=best-effort
ft 0 show
expect_out "status: xdp-mode=generic, n_rxq=1, native refused: native mode: Numerical result out of range: .*[Pp]eer MTU is too large"
[ "$(xdp_prog xv2 | cut -d' ' -f1,2)" = "generic ftxsk_$pid" ] \
    || fail "xv2: $(xdp_prog xv2)"
pass
ping_ok vm2 10.0.0.1

# ---- Clean stop: nothing of FlowTier on any device, the other tool's
# program still there.
kill -TERM "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "flowtierd ignored SIGTERM"
for d in xv1 xv2 xv3; do
    [ -z "$(xdp_prog $d)" ] || fail "$d kept an XDP program after a clean stop: $(xdp_prog $d)"
done
[ "$(xdp_prog xv4)" = "$other" ] || fail "xv4's program changed: $(xdp_prog xv4)"
pass

sys_done
