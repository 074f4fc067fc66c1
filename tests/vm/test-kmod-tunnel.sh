#!/bin/bash
# VXLAN in the kernel datapath (kmod/flowtier.ko, datapath_type=system) in
# Debian's kernel.  A namespace "remote" is a remote host: a Linux VXLAN
# device of VNI 100 (10.0.0.9) and one of VNI 200, both on UDP port 4789,
# over a veth underlay (192.168.50.2 <-> 192.168.50.1 here).  vm1
# (10.0.0.1) sits behind a bridge of datapath_type=system with a vxlan
# port (remote_ip 192.168.50.2, key 100), which attaches FlowTier's own
# external VXLAN device, ft_vxlan_4789, up.  vm1 pings 10.0.0.9 through
# the tunnel: the megaflows are in the kernel (dp:kmod) with the tunnel
# match on the way in and set(tunnel(...)) on the way out; the OpenFlow
# rules count every packet; the daemon sees none of them once the
# megaflows are there (its upcall counters stand still, and it has no
# UDP socket of its own on 4789).  VNI 200 traffic to vm1's address is
# dropped by a kernel megaflow and never reaches vm1.  vx0's df_default
# changed while vm1 pings, without TC in front and then with it, both
# ways: the port reopens on the same device (same ifindex), the pings
# go on, and the megaflows are placed afresh (the encapsulation is TC's
# while vx0 sends without DF, the module's with DF); no filter
# redirects to a device that is gone.
# Bad tunnel requests
# to the module are refused with its reason.  With tc-policy=skip_hw TC
# in software sits in front of the module: skip_hw filters both ways
# count every packet, the module sees none, and a VNI no filter takes
# still reaches the daemon through it.  flowtierd killed with those
# filters in place: filters, device and datapath stay and switch on; the
# next daemon removes its leftovers only (a filter made by hand on vnet0
# and a hand-made VXLAN device with a filter stay) and the tunnel is
# back in TC, counted exactly; a clean stop then leaves no FlowTier
# filter, no clsact qdisc it added, no device and no datapath.
# flowtierd killed with the megaflows in the module, the
# kernel goes on; the next daemon replaces the device and takes the
# datapath over with its tunnel megaflows.  The module unloads with the
# device attached (the daemon killed); a clean stop leaves no FlowTier
# VXLAN device; the kernel log has no warning and the slab counts come
# back.
#
# usage: test-kmod-tunnel.sh FLOWTIER FLOWTIERD FLOWTIER.KO
#        (runs as root; boots the VM once)
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
# Under QEMU TCG on a busy machine this takes 2 to 5.5 minutes.
export FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-480}
vm_init "$@"
ko=$(readlink -f "$3")
[ -f "$ko" ] || fail "no module at '$3' (it is built by the normal build)"
VXDEV=ft_vxlan_4789

slab_objs() {
    awk '$1 ~ /^kmalloc-(256|512|1k)$/ { n += $2 } END { print n }' \
        /proc/slabinfo
}
vm_modprobe veth tun vxlan sch_ingress cls_flower act_mirred act_gact \
    act_tunnel_key
slab_before=$(slab_objs)
dmesg -C
insmod "$ko" || fail "insmod flowtier.ko failed"

export FT_SYS_HOST_NS=ftk
SYS_SELF=$(readlink -f "$0")
. "$(dirname "$SYS_SELF")/../system/lib.sh" || exit 1
sys_init "$1" "$2"

# The remote host and the underlay.
rns=${SYS_NS_PREFIX}remote
ip netns add "$rns" || fail "no namespace for the remote host"
ip netns exec "$rns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
ip link add ul0 type veth peer name ul1 netns "$rns" || fail "no underlay veth"
ip addr add 192.168.50.1/24 dev ul0 && ip link set ul0 up || fail "ul0"
ip -n "$rns" addr add 192.168.50.2/24 dev ul1 && ip -n "$rns" link set ul1 up \
    && ip -n "$rns" link set lo up || fail "ul1"
