#!/bin/bash
# The SmartNIC model (tests/ftnic/) without offloaded rules: its netdevs
# and switch identity, and the slow path.  A VF in a namespace reaches the
# wire's namespace only when the host forwards between the representors by
# hand (a plain tc mirred, in software); two NICs cabled together with
# pair=1 reach each other the same way, and then through skip_sw rules in
# both e-switches alone.  VFs are removed and made again through the
# model's sysfs files (all through sriov_numvfs, one through vf_del and
# vf_new) with the uplink staying.
#
# usage: test-ftnic-slowpath.sh FTNIC.KO   (runs as root; boots the VM)
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"
ko=$1

ftnic_load "$ko" || exit 1

# Identity: one switch id on every representor, port names by role.
sid=$(cat /sys/class/net/ftnic0/phys_switch_id) || fail "ftnic0 has no switch id"
[ -n "$sid" ] || fail "empty switch id"
[ "$(cat /sys/class/net/ftnic0/phys_port_name)" = p0 ] || fail "uplink port name"
for m in 0 1 2 3; do
    [ "$(cat /sys/class/net/ftnic0r$m/phys_switch_id)" = "$sid" ] \
        || fail "ftnic0r$m has another switch id"
    [ "$(cat /sys/class/net/ftnic0r$m/phys_port_name)" = "pf0vf$m" ] \
        || fail "ftnic0r$m port name"
    ip link show ftnic0vf$m >/dev/null || fail "no VF netdev ftnic0vf$m"
done
ip link show ftnic0r4 >/dev/null 2>&1 && fail "a fifth VF with num_vfs=4"
ip link show ftnic0wire >/dev/null || fail "no wire netdev"
pass

# devlink: switchdev mode, port flavours tied to the representors.
devlink dev eswitch show platform/ftnic.0 | grep -q 'mode switchdev' \
    || fail "devlink does not show the e-switch in switchdev mode"
ports=$(devlink port show)
echo "$ports" | grep -q 'netdev ftnic0 flavour physical port 0' \
    || fail "no physical devlink port for the uplink: $ports"
for m in 0 1 2 3; do
    echo "$ports" | grep -q "netdev ftnic0r$m flavour pcivf .*vfnum $m" \
        || fail "no pcivf devlink port for ftnic0r$m: $ports"
done
pass

# VFs going and coming back (sriov.c): sriov_numvfs as the PCI core's
# (0, then N; any other change refused), vf_del and vf_new for one VF.
sysdev=/sys/bus/platform/devices/ftnic.0
[ "$(cat $sysdev/sriov_totalvfs):$(cat $sysdev/sriov_numvfs)" = 4:4 ] \
    || fail "sriov_totalvfs:sriov_numvfs not 4:4"
echo 2 >$sysdev/sriov_numvfs 2>/dev/null && fail "sriov_numvfs went from 4 to 2"
dmesg | grep -q '4 VFs already enabled; write 0 before enabling 2' \
    || fail "no reason logged for the refused sriov_numvfs change"
echo 5 >$sysdev/sriov_numvfs 2>/dev/null && fail "sriov_numvfs took more than sriov_totalvfs"
echo 2 >$sysdev/vf_del || fail "vf_del 2 failed"
ip link show ftnic0r2 >/dev/null 2>&1 && fail "ftnic0r2 stays after vf_del 2"
ip link show ftnic0vf2 >/dev/null 2>&1 && fail "ftnic0vf2 stays after vf_del 2"
devlink port show | grep -q 'vfnum 2 ' && fail "VF 2's devlink port stays after vf_del"
for m in 0 1 3; do
    ip link show ftnic0r$m >/dev/null 2>&1 || fail "vf_del 2 took ftnic0r$m too"
done
[ "$(cat $sysdev/sriov_numvfs)" = 3 ] || fail "sriov_numvfs not 3 after vf_del 2"
echo 2 >$sysdev/vf_del 2>/dev/null && fail "vf_del 2 twice succeeded"
echo 2 >$sysdev/vf_new || fail "vf_new 2 failed"
echo 2 >$sysdev/vf_new 2>/dev/null && fail "vf_new 2 twice succeeded"
[ "$(cat /sys/class/net/ftnic0r2/phys_port_name)" = pf0vf2 ] \
    || fail "ftnic0r2 back with another port name"
devlink port show | grep -q "netdev ftnic0r2 flavour pcivf .*vfnum 2" \
    || fail "no devlink port for ftnic0r2 back"
echo 0 >$sysdev/sriov_numvfs || fail "sriov_numvfs 0 failed"
ip -br link show | grep -qE '^ftnic0(r|vf)[0-9]' && fail "VFs stay after sriov_numvfs 0"
ip link show ftnic0 >/dev/null 2>&1 || fail "the uplink went with the VFs"
echo 4 >$sysdev/sriov_numvfs || fail "sriov_numvfs 4 after 0 failed"
for m in 0 1 2 3; do
    ip link show ftnic0vf$m >/dev/null 2>&1 || fail "no ftnic0vf$m after sriov_numvfs 4"
done
pass

ftnic_ns vm0 ftnic0vf0 10.0.0.1/24
ftnic_ns tor ftnic0wire 10.0.0.2/24
ip link set ftnic0r0 up
ip link set ftnic0 up

