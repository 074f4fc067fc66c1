#!/bin/bash
# Guests on VFs behind FlowTier's hw tier, against the SmartNIC model
# (tests/ftnic/: a model for tests; its counters are not hardware
# figures).  Two VFs of one NIC in namespaces standing in for guests (vm0,
# vm1), a third VF on an access port of VLAN 100 (vm2), the far end of the
# NIC's physical port (tor: untagged, and VLAN 100 on wire.100), and a VF
# of a second NIC (vm3).  The uplink and the four representors are in one
# bridge with hw-offload=true, switched by NORMAL.
#
# Guest to guest, guest to wire and the tagged guest to VLAN 100 on the
# wire: pings and TCP (checked byte for byte) work; after the first
# packets every megaflow is in hw (dump-dp-flows type=offloaded), the
# tagged guest's with the VLAN pushed toward the wire and popped on the
# way back by in_hw filters; then the daemon's receive counters of the
# representors and the uplink stand still while the OpenFlow rules count
# exactly the packets the guests and the wire received.  A frame with a
# second tag inside VLAN 100 misses the pop filter and is kept from the
# access port by NORMAL in software.  The other NIC's
# representor: its megaflows stay in software, each with tc's reason
# (dump-dp-flows, --explain), offload show puts it under its own
# e-switch with that reason, and its pings are switched and counted all
# the same.  Then VF 1 goes (the model removes it alone) while vm0 pings
# the wire in hw: its port keeps its configuration with the reason in
# its error column, its megaflows and every filter to it go, and the
# rules count every packet; it comes back with new netdevs, the port
# reopens by itself and its megaflows are in hw again, counted exactly.
#
# usage: test-tc-guests.sh FTNIC.KO FLOWTIER FLOWTIERD  (root; boots the VM)
# 2 to 5 minutes at a load of 10 to 25 on two cores (the VF removed and
# back: 27 s of it at a load of 15, 64 s at 22).
export FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-480}
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"
ko=$1 FT=$2 FTD=$3

export FLOWTIER_RUNDIR=/tmp/ft/run FLOWTIER_DBDIR=/tmp/ft/db
mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR"
# FlowTier's cookie: "FlowTier" and 8 zero bytes.
COOKIE=466c6f7754696572