for vni in 100 200; do
    ip -n "$rns" link add vx$vni type vxlan id $vni local 192.168.50.2 \
        remote 192.168.50.1 dstport 4789 dev ul1 \
        || fail "no VXLAN device of VNI $vni on the remote host"
    ip -n "$rns" link set vx$vni address 02:00:00:00:01:$((vni / 100))0
    ip -n "$rns" link set vx$vni up
done
ip -n "$rns" addr add 10.0.0.9/24 dev vx100
# (VNI 200's device has no address: its pings leave by SO_BINDTODEVICE.)

sys_start_daemon
ft 0 add-br br0 -- set Bridge br0 datapath_type=system \
    other_config:max-idle=60000
sys_add_vm vm1 10.0.0.1 vnet0 br0
ft 0 add-port br0 vx0 -- set Interface vx0 type=vxlan \
    options:remote_ip=192.168.50.2 options:key=100 options:df_default=false
ft 0 get Interface vx0 error
case $out in ""|"[]") ;; *) fail "vx0 did not open: $out" ;; esac
# (Under TCG on a loaded host every process counts: few of them.)
d=$(ip -d link show $VXDEV 2>&1) || fail "no $VXDEV for the vxlan port: $(ip -br link)"
[[ $d = *"vxlan external"* && $d = *"dstport 4789"* && $d =~ [\<,]UP[,\>] \
   && $d = *"alias FlowTier pid $(sys_daemon_pid)"* ]] \
    || fail "$VXDEV is not FlowTier's external VXLAN device on 4789, up: $d"
pass
vnet0=1 vx0=2       # (ofports in the order the ports were added)
ft 0 add-flows br0 - <<EOF
priority=10,in_port=vnet0,actions=output:vx0
priority=10,in_port=vx0,actions=output:vnet0
EOF

# Static neighbours, underlay too: only the pings cross.
in_vm vm1 ip neigh replace 10.0.0.9 lladdr 02:00:00:00:01:10 dev eth0 nud permanent
ip -n "$rns" neigh replace 10.0.0.1 lladdr 02:00:00:00:00:01 dev vx100 nud permanent
ip -n "$rns" neigh replace 10.0.0.1 lladdr 02:00:00:00:00:01 dev vx200 nud permanent
ip neigh replace 192.168.50.2 dev ul0 nud permanent \
    lladdr "$(ip -n "$rns" -br link show ul1 | awk '{print $3}')"
ip -n "$rns" neigh replace 192.168.50.1 dev ul1 nud permanent \
    lladdr "$(ip -br link show ul0 | awk '{print $3}')"
# tunnel_ping COUNT: COUNT pings from vm1 to 10.0.0.9, all answered.  A
# reply may come late: the first packets are upcalls, and under TCG on a
# loaded host the guest's clock jumps.
tunnel_ping() {
    in_vm vm1 ping -n -q -c "$1" -i 0.05 -W 5 10.0.0.9 >"$SYS_T/ping" 2>&1
    grep -q " $1 received" "$SYS_T/ping" \
        || fail "pings from vm1 through the tunnel lost: $(cat "$SYS_T/ping")
$("$FT" dump-dp-flows br0 2>&1)
$("$FT" dpif-show br0 2>&1)
$(ip -s link show $VXDEV; ip -n "$rns" -s link show vx100)
$(tail -20 "$SYS_T/flowtierd.log")"
    pass
}
tunnel_ping 3

ft 0 dump-dp-flows br0
expect_out "^tunnel\(tun_id=0x64,src=192\.168\.50\.2,dst=192\.168\.50\.1,.*in_port=$vx0[, ].* dp:kmod, tier:kernel, .*actions:$vnet0\$"
expect_out "^.*in_port=$vnet0[, ].* dp:kmod, tier:kernel, .*actions:set\(tunnel\(tun_id=0x64,dst=192\.168\.50\.2,ttl=64,(tp_dst=4789,)?flags\(key\)\)\),$vx0\$"
grep -q 'tier:user' <<<"$out" && fail "a megaflow is in user: $out"