# Nothing forwards yet: the VF's packets arrive on its representor only.
r0_rx=$(ftnic_pkts ftnic0r0 rx)
wire_rx=$(ftnic_pkts ftnic0wire rx tor)
ip netns exec vm0 ping -c 2 -i 0.3 -W 1 10.0.0.2 >/dev/null \
    && fail "ping reached the wire with nothing forwarding"
[ "$(ftnic_pkts ftnic0r0 rx)" -ge $((r0_rx + 2)) ] \
    || fail "the VF's packets did not arrive on its representor"
[ "$(ftnic_pkts ftnic0wire rx tor)" = "$wire_rx" ] \
    || fail "packets reached the wire with nothing forwarding"
pass

# The host forwards by hand, in software.
tc qdisc add dev ftnic0r0 ingress || fail "no ingress qdisc"
tc qdisc add dev ftnic0 ingress || fail "no ingress qdisc"
tc filter add dev ftnic0r0 ingress matchall action mirred egress redirect \
    dev ftnic0 || fail "tc mirred ftnic0r0 -> ftnic0"
tc filter add dev ftnic0 ingress matchall action mirred egress redirect \
    dev ftnic0r0 || fail "tc mirred ftnic0 -> ftnic0r0"
r0_rx=$(ftnic_pkts ftnic0r0 rx)
up_tx=$(ftnic_pkts ftnic0 tx)
vf_rx=$(ftnic_pkts ftnic0vf0 rx vm0)
ip netns exec vm0 ping -c 3 -i 0.3 -W 2 10.0.0.2 \
    || fail "VF cannot ping the wire through the slow path"
[ "$(ftnic_pkts ftnic0r0 rx)" -ge $((r0_rx + 3)) ] || fail "representor rx did not count"
[ "$(ftnic_pkts ftnic0 tx)" -ge $((up_tx + 3)) ] || fail "uplink tx did not count"
[ "$(ftnic_pkts ftnic0vf0 rx vm0)" -ge $((vf_rx + 3)) ] || fail "VF rx did not count"
tc -s filter show dev ftnic0r0 ingress | grep -q not_in_hw \
    || fail "the matchall rule claims to be in hardware"
pass

ftnic_unload_clean

# Two NICs, their physical ports cabled together; without devlink the
# representors' own netdev ops name the ports.
ftnic_load "$ko" instances=2 pair=1 num_vfs=1 devlink=0
ip link show ftnic0wire >/dev/null 2>&1 && fail "a wire netdev with pair=1"
[ -z "$(devlink port show)" ] || fail "devlink ports with devlink=0"
[ "$(cat /sys/class/net/ftnic1/phys_switch_id)" != \
  "$(cat /sys/class/net/ftnic0/phys_switch_id)" ] || fail "two NICs share a switch id"
[ "$(cat /sys/class/net/ftnic1r0/phys_switch_id)" = \
  "$(cat /sys/class/net/ftnic1/phys_switch_id)" ] || fail "nic 1's ports differ in switch id"
[ "$(cat /sys/class/net/ftnic1r0/phys_port_name)" = pf0vf0 ] \
    || fail "ftnic1r0 port name without devlink"
[ "$(cat /sys/class/net/ftnic1/phys_port_name)" = p0 ] \
    || fail "ftnic1 port name without devlink"
ftnic_ns a ftnic0vf0 10.0.0.1/24
ftnic_ns b ftnic1vf0 10.0.0.2/24
for n in 0 1; do
    ip link set ftnic${n}r0 up
    ip link set ftnic$n up
    tc qdisc add dev ftnic${n}r0 ingress
    tc qdisc add dev ftnic$n ingress
    tc filter add dev ftnic${n}r0 ingress matchall action mirred egress \
        redirect dev ftnic$n || fail "tc mirred on nic $n"
    tc filter add dev ftnic$n ingress matchall action mirred egress \
        redirect dev ftnic${n}r0 || fail "tc mirred on nic $n"
done
ip netns exec a ping -c 3 -i 0.3 -W 2 10.0.0.2 \
    || fail "VF of nic 0 cannot ping VF of nic 1 across the cable"
pass

# The same path in the two e-switches alone: skip_sw rules instead.
for n in 0 1; do
    tc filter del dev ftnic${n}r0 ingress
    tc filter del dev ftnic$n ingress
    tc filter add dev ftnic${n}r0 ingress protocol all flower skip_sw \
        action mirred egress redirect dev ftnic$n || fail "offload on nic $n"
    tc filter add dev ftnic$n ingress protocol all flower skip_sw \
        action mirred egress redirect dev ftnic${n}r0 || fail "offload on nic $n"
done
before=$(for d in ftnic0r0 ftnic0 ftnic1r0 ftnic1; do ftnic_pkts $d rx; done)
ip netns exec a ping -c 3 -i 0.2 -W 2 10.0.0.2 >/dev/null \
    || fail "VFs of two cabled NICs cannot ping through offloaded rules"
[ "$(for d in ftnic0r0 ftnic0 ftnic1r0 ftnic1; do ftnic_pkts $d rx; done)" = "$before" ] \
    || fail "packets reached the hosts' representors with the rules offloaded"
pass

ftnic_unload_clean
vm_done