ft() {
    out=$("$FT" "$@" 2>&1) || fail "flowtier $*: $out"
}
# ours DEV: FlowTier's filters on DEV's ingress (by their cookie).
ours() {
    tc -s filter show dev "$1" ingress | grep -c "cookie $COOKIE"
}
# filters DEV: DEV's ingress filters, one a line.
filters() {
    tc -s filter show dev "$1" ingress | awk '/^filter .* handle / && b {
        print b; b = "" } { b = b $0 "|" } END { print b }'
}
# ping_from NS DST N: N pings, all answered.
ping_from() {
    ip netns exec "$1" ping -c "$3" -i 0.2 -W 2 "$2" >/tmp/ft/ping.txt \
        || fail "$1 cannot ping $2: $(tail -3 /tmp/ft/ping.txt)"
}
# tcp_to SRC_NS DST_NS DST_IP: the file /tmp/ft/tcp-src over TCP, arrived
# whole.
tcp_to() {
    local rcv
    rm -f /tmp/ft/tcp-got
    ip netns exec "$2" timeout 30 socat -u TCP-LISTEN:5001,reuseaddr \
        OPEN:/tmp/ft/tcp-got,creat,trunc &
    rcv=$!
    for _ in $(seq 50); do
        ip netns exec "$2" ss -ltn | grep -q ':5001 ' && break
        sleep 0.1
    done
    ip netns exec "$1" socat -u OPEN:/tmp/ft/tcp-src \
        TCP:$3:5001,connect-timeout=5 || fail "no TCP from $1 to $3"
    wait $rcv
    cmp -s /tmp/ft/tcp-src /tmp/ft/tcp-got \
        || fail "TCP from $1 to $3 arrived damaged or not at all"
}
# counts: sets icmp and tcp to the n_packets of the two rules, after a
# revalidator pass, and rx to the daemon's receive counts of ports 1-5.
counts() {
    sleep 1.2
    ft dump-flows br0
    icmp=$(sed -nE 's/.*n_packets=([0-9]+),.*priority=5,icmp actions=NORMAL.*/\1/p' <<<"$out")
    tcp=$(sed -nE 's/.*n_packets=([0-9]+),.*priority=5,tcp actions=NORMAL.*/\1/p' <<<"$out")
    ft dump-ports br0
    rx=$(sed -nE 's/^ *port +([1-5]): rx pkts=([0-9]+),.*/\1:\2/p' <<<"$out" | sort)
    rx=$(echo $rx)
}
# rx_port N: the daemon's receive count of port N, as counts last read it.
rx_port() {
    local r=${rx#*$1:}
    echo "${r%% *}"
}
# received: packets the guests and the wire received.
received() {
    local ns n=0
    for ns in vm0 vm1 vm2 tor; do
        n=$((n + $(ftnic_pkts "${dev_of[$ns]}" rx "$ns")))
    done
    echo $n
}

# --- Two NICs, five namespaces, one bridge ---------------------------------
ftnic_load "$ko" instances=2 num_vfs=3
vm_modprobe tun    # The bridge's own port is a tap.
declare -A dev_of=([vm0]=ftnic0vf0 [vm1]=ftnic0vf1 [vm2]=ftnic0vf2
                   [vm3]=ftnic1vf0 [tor]=ftnic0wire)
declare -A ip_of=([vm0]=10.0.0.1 [vm1]=10.0.0.2 [vm2]=10.0.100.1
                  [vm3]=10.0.0.4 [tor]=10.0.0.3)
declare -A mac_of
for ns in "${!dev_of[@]}"; do
    ftnic_ns $ns ${dev_of[$ns]} ${ip_of[$ns]}/24
    # No IPv6 chatter: only the test's packets cross the switch.
    ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 || fail "IPv6 stays on in $ns"
    mac_of[$ns]=$(ip -n $ns -br link show ${dev_of[$ns]} | awk '{print $3}')
done
ip -n tor link add link ftnic0wire name wire.100 type vlan id 100 \
    && ip -n tor addr add 10.0.100.2/24 dev wire.100 \
    && ip -n tor link set wire.100 up || fail "no VLAN 100 on the wire"
# Static neighbours, a batch per namespace, for the same reason (wire.100
# has the wire's MAC address).
for a in vm0 vm1 vm3 tor; do
    for b in vm0 vm1 vm3 tor; do
        [ $a = $b ] || echo "neigh replace ${ip_of[$b]} dev ${dev_of[$a]}" \
            "nud permanent lladdr ${mac_of[$b]}"
    done | ip -n $a -batch - || fail "no static neighbours in $a"
done
ip -n vm2 neigh replace 10.0.100.2 dev ftnic0vf2 nud permanent \
    lladdr "${mac_of[tor]}" || fail "no static neighbour in vm2"
ip -n tor neigh replace 10.0.100.1 dev wire.100 nud permanent \
    lladdr "${mac_of[vm2]}" || fail "no static neighbour on wire.100"
for d in ftnic0r0 ftnic0r1 ftnic0r2 ftnic0 ftnic1r0; do
    ip link set $d up || fail "$d does not come up"
done
head -c 262144 /dev/urandom >/tmp/ft/tcp-src

"$FTD" --detach --no-fsync --log-file=/tmp/ft/flowtierd.log \
    || fail "flowtierd did not start: $(tail -5 /tmp/ft/flowtierd.log)"
# No megaflow idles out while the checks below run: under TCG on a busy
# host the guest's clock can jump by seconds between two pings, and a
# section can take over a minute; 10 minutes is longer than the whole
# test may run (FT_VM_TIMEOUT).
ft add-br br0 -- set Bridge br0 other_config:hw-offload=true \
    other_config:max-idle=600000 \
    -- add-port br0 ftnic0r0 -- set Interface ftnic0r0 ofport_request=1 \
    -- add-port br0 ftnic0r1 -- set Interface ftnic0r1 ofport_request=2 \
    -- add-port br0 ftnic0 -- set Interface ftnic0 ofport_request=3 \
    -- add-port br0 ftnic0r2 -- set Port ftnic0r2 tag=100 \
    -- set Interface ftnic0r2 ofport_request=4 \
    -- add-port br0 ftnic1r0 -- set Interface ftnic1r0 ofport_request=5
# A rule per protocol, so that each counter is the test's packets alone.
ft add-flow br0 'priority=5,icmp,actions=NORMAL'
ft add-flow br0 'priority=5,tcp,actions=NORMAL'
pass

# --- The first packets: every megaflow of one NIC goes to hw -------------
ping_from vm0 10.0.0.2 2
ping_from vm0 10.0.0.3 2
ping_from vm2 10.0.100.2 2
tcp_to vm0 vm1 10.0.0.2
tcp_to vm0 tor 10.0.0.3
tcp_to vm2 tor 10.0.100.2
ft dump-dp-flows br0 type=offloaded
offl=$out
novlan='vlan_tci=0x0000/0x1fff,'
push='push_vlan\(vid=100,pcp=0\),3'
for p in icmp tcp; do
    for want in "in_port=1,$novlan.* actions:2" "in_port=2,$novlan.* actions:1" \
                "in_port=1,$novlan.* actions:3" "in_port=3,$novlan.* actions:1" \
                "in_port=4,$novlan.* actions:$push" \
                "in_port=3,dl_vlan=100,.* actions:pop_vlan,4"; do
        [[ $offl =~ (^|$'\n')$p,$want($'\n'|$) ]] \
            || fail "no $p megaflow $want in hw: $offl"
    done
done
[ "$(grep -c ', offloaded:yes, dp:tc, tier:hw, ' <<<"$offl")" = \
  "$(grep -c . <<<"$offl")" ] || fail "type=offloaded lists one not in hw: $offl"
# The access port's VLAN, pushed and popped by the NIC.
filters ftnic0r2 | grep 'in_hw in_hw_count 1' \
    | grep 'vlan  push id 100 protocol 802.1Q' \
    | grep -q 'mirred (Egress Redirect to device ftnic0)' \
    || fail "no VLAN push to the uplink in hw: $(tc filter show dev ftnic0r2 ingress)"
filters ftnic0 | grep 'in_hw in_hw_count 1' | grep '  vlan_id 100|' \
    | grep 'vlan  pop' | grep -q 'mirred (Egress Redirect to device ftnic0r2)' \
    || fail "no VLAN pop toward ftnic0r2 in hw: $(tc filter show dev ftnic0 ingress)"
pass

# --- Then: nothing reaches the daemon, the rules count every packet -------
counts
icmp0=$icmp tcp0=$tcp rx0=$rx got0=$(received)
ping_from vm0 10.0.0.2 10
ping_from vm0 10.0.0.3 10
ping_from vm2 10.0.100.2 10
tcp_to vm1 vm0 10.0.0.1
tcp_to tor vm0 10.0.0.1
tcp_to vm2 tor 10.0.100.2
got=$(($(received) - got0))
counts
[ "${rx% 5:*}" = "${rx0% 5:*}" ] \
    || fail "the daemon received on the representors or the uplink: $rx0 -> $rx"
[ $((icmp - icmp0)) = 60 ] \
    || fail "the ICMP rule counted $((icmp - icmp0)) packets for 30 pings and their replies"
[ $((icmp - icmp0 + tcp - tcp0)) = "$got" ] \
    || fail "the rules counted $((icmp - icmp0)) ICMP and $((tcp - tcp0)) TCP packets, the guests and the wire received $got"
pass

# --- A second tag under VLAN 100 is not the access port's ----------------
# The pop filter says vlan_ethtype ip, which a frame with a second tag
# does not have: such frames miss in the NIC and reach the daemon, whose
# NORMAL keeps them from the access port (its megaflow stays in software,
# saying why).
ip -n tor link add link wire.100 name wire.100.7 type vlan id 7 \
    && ip -n tor addr add 10.0.107.2/24 dev wire.100.7 \
    && ip -n tor link set wire.100.7 up \
    && ip -n tor neigh replace 10.0.107.1 dev wire.100.7 nud permanent \
        lladdr "${mac_of[vm2]}" || fail "no VLAN 7 inside VLAN 100 on the wire"
rx3=$(rx_port 3) vm2_rx=$(ftnic_pkts ftnic0vf2 rx vm2)
ip netns exec tor ping -c 3 -i 0.2 -W 1 10.0.107.1 >/dev/null \
    && fail "a ping with two tags was answered by the access port's guest"
counts
[ "$(rx_port 3)" -ge $((rx3 + 3)) ] \
    || fail "frames with two tags did not reach the daemon: $rx3 -> $(rx_port 3)"
[ "$(ftnic_pkts ftnic0vf2 rx vm2)" = "$vm2_rx" ] \
    || fail "frames with two tags reached the access port's guest"
ft dump-dp-flows br0
[[ $out =~ (^|$'\n')icmp,in_port=3,dl_vlan=100,[^$'\n']*", tier:user, not in hw: tc: match on an inner VLAN tag is not offloadable, " ]] \
    || fail "no megaflow with two tags in software, with tc's reason: $out"
pass

# --- The other NIC's representor: software, with the reason -------------
icmp0=$icmp rx5=$(rx_port 5)
ping_from vm0 10.0.0.4 5
ping_from vm3 10.0.0.1 5
counts
[ "$(rx_port 5)" -ge $((rx5 + 10)) ] \
    || fail "the other NIC's pings did not reach the daemon: $rx5 -> $(rx_port 5)"
[ $((icmp - icmp0)) = 20 ] \
    || fail "the ICMP rule counted $((icmp - icmp0)) of 20 packets switched in software"
ft dump-dp-flows --explain br0 type=non-offloaded
expl=$out
reason='offloaded:no, dp:user, tier:user, not in hw: tc: output to'
[[ $expl =~ (^|$'\n')icmp,in_port=1,[^$'\n']*" $reason ftnic1r0: not on the e-switch of ftnic0r0, "[^$'\n']*" actions:5"$'\n' ]] \
    || fail "no reason for ftnic0r0 -> ftnic1r0 staying in software: $expl"
[[ $expl =~ (^|$'\n')icmp,in_port=5,[^$'\n']*" $reason ftnic0r0: not on the e-switch of ftnic1r0, "[^$'\n']*" actions:1"$'\n'"  tc: none: tc: output to ftnic0r0: not on the e-switch of ftnic1r0"$'\n' ]] \
    || fail "no reason for ftnic1r0 -> ftnic0r0 staying in software: $expl"
sw0=$(cat /sys/class/net/ftnic0/phys_switch_id)
sw1=$(cat /sys/class/net/ftnic1r0/phys_switch_id)
[ "$sw0" != "$sw1" ] || fail "the two NICs share a switch id"
ft offload show br0
g0=$(sed -n "/^ e-switch $sw0:\$/,/^ [^ ]/p" <<<"$out")
g1=$(sed -n "/^ e-switch $sw1:\$/,/^ [^ ]/p" <<<"$out")
for p in '1 ftnic0r0 ' '2 ftnic0r1 ' '3 ftnic0 ' '4 ftnic0r2 '; do
    grep -q "^  port $p(" <<<"$g0" || fail "port $p not under e-switch $sw0: $out"
done
grep -q '^  port 5 ftnic1r0 (type system, pf0vf0, driver ftnic)$' <<<"$g1" \
    || fail "ftnic1r0 not under e-switch $sw1: $out"
grep -q "^  port [0-9]* ftnic1r0 " <<<"$g0" && fail "ftnic1r0 under e-switch $sw0: $out"
grep -qE '^    flows: hw:0 kernel:0 user:[1-9]' <<<"$g1" \
    || fail "the other NIC's port has megaflows in hw: $out"
grep -qE '^      not in hw: tc: output to ftnic0r0: not on the e-switch of ftnic1r0 \([1-9][0-9]* megaflows?\)$' <<<"$g1" \
    || fail "offload show does not say why ftnic1r0's megaflows are not in hw: $out"
sed -n '/^  port 1 ftnic0r0 /,/^  port /p' <<<"$g0" \
    | grep -qE '^      not in hw: tc: output to ftnic1r0: not on the e-switch of ftnic0r0 \([1-9][0-9]* megaflows?\)$' \
    || fail "offload show does not say why ftnic0r0's megaflow to ftnic1r0 is not in hw: $out"
pass

# --- One guest's VF goes while the others keep going, and comes back ----
# The model removes VF 1 alone (its netdev and its representor, port 2;
# sriov.c says why through vf_del and not sriov_numvfs), while vm0 pings
# the wire through rules in the model.  The port stays configured with
# the reason in its error column, its megaflows and every filter sending
# to it go, and the others' rules stay in hw: the daemon receives nothing
# from vm0 or the wire meanwhile and the ICMP rule counts every packet.
sysdev=/sys/bus/platform/devices/ftnic.0
vf_t0=$(date +%s)
# Port 2 has megaflows in hw to lose, and vm0's to the wire are there.
ping_from vm1 10.0.0.1 2
ping_from vm0 10.0.0.3 2
counts
icmp0=$icmp rx1=$(rx_port 1) rx3=$(rx_port 3)
ip netns exec vm0 ping -c 12 -i 0.2 -W 2 10.0.0.3 >/tmp/ft/ping-bg.txt &
bg=$!
sleep 0.5
echo 1 >$sysdev/vf_del || fail "the model did not remove VF 1"
ip link show ftnic0r1 >/dev/null 2>&1 && fail "ftnic0r1 stays after VF 1 went"
for i in $(seq 50); do
    out=$("$FT" get Interface ftnic0r1 error 2>&1)
    [[ $out == *"could not open network device ftnic0r1 (No such device)"* ]] && break
    sleep 0.1
done
[[ $out == *"could not open network device ftnic0r1 (No such device)"* ]] \
    || fail "no reason in the error column of the removed VF's port: $out"
ft show
grep -q 'ftnic0r1' <<<"$out" || fail "the removed VF's port left the configuration: $out"
ft dump-dp-flows br0
grep -E '(^|,)in_port=2,|actions:([^ ]*,)?2(,|$)' <<<"$out" \
    && fail "megaflows of the removed VF's port remain: $out"
for d in ftnic0r0 ftnic0 ftnic0r2; do
    f=$(tc filter show dev $d ingress)
    grep -qE 'ftnic0r1|device \*' <<<"$f" \
        && fail "a filter on $d still sends to the removed VF: $f"
done
wait $bg || fail "vm0's pings to the wire were lost while VF 1 went: $(tail -3 /tmp/ft/ping-bg.txt)"
counts
[ "$(rx_port 1):$(rx_port 3)" = "$rx1:$rx3" ] \
    || fail "the daemon received from vm0 or the wire while VF 1 went: $rx1:$rx3 -> $(rx_port 1):$(rx_port 3)"
[ $((icmp - icmp0)) = 24 ] \
    || fail "the ICMP rule counted $((icmp - icmp0)) of 24 packets while VF 1 went"
pass

# Back: new netdevs (new ifindexes, new MAC address), the port reopens by
# itself and its megaflows go to hw again.
echo 1 >$sysdev/vf_new || fail "the model did not make VF 1 again"
# A namespace without IPv6 before the VF is in it, as above (its address
# autoconfiguration would otherwise reach the daemon).
ip netns del vm1
ip netns add vm1 && ip netns exec vm1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 || fail "IPv6 stays on in vm1"
ip link set ftnic0vf1 netns vm1 && ip -n vm1 addr add ${ip_of[vm1]}/24 dev ftnic0vf1 \
    && ip -n vm1 link set ftnic0vf1 up || fail "VF 1 does not go back to vm1"
mac_of[vm1]=$(ip -n vm1 -br link show ftnic0vf1 | awk '{print $3}')
for b in vm0 vm3 tor; do
    echo "neigh replace ${ip_of[$b]} dev ftnic0vf1 nud permanent lladdr ${mac_of[$b]}"
done | ip -n vm1 -batch - || fail "no static neighbours in vm1"
for a in vm0 vm3 tor; do
    ip -n $a neigh replace ${ip_of[vm1]} dev ${dev_of[$a]} nud permanent \
        lladdr ${mac_of[vm1]} || fail "no static neighbour for vm1 in $a"
done
ip link set ftnic0r1 up || fail "ftnic0r1 does not come up again"
t0=$(date +%s%N)
for i in $(seq 100); do
    out=$("$FT" get Interface ftnic0r1 error 2>&1)
    [[ $out == *"could not open"* ]] || break
    sleep 0.1
done
echo "VF 1's port reopened $((($(date +%s%N) - t0) / 1000000)) ms after it came up"
[[ $out == *"could not open"* ]] && fail "the port of VF 1 did not reopen: $out"
ping_from vm1 10.0.0.1 2
ping_from vm1 10.0.0.3 2
counts
icmp0=$icmp rx0=$rx
ping_from vm1 10.0.0.1 5
ping_from vm1 10.0.0.3 5
counts
[ "${rx% 5:*}" = "${rx0% 5:*}" ] \
    || fail "the daemon received on the representors after VF 1 came back: $rx0 -> $rx"
[ $((icmp - icmp0)) = 20 ] \
    || fail "the ICMP rule counted $((icmp - icmp0)) of 20 packets after VF 1 came back"
ft dump-dp-flows br0 type=offloaded
for want in "in_port=2,$novlan.* actions:1" "in_port=1,$novlan.* actions:2" \
            "in_port=2,$novlan.* actions:3" "in_port=3,$novlan.* actions:2"; do
    [[ $out =~ (^|$'\n')icmp,$want($'\n'|$) ]] \
        || fail "no icmp megaflow $want in hw after VF 1 came back: $out"
done
filters ftnic0r1 | grep 'in_hw in_hw_count 1' \
    | grep -q 'mirred (Egress Redirect to device ftnic0r0)' \
    || fail "no filter in hw on the new ftnic0r1: $(tc filter show dev ftnic0r1 ingress)"
echo "VF 1 removed and back in $(($(date +%s) - vf_t0)) s"
pass

kill -TERM "$(cat $FLOWTIER_RUNDIR/flowtierd.pid)"
for i in $(seq 50); do
    [ -e "$FLOWTIER_RUNDIR/flowtierd.pid" ] || break
    sleep 0.1
done
for d in ftnic0r0 ftnic0r1 ftnic0r2 ftnic0 ftnic1r0; do
    [ "$(ours $d)" = 0 ] || fail "filters left on $d after a clean stop"
done
ftnic_unload_clean
vm_done