# Every packet of 30 more pings in the kernel; the daemon's upcall
# counters stand still; the rules count every packet, 33 each way.
lookups() {
    "$FT" dpif-show br0 | sed -nE 's/.*lookups: hit:([0-9]+) missed:([0-9]+) lost:([0-9]+).*/\1 \2 \3/p'
}
# rule_packets: "N-INTO-THE-TUNNEL N-OUT-OF-IT", the two rules' n_packets.
rule_packets() {
    "$FT" dump-flows br0 | awk '
        /in_port=vnet0 actions/ { match($0, /n_packets=[0-9]+/); o = substr($0, RSTART + 10, RLENGTH - 10) }
        /in_port=vx0 actions/ { match($0, /n_packets=[0-9]+/); i = substr($0, RSTART + 10, RLENGTH - 10) }
        END { print o + 0, i + 0 }'
}
read -r hit0 miss0 lost0 <<<"$(lookups)"
[ -n "$miss0" ] || fail "dpif-show has no lookups line: $("$FT" dpif-show br0)"
rx0=$(in_vm vm1 cat /sys/class/net/eth0/statistics/rx_packets)
tunnel_ping 30
read -r hit1 miss1 lost1 <<<"$(lookups)"
rx1=$(in_vm vm1 cat /sys/class/net/eth0/statistics/rx_packets)
[ "$miss1" = "$miss0" ] \
    || fail "the daemon got $((miss1 - miss0)) upcalls during 30 pings with the megaflows in place:
$("$FT" dump-dp-flows br0)
$("$FT" dpif-show br0)
$(tail -20 "$SYS_T/flowtierd.log")"
[ $((hit1 - hit0)) -ge 60 ] \
    || fail "kernel megaflow hits rose by $((hit1 - hit0)), want >= 60"
[ $((rx1 - rx0)) = 30 ] || fail "vm1 received $((rx1 - rx0)) frames for 30 replies"
# (The revalidator credits the kernel's counts to the rules in its pass.)
for i in $(seq 20); do
    read -r n_out n_in <<<"$(rule_packets)"
    [ "$n_out" -ge 33 ] && [ "$n_in" -ge 33 ] && break
    sleep 0.5
done
[ "$n_out" = 33 ] \
    || fail "the rule into the tunnel counted $n_out packets of 33 echo requests"
[ "$n_in" = 33 ] \
    || fail "the rule out of the tunnel counted $n_in packets of 33 echo replies"
ss -Hlun "sport = :4789" -p | grep -q flowtierd \
    && fail "flowtierd has a UDP socket on 4789: $(ss -Hlun -p)"
pass

# VNI 200 to vm1's MAC and address: the vxlan port does not take it; a
# kernel megaflow drops it and vm1 sees nothing.
ip netns exec "$rns" ping -n -q -c 5 -i 0.05 -W 1 -I vx200 10.0.0.1 \
    >"$SYS_T/ping200" 2>&1
grep -q ' 0 received' "$SYS_T/ping200" \
    || fail "VNI 200 got through to vm1: $(cat "$SYS_T/ping200")"
rx2=$(in_vm vm1 cat /sys/class/net/eth0/statistics/rx_packets)
[ "$rx2" = "$rx1" ] || fail "vm1 received $((rx2 - rx1)) frames of VNI 200"
ft 0 dump-dp-flows br0
expect_out "^tunnel\(tun_id=0xc8,src=192\.168\.50\.2,dst=192\.168\.50\.1,.*in_port=$vx0[, ].* packets:[2-5], .*dp:kmod, tier:kernel, .*actions:drop\$"
read -r n_out2 n_in2 <<<"$(rule_packets)"
[ "$n_in2" = "$n_in" ] || fail "the rule of vx0 counted VNI 200's packets ($n_in -> $n_in2)"
ft 0 trace br0 "icmp,in_port=vx0,tun_id=200,tun_src=192.168.50.2,tun_dst=192.168.50.1,tun_flags=0x4"
expect_out 'does not take VNI 200'
tunnel_ping 3

# change_under_ping OPTION=VALUE: sets vx0's OPTION while vm1 pings
# through the tunnel.  The port reopens on the same device ($VXDEV keeps
# its ifindex: the kernel datapath's port, TC's qdisc and filters and
# the redirects to it stay valid), the pings go on and the next ones are
# all answered; no filter redirects to a device that is gone.  Replies
# that arrive while the daemon closes and opens the port are lost: they
# reach $VXDEV with no module port attached and no filter there yet.
# Under QEMU TCG that took 0.9 s on a loaded host and over 1.3 s once
# with two guests sharing the machine, so of 40 pings 0.1 s apart (the
# change made after the seventh) at least 8 must be answered: the ones
# before the change and at least one within 3.3 s after it.
change_under_ping() {
    local ifx pid got r
    ifx=$(cat /sys/class/net/$VXDEV/ifindex)
    in_vm vm1 ping -n -q -c 40 -i 0.1 -W 5 10.0.0.9 >"$SYS_T/pingbg" 2>&1 &
    pid=$!
    sleep 0.7
    ft 0 set Interface vx0 "options:$1"
    wait "$pid"
    got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$SYS_T/pingbg")
    [ "${got:-0}" -ge 8 ] \
        || fail "changing vx0's $1 lost $((40 - ${got:-0})) of 40 pings: $(cat "$SYS_T/pingbg")
$("$FT" dump-dp-flows br0 2>&1)
$(tail -20 "$SYS_T/flowtierd.log")"
    # Once settled, the tunnel carries pings again.  A fresh-clone run
    # once lost one of three pings here, seconds after the change, with
    # both megaflows already in TC (not understood yet): a first round
    # that loses a ping is reported, and a second round must pass.
    in_vm vm1 ping -n -q -c 3 -i 0.05 -W 5 10.0.0.9 >"$SYS_T/ping" 2>&1
    grep -q " 3 received" "$SYS_T/ping" \
        || echo "$VM_NAME: after vx0's $1 a ping was lost in the first round: $(grep received "$SYS_T/ping")"
    tunnel_ping 3
    [ "$(cat /sys/class/net/$VXDEV/ifindex 2>&1)" = "$ifx" ] \
        || fail "changing vx0's $1 re-created $VXDEV: $(ip -br link)"
    for dev in vnet0 $VXDEV; do
        for r in $(tc filter show dev $dev ingress \
                   | sed -nE 's/.*Redirect to device ([^ )]+).*/\1/p'); do
            [ -e "/sys/class/net/$r" ] \
                || fail "a filter on $dev redirects to a device that is gone ($r) after vx0's $1"
        done
    done
    pass
}

# Without TC in front: vx0 sends with DF from now on, through the module.
change_under_ping df_default=true
ft 0 dump-dp-flows br0
expect_out "^.*in_port=$vnet0[, ].* dp:kmod, tier:kernel, .*actions:set\(tunnel\(tun_id=0x64,dst=192\.168\.50\.2,.*df.*\)\),$vx0\$"

# Bad tunnel requests are refused with the module's reason.
o=$(/usr/bin/python3 "$(dirname "$SYS_SELF")/kmod-extack.py" br0 ul0 2>&1) \
    || fail "a bad tunnel request was accepted, or refused without a reason:
$o"
sed "s/^/$VM_NAME: refused: /" <<<"$o"
pass

# Every upcall's key (outer header included) is the userspace parser's.
grep -q 'differs from the userspace parser' "$SYS_T/flowtierd.log" \
    && fail "kernel and userspace keys differ: $(grep differs "$SYS_T/flowtierd.log")"
pass

# --- TC in software in front of the kernel datapath ------------------------
# tc-policy=skip_hw: the megaflows go into skip_hw flower filters, the
# encapsulation one on vnet0 (tunnel_key set, redirect to the up
# $VXDEV), the decapsulation one on $VXDEV's ingress (enc_key_id,
# tunnel_key unset, redirect to vnet0); what no filter takes goes on to
# the module's receive handler with its outer header, so the daemon
# still sees it.  (tunnel_key set has no DF flag on this kernel: vx0
# sends without DF, df_default=false, set back here with TC in front, for
# its encapsulation to be TC's.)
# tc_pkts DEV: packets FlowTier's tunnel_key filters on DEV counted.
tc_pkts() {
    tc -s -j filter show dev "$1" ingress | jq '[.[] | .options.actions[0]?
        | select(.kind == "tunnel_key") | .stats.packets] | add // 0'
}
ft 0 set Bridge br0 other_config:tc-policy=skip_hw
# vx0 back to sending without DF while TC is in front: its port reopens
# under the filters.
change_under_ping df_default=false
sleep 1.2   # (a revalidator pass)
read -r n_out0 n_in0 <<<"$(rule_packets)"
tunnel_ping 3
ft 0 dump-dp-flows br0
expect_out "^tunnel\(tun_id=0x64,src=192\.168\.50\.2,dst=192\.168\.50\.1,.*in_port=$vx0[, ].* dp:tc, tier:kernel, .*actions:$vnet0\$"
expect_out "^.*in_port=$vnet0[, ].* dp:tc, tier:kernel, .*actions:set\(tunnel\(tun_id=0x64,dst=192\.168\.50\.2,ttl=64,(tp_dst=4789,)?flags\(key\)\)\),$vx0\$"
f=$(tc -s filter show dev vnet0 ingress)
[[ $f = *skip_hw*not_in_hw*"tunnel_key"*"set"*"dst_ip 192.168.50.2"*"key_id 100"*"Redirect to device $VXDEV"* ]] \
    || fail "no skip_hw encapsulation filter on vnet0: $f"
f=$(tc -s filter show dev $VXDEV ingress)
[[ $f = *"enc_key_id 100"*skip_hw*not_in_hw*"tunnel_key"*"unset"*"Redirect to device vnet0"* ]] \
    || fail "no skip_hw decapsulation filter on $VXDEV: $f"
# 20 pings: the filters count each packet once, the module sees none
# (its lookups stand still: no packet handled twice), vm1 gets 20
# replies, the rules count them.
enc0=$(tc_pkts vnet0) dec0=$(tc_pkts $VXDEV)
read -r hit0 miss0 lost0 <<<"$(lookups)"
rx0=$(in_vm vm1 cat /sys/class/net/eth0/statistics/rx_packets)
tunnel_ping 20
enc1=$(tc_pkts vnet0) dec1=$(tc_pkts $VXDEV)
read -r hit1 miss1 lost1 <<<"$(lookups)"
rx1=$(in_vm vm1 cat /sys/class/net/eth0/statistics/rx_packets)
[ $((enc1 - enc0)) = 20 ] && [ $((dec1 - dec0)) = 20 ] \
    || fail "the TC filters counted $((enc1 - enc0)) and $((dec1 - dec0)) of 20 pings each way"
[ "$hit1 $miss1" = "$hit0 $miss0" ] \
    || fail "the module saw packets the TC filters took: hits $hit0 -> $hit1, misses $miss0 -> $miss1"
[ $((rx1 - rx0)) = 20 ] || fail "vm1 received $((rx1 - rx0)) frames for 20 replies"
for i in $(seq 20); do
    read -r n_out n_in <<<"$(rule_packets)"
    [ $((n_out - n_out0)) -ge 23 ] && [ $((n_in - n_in0)) -ge 23 ] && break
    sleep 0.5
done
[ $((n_out - n_out0)) = 23 ] && [ $((n_in - n_in0)) = 23 ] \
    || fail "with TC in front the rules counted $((n_out - n_out0)) and $((n_in - n_in0)) of 23 packets each way"
pass
# VNI 200, which no filter takes: through to the module with its outer
# header, up to the daemon (a megaflow on tun_id=0xc8), dropped there;
# vm1 sees none of it.
ip netns exec "$rns" ping -n -q -c 3 -i 0.05 -W 1 -I vx200 10.0.0.1 \
    >"$SYS_T/ping200" 2>&1
rx2=$(in_vm vm1 cat /sys/class/net/eth0/statistics/rx_packets)
[ "$rx2" = "$rx1" ] || fail "vm1 received $((rx2 - rx1)) frames of VNI 200"
ft 0 dump-dp-flows br0
expect_out "^tunnel\(tun_id=0xc8,src=192\.168\.50\.2,dst=192\.168\.50\.1,.*in_port=$vx0[, ].* packets:[1-3], .*dp:tc, tier:kernel, .*actions:drop\$"

# flowtierd killed with TC in front: its filters (FlowTier's cookie),
# $VXDEV and the kernel datapath stay, and go on switching.  Someone
# else's things: a filter added by hand on vnet0, and a VXLAN device made
# by hand on UDP port 4790 with a filter of its own.  The next daemon
# removes the killed one's filters and device only (the new filters
# count from zero), and the tunnel is back in TC, each packet counted
# once there and never seen by the module.  A clean stop then leaves no
# FlowTier filter, no clsact qdisc on vnet0 (FlowTier added it), no
# $VXDEV and no datapath (its internal port br0 goes with it).
COOKIE=466c6f7754696572
ours() {
    tc filter show dev "$1" ingress 2>/dev/null | grep -c "cookie $COOKIE"
}
tc filter add dev vnet0 ingress pref 100 protocol all flower skip_hw \
    dst_mac 02:00:00:00:00:99 action drop || fail "hand filter on vnet0 refused"
ip link add ft_vxlan_4790 type vxlan external dstport 4790 \
    && tc qdisc add dev ft_vxlan_4790 clsact \
    && tc filter add dev ft_vxlan_4790 ingress pref 1 protocol ip flower \
        skip_hw action drop || fail "no hand-made VXLAN device with a filter"
enc0=$(tc_pkts vnet0) dec0=$(tc_pkts $VXDEV)
old_ifx=$(cat /sys/class/net/$VXDEV/ifindex)
sys_kill9_daemon
[ "$(ours vnet0)" -ge 1 ] && [ "$(ours $VXDEV)" -ge 1 ] && [ -e /sys/class/net/br0 ] \
    || fail "a killed daemon's filters, $VXDEV or datapath vanished: $(ip -br link; tc filter show dev vnet0 ingress)"
tunnel_ping 3   # (TC alone: no daemon)
[ $(($(tc_pkts vnet0) - enc0)) = 3 ] && [ $(($(tc_pkts $VXDEV) - dec0)) = 3 ] \
    || fail "without the daemon the filters counted $(($(tc_pkts vnet0) - enc0)) and $(($(tc_pkts $VXDEV) - dec0)) of 3 pings each way"
pass
sys_start_daemon
ft 0 get Interface vx0 error
case $out in ""|"[]") ;; *) fail "vx0 did not open after kill -9: $out" ;; esac
[ "$(cat /sys/class/net/$VXDEV/ifindex)" != "$old_ifx" ] \
    || fail "the killed daemon's $VXDEV was kept: $(ip -d link show $VXDEV)"
d=$(ip -d link show $VXDEV 2>&1)
[[ $d = *"alias FlowTier pid $(sys_daemon_pid)"* && $d =~ [\<,]UP[,\>] ]] \
    || fail "$VXDEV is not the new daemon's, up: $d"
tc filter show dev vnet0 ingress pref 100 | grep -q 02:00:00:00:00:99 \
    || fail "the hand-made filter on vnet0 is gone: $(tc filter show dev vnet0 ingress)"
d=$(ip -d link show ft_vxlan_4790 2>&1)
[[ $d = *"dstport 4790"* ]] && tc filter show dev ft_vxlan_4790 ingress | grep -q 'action order 1: gact action drop' \
    || fail "the hand-made ft_vxlan_4790 or its filter is gone: $d $(tc filter show dev ft_vxlan_4790 ingress)"
tunnel_ping 3
for i in $(seq 20); do
    [ "$(ours vnet0)" -ge 1 ] && [ "$(ours $VXDEV)" -ge 1 ] && break
    sleep 0.2
done
f=$(tc -s filter show dev vnet0 ingress)
[[ $f = *skip_hw*not_in_hw*"tunnel_key"*"set"*"key_id 100"*"Redirect to device $VXDEV"* ]] \
    || fail "no skip_hw encapsulation filter on vnet0 after the restart: $f"
f=$(tc -s filter show dev $VXDEV ingress)
[[ $f = *"enc_key_id 100"*skip_hw*not_in_hw*"tunnel_key"*"unset"*"Redirect to device vnet0"* ]] \
    || fail "no skip_hw decapsulation filter on $VXDEV after the restart: $f"
enc0=$(tc_pkts vnet0) dec0=$(tc_pkts $VXDEV)
[ "$enc0" -le 3 ] && [ "$dec0" -le 3 ] \
    || fail "the filters after the restart counted $enc0 and $dec0 packets: the killed daemon's stayed"
read -r hit0 miss0 lost0 <<<"$(lookups)"
tunnel_ping 10
read -r hit1 miss1 lost1 <<<"$(lookups)"
[ $(($(tc_pkts vnet0) - enc0)) = 10 ] && [ $(($(tc_pkts $VXDEV) - dec0)) = 10 ] \
    || fail "after the restart the filters counted $(($(tc_pkts vnet0) - enc0)) and $(($(tc_pkts $VXDEV) - dec0)) of 10 pings each way"
[ "$hit1 $miss1" = "$hit0 $miss0" ] \
    || fail "after the restart the module saw packets the filters took: hits $hit0 -> $hit1, misses $miss0 -> $miss1"
ft 0 dump-dp-flows br0
expect_out "^tunnel\(tun_id=0x64,src=192\.168\.50\.2,dst=192\.168\.50\.1,.*in_port=$vx0[, ].* dp:tc, tier:kernel, .*actions:$vnet0\$"
expect_out "^.*in_port=$vnet0[, ].* dp:tc, tier:kernel, .*actions:set\(tunnel\(tun_id=0x64,dst=192\.168\.50\.2,.*\)\),$vx0\$"
pass
tc filter del dev vnet0 ingress pref 100 || fail "cannot delete the hand-made filter"
pid=$(sys_daemon_pid)
kill -TERM "$pid"
for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "flowtierd did not stop on SIGTERM"
[ "$(ours vnet0)" = 0 ] || fail "FlowTier filters left on vnet0 after a clean stop: $(tc filter show dev vnet0 ingress)"
tc qdisc show dev vnet0 | grep -qE 'clsact|ingress' \
    && fail "FlowTier's qdisc left on vnet0 after a clean stop: $(tc qdisc show dev vnet0)"
[ -e /sys/class/net/$VXDEV ] && fail "$VXDEV left after a clean stop"
[ -e /sys/class/net/br0 ] && fail "the datapath (its port br0) left after a clean stop"
tc filter show dev ft_vxlan_4790 ingress | grep -q 'gact action drop' \
    || fail "the hand-made ft_vxlan_4790 or its filter went with the clean stop"
ip link del ft_vxlan_4790
pass
# The rest goes on from here, with the same configuration.
sys_start_daemon
tunnel_ping 3
# With DF again, TC in front: its encapsulation filter on vnet0 goes (TC
# cannot set DF) and the module takes it; the decapsulation stays TC's.
change_under_ping df_default=true
ft 0 dump-dp-flows br0
expect_out "^.*in_port=$vnet0[, ].* dp:kmod, tier:kernel, .*not in TC: tc: tunnel encapsulation with DF.*actions:set\(tunnel\(tun_id=0x64,dst=192\.168\.50\.2,.*df.*\)\),$vx0\$"
expect_out "^tunnel\(tun_id=0x64,src=192\.168\.50\.2,dst=192\.168\.50\.1,.*in_port=$vx0[, ].* dp:tc, tier:kernel, .*actions:$vnet0\$"
tc filter show dev vnet0 ingress | grep -q tunnel_key \
    && fail "an encapsulation filter stayed on vnet0 with DF on: $(tc filter show dev vnet0 ingress)"
# Back to the module alone: no FlowTier filter stays.
ft 0 set Bridge br0 other_config:tc-policy=skip_sw
sleep 1.2
tc filter show dev vnet0 ingress | grep -q tunnel_key \
    && fail "a filter left on vnet0: $(tc filter show dev vnet0 ingress)"
tc filter show dev $VXDEV ingress | grep -q tunnel_key \
    && fail "a filter left on $VXDEV: $(tc filter show dev $VXDEV ingress)"
tunnel_ping 3   # (megaflows in the module again, for the kill -9 below)
pass

# flowtierd killed: the kernel goes on through the tunnel; the next
# daemon replaces the killed one's device (the port is attached again),
# takes the datapath over and adopts its megaflows, set(tunnel) included.
kill -9 "$(sys_daemon_pid)"
tunnel_ping 3
sys_start_daemon
grep -qE 'took over [1-9][0-9]* megaflows' "$SYS_T/flowtierd.log" \
    || fail "the new daemon took over no megaflows: $(tail -5 "$SYS_T/flowtierd.log")"
tunnel_ping 3
ft 0 dump-dp-flows br0
expect_out "^.*in_port=$vnet0[, ].* packets:[1-9][0-9]*, .*dp:kmod, tier:kernel, .*actions:set\(tunnel\(tun_id=0x64,dst=192\.168\.50\.2,.*\)\),$vx0\$"
d=$(ip -d link show $VXDEV 2>&1)
[[ $d = *"alias FlowTier pid $(sys_daemon_pid)"* ]] \
    || fail "$VXDEV is not the new daemon's: $d"

# Unloading with the device attached: a killed daemon leaves datapath,
# port, device and megaflows; rmmod detaches and frees them.
kill -9 "$(sys_daemon_pid)"
rmmod flowtier || fail "rmmod with the VXLAN port attached failed"
pass

# A clean stop takes the device with it.
insmod "$ko" || fail "insmod after rmmod failed"
sys_start_daemon
ft 0 get Interface vx0 error
case $out in ""|"[]") ;; *) fail "vx0 did not open again: $out" ;; esac
kill -TERM "$(sys_daemon_pid)"
for i in $(seq 100); do
    [ -e /sys/class/net/$VXDEV ] || break
    sleep 0.1
done
[ -e /sys/class/net/$VXDEV ] && fail "$VXDEV left after a clean stop"
pass
rmmod flowtier || fail "rmmod after a clean stop failed"
sys_cleanup
trap - EXIT
sleep 1
if dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|unregister_netdevice: waiting|leak|UBSAN|KASAN' >&2; then
    fail "the kernel log has warnings (above)"
fi
slab_after=$(slab_objs)
[ "$slab_after" -lt $((slab_before + 3000)) ] \
    || fail "kmalloc-256/512/1k grew from $slab_before to $slab_after objects: a leak"
pass
vm_done
