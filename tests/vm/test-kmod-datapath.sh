#!/bin/bash
# The kernel datapath (kmod/flowtier.ko, datapath_type=system) in Debian's
# kernel: a bridge of veths to namespaces switches pings and TCP through
# NORMAL in the kernel, its megaflows are in the kernel tier, the first
# packets of a flow are upcalls and the rest the fast path, an ICMP drop
# rule drops in the kernel, one port's flood of new flows does not keep
# another's from being set up, flowtierd killed while pings run leaves the
# kernel forwarding without a loss and a restarted one takes the datapath
# over (megaflows adopted with their counters, revalidated against tables
# changed meanwhile), the
# module unloads with ports attached and reloads, and a stream of random
# and malformed netlink requests leaves the kernel clean (no warning, bug
# or leak report; slab counts back where they were).
#
# usage: test-kmod-datapath.sh FLOWTIER FLOWTIERD FLOWTIER.KO [SEED]
#        (runs as root; boots the VM once)
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
# Under QEMU TCG on a busy machine this takes 2-4 minutes.
export FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-420}
vm_init "$@"
ko=$(readlink -f "$3")
seed=${4:-$RANDOM}
echo "$VM_NAME: seed $seed"
[ -f "$ko" ] || fail "no module at '$3' (it is built by the normal build)"

slab_objs() {
    awk '$1 ~ /^kmalloc-(256|512|1k)$/ { n += $2 } END { print n }' \
        /proc/slabinfo
}
vm_modprobe veth tun 8021q
slab_before=$(slab_objs)
dmesg -C
insmod "$ko" || fail "insmod flowtier.ko failed"

# The system tests' helpers (daemon, VMs as namespaces, ping, TCP), run in
# the guest's own namespace: the guest is private already.
export FT_SYS_HOST_NS=ftk
SYS_SELF=$(readlink -f "$0")
. "$(dirname "$SYS_SELF")/../system/lib.sh" || exit 1
sys_init "$1" "$2"
sys_start_daemon

ft 0 add-br br0 -- set Bridge br0 datapath_type=system
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0
tcp_listen vm2 8080
ping_ok vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 8080
ft 0 dump-dp-flows br0
expect_out "^ip,in_port=1,.* offloaded:no, dp:kmod, tier:kernel, .*actions:2\$"
expect_out "^ip,in_port=2,.* offloaded:no, dp:kmod, tier:kernel, .*actions:1\$"
grep -q 'tier:user' <<<"$out" && fail "a megaflow is in user: $out"
ft 0 dpif-show br0
expect_out 'flows per tier: hw:0 kernel:[1-9][0-9]* user:0'
expect_out '^  upcall rate limit: 10000/s per port, 0 misses over it'

# Counters: with the megaflows in place, 20 more pings are all fast path.
lookups() {
    "$FT" dpif-show br0 | sed -nE 's/.*lookups: hit:([0-9]+) missed:([0-9]+) lost:([0-9]+).*/\1 \2 \3/p'
}
read -r hit0 miss0 lost0 <<<"$(lookups)"
[ "$miss0" -gt 0 ] || fail "no packet was upcalled"
[ "$hit0" -gt 0 ] || fail "no packet took the fast path"
in_vm vm1 ping -n -q -c 20 -i 0.05 -W 2 10.0.0.2 >/dev/null \
    || fail "20 pings through the kernel datapath failed"
read -r hit1 miss1 lost1 <<<"$(lookups)"
[ $((hit1 - hit0)) -ge 40 ] \
    || fail "fast path hits rose by $((hit1 - hit0)), want >= 40 (20 echoes, 20 replies)"
[ $((miss1 - miss0)) -le 2 ] \
    || fail "misses rose by $((miss1 - miss0)) with the megaflows installed"
[ "$lost1" = 0 ] || fail "$lost1 upcalls lost"
pass
n=$(flow_stat br0 'priority=0 actions=NORMAL' n_packets)
[ "$n" -ge 50 ] || fail "the NORMAL rule counted $n packets, want the kernel's too"
pass

# TC ingress runs before the module's rx_handler: what a TC rule takes
# never reaches the datapath (no packet is handled twice).
vm_modprobe sch_ingress cls_flower act_gact
tc qdisc add dev vnet0 ingress || fail "no ingress qdisc"
tc filter add dev vnet0 ingress pref 10 protocol ip flower ip_proto udp \
    dst_port 7777 action drop || fail "flower rule refused"
rx0=$(port_stat br0 vnet0 rx pkts)
for i in 1 2 3 4 5; do
    in_vm vm1 sh -c 'echo x | socat - UDP:10.0.0.2:7777' 2>/dev/null
done
tc_pkts=$(tc -s filter show dev vnet0 ingress | awk '/Sent/ { print $4; exit }')
[ "${tc_pkts:-0}" -ge 5 ] || fail "the flower rule counted ${tc_pkts:-0} packets"
# (An ARP exchange may come in meanwhile; the 5 datagrams must not.)
rx1=$(port_stat br0 vnet0 rx pkts)
[ $((rx1 - rx0)) -lt 5 ] \
    || fail "packets TC dropped reached the kernel datapath ($rx0 -> $rx1)"
tc qdisc del dev vnet0 ingress
pass

# An ICMP drop rule: the drop megaflow is in the kernel; TCP still flows.
ft 0 add-flow br0 priority=100,in_port=vnet0,icmp,actions=drop
ping_fails vm1 10.0.0.2
ft 0 dump-dp-flows br0
expect_out "^icmp,in_port=1,.* packets:[1-9][0-9]*, .* tier:kernel, .*actions:drop\$"
tcp_ok vm1 10.0.0.2 8080
ft 0 del-flows --strict br0 priority=100,in_port=vnet0,icmp
ping_ok vm1 10.0.0.2

# VLANs: vm1 on a trunk (vnet0) talks from its VLAN 10 interface to vm3
# on an access port of VLAN 10; the kernel pops and pushes the tag.
sys_add_vm vm3 10.0.10.3 vnet2 br0 -- set Port vnet2 tag=10
in_vm vm1 ip link add link eth0 name eth0.10 type vlan id 10 \
    || fail "cannot make a VLAN interface"
in_vm vm1 ip addr add 10.0.10.1/24 dev eth0.10
in_vm vm1 ip link set eth0.10 up
ping_ok vm1 10.0.10.3
ft 0 dump-dp-flows br0
expect_out "^ip,in_port=1,dl_vlan=10,.* tier:kernel, .*actions:pop_vlan,3\$"
expect_out "^ip,in_port=3,.* tier:kernel, .*actions:push_vlan\(vid=10,pcp=0\),1\$"

# Set fields with their checksums fixed: TCP to vm2's port 9090 goes to
# its listener on 9091 and the answers come back from 9090; the receivers
# check every TCP checksum, the SHA-256 every byte.
tcp_listen vm2 9091
ft 0 add-flow br0 "priority=200,tcp,in_port=vnet0,nw_dst=10.0.0.2,tp_dst=9090,actions=mod_tp_dst:9091,mod_nw_tos:32,output:vnet1"
ft 0 add-flow br0 "priority=200,tcp,in_port=vnet1,nw_src=10.0.0.2,tp_src=9091,actions=mod_tp_src:9090,output:vnet0"
tcp_ok vm1 10.0.0.2 9090
ft 0 dump-dp-flows br0
expect_out "^tcp,in_port=1,.*tp_dst=9090.* tier:kernel, .*actions:set\(.*\),2\$"
tcp_ok vm1 10.0.0.2 8080

# A queue of upcalls per port: vm1 floods new flows (frames to ever new
# unknown addresses, each a megaflow of its own under NORMAL) while the
# daemon is stopped, until vnet0's queue overflows; vm2 then sends 20 new
# flows (frames to other new addresses, flooded to the bridge's internal
# port, where their arrival is timed from the moment the daemon goes on).
# With one queue for all ports they would be dropped; with a queue per
# port, served in turn, all are set up and none of vnet1's upcalls is
# dropped.  Setup latency with and without the flood is printed.
latency_py=$(dirname "$SYS_SELF")/kmod-setup-latency.py
port_upcalls() {    # PORT -> "SENT DROPPED"
    "$FT" dpif-show br0 | sed -nE "s/^  port $1: upcalls sent:([0-9]+) dropped:([0-9]+)\$/\1 \2/p"
}
ip link set br0 up
read -r sent0 drop0 <<<"$(port_upcalls vnet1)"
read -r fsent0 fdrop0 <<<"$(port_upcalls vnet0)"
[ -n "$sent0" ] || fail "dpif-show has no upcall line for vnet1: $("$FT" dpif-show br0)"
kill -STOP "$(sys_daemon_pid)"
sleep 0.5
quiet=$(/usr/bin/python3 "$latency_py" probe "${SYS_NS_PREFIX}vm2" br0 20 \
        "$(sys_daemon_pid)") || fail "flow setup without a flood: $quiet"
kill -STOP "$(sys_daemon_pid)"
/usr/bin/python3 "$latency_py" flood "${SYS_NS_PREFIX}vm1" 2 >"$SYS_T/flood" &
flood_pid=$!
sleep 1
busy=$(/usr/bin/python3 "$latency_py" probe "${SYS_NS_PREFIX}vm2" br0 20 \
       "$(sys_daemon_pid)")
busy_rc=$?
kill -CONT "$(sys_daemon_pid)"
wait $flood_pid
[ $busy_rc = 0 ] || fail "flow setup during vm1's flood: $busy"
read -r sent1 drop1 <<<"$(port_upcalls vnet1)"
read -r fsent fdrop <<<"$(port_upcalls vnet0)"
echo "$VM_NAME: flow setup from vnet1: $quiet alone; $busy while vnet0 floods ($(cat "$SYS_T/flood") new flows in 2 s; vnet0 upcalls sent:$((fsent - fsent0)) dropped:$((fdrop - fdrop0)))"
[ $((sent1 - sent0)) -ge 40 ] \
    || fail "vnet1 sent $((sent1 - sent0)) upcalls for 40 new flows"
[ "$drop1" = "$drop0" ] \
    || fail "vnet1's upcalls were dropped during vnet0's flood ($drop0 -> $drop1)"
[ "$fdrop" -gt "$fdrop0" ] \
    || fail "vnet0's flood did not overflow its queue (sent $((fsent - fsent0)) upcalls)"
pass
ip link set br0 down

# Every upcall's key is compared with the userspace parser's.
grep -q 'differs from the userspace parser' "$SYS_T/flowtierd.log" \
    && fail "kernel and userspace keys differ: $(grep differs "$SYS_T/flowtierd.log")"
pass

# flowtierd killed: the kernel goes on forwarding with the megaflows it
# has, losing no packet; a new daemon takes the datapath over (the ports
# stay attached: no packet lost across the restart either) and adopts its
# megaflows with their counters.
icmp_packets() {    # the packets of vm1 -> vm2's ICMP megaflow
    "$FT" dump-dp-flows br0 | sed -nE 's/^(ip|icmp),in_port=1,.* packets:([0-9]+), .* tier:kernel, .*actions:2$/\2/p' | head -1
}
ping_ok vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 8080
p0=$(icmp_packets)
[ -n "$p0" ] || fail "no ICMP megaflow from vm1 in the kernel: $("$FT" dump-dp-flows br0)"
kill -9 "$(sys_daemon_pid)"
o=$(in_vm vm1 ping -n -q -c 20 -i 0.05 -W 1 10.0.0.2 2>&1)
grep -q ' 20 received' <<<"$o" || fail "pings lost with flowtierd dead: $o"
ping_ok vm2 10.0.0.1
tcp_ok vm1 10.0.0.2 8080
in_vm vm1 ping -n -q -c 40 -i 0.05 -W 1 10.0.0.2 >"$SYS_T/ping-restart" 2>&1 &
ping_pid=$!
sleep 0.5
sys_start_daemon
wait $ping_pid
grep -q ' 40 received' "$SYS_T/ping-restart" \
    || fail "pings lost across the restart: $(cat "$SYS_T/ping-restart")"
pass
grep -qE 'took over [1-9][0-9]* megaflows' "$SYS_T/flowtierd.log" \
    || fail "the new daemon took over no megaflows: $(tail -5 "$SYS_T/flowtierd.log")"
ft 0 dump-dp-flows br0
expect_out "^(ip|icmp),in_port=1,.* tier:kernel, .*actions:2\$"
p1=$(icmp_packets)
# The same megaflow, its counters going on: the 20 + 40 pings since, and
# never fewer than before (a megaflow set up again would count 40 at most).
[ "${p1:-0}" -ge $((p0 + 60)) ] \
    || fail "vm1 -> vm2's ICMP megaflow counted $p0 packets before the restart and ${p1:-none} after"
pass
ping_ok vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 8080

# Killed again; while it is away, the rewriting of TCP port 9090 to 9091
# is removed from the bridge's flows in the database (a transaction
# appended to the journal, as the daemon writes them).  The next daemon
# adopts the rewriting megaflow and its first revalidation removes it.
tcp_ok vm1 10.0.0.2 9090
kill -9 "$(sys_daemon_pid)"
/usr/bin/python3 - "$FLOWTIER_DBDIR/flowtier.db" <<'PYEOF' || fail "cannot edit the database journal"
import json, sys, zlib
path = sys.argv[1]
lines = open(path).read().splitlines()
seq = json.loads(lines[-1])["txn"]["seq"]
flows = set()
for line in lines:
    txn = json.loads(line)["txn"]
    for row, cols in txn.get("snapshot", {}).get("Bridge", {}).items():
        if row == "br0":
            flows = set(cols.get("flows", []))
    for op in txn.get("ops", []):
        if op.get("column") == "flows" and op["row"] == "br0":
            if op["op"] == "list_extend":      # many flows added at once
                flows.update(op["value"])
            else:
                (flows.add if op["op"] == "list_add" else flows.discard)(op["value"])
gone = sorted(f for f in flows if "9090" in f or "9091" in f)
assert len(gone) == 2, (gone, flows)
txn = json.dumps({"seq": seq + 1, "ops": [
    {"op": "list_del", "table": "Bridge", "row": "br0", "column": "flows",
     "value": f} for f in gone]}, separators=(",", ":"))
with open(path, "a") as f:
    f.write('{"crc":"%08x","txn":%s}\n' % (zlib.crc32(txn.encode()), txn))
PYEOF
sys_start_daemon
[ "$(grep -cE 'took over [1-9][0-9]* megaflows' "$SYS_T/flowtierd.log")" -ge 2 ] \
    || fail "the second new daemon took over no megaflows"
ft 0 dump-flows br0
grep -q 9090 <<<"$out" && fail "the rules removed from the database are back: $out"
tcp_fails vm1 10.0.0.2 9090
ft 0 dump-dp-flows br0
grep -q 'tp_dst=9090.*actions:set' <<<"$out" \
    && fail "the megaflow of a rule removed while the daemon was away is still in the kernel: $out"
ping_ok vm1 10.0.0.2
tcp_ok vm1 10.0.0.2 8080

# Unloading with ports attached (the daemon killed, so the datapath and
# its ports stay): the devices are free again afterwards.
kill -9 "$(sys_daemon_pid)"
rmmod flowtier || fail "rmmod with ports attached failed"
[ -e /sys/module/flowtier ] && fail "flowtier still loaded after rmmod"
ip link show br0 >/dev/null 2>&1 && fail "the internal port br0 outlived the module"
ip link add ftkbr type bridge || fail "cannot make a bridge"
ip link set vnet0 master ftkbr || fail "vnet0 still has an rx_handler after unload"
ip link del ftkbr
pass

# Reload, then random and malformed requests.
insmod "$ko" || fail "insmod after rmmod failed"
ip link add fz0 type veth peer name fz1 || fail "cannot make a veth"
ip link set fz0 up
ip link set fz1 up
start=$(date +%s)
out=$(/usr/bin/python3 "$(dirname "$SYS_SELF")/kmod-fuzz.py" "$seed" 10000 fz fz0) \
    || fail "the fuzzer failed: $out"
echo "$VM_NAME: fuzz: $out in $(( $(date +%s) - start )) s"
grep -qE '^[1-9][0-9]* accepted, [1-9][0-9]* refused$' <<<"$out" \
    || fail "the fuzzer's requests were all accepted or all refused: $out"
pass
ip link del fz0
sys_cleanup
trap - EXIT
rmmod flowtier || fail "rmmod after the fuzzing failed"
sleep 1
if dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|unregister_netdevice: waiting|leak|UBSAN|KASAN' >&2; then
    fail "the kernel log has warnings (above)"
fi
slab_after=$(slab_objs)
echo "$VM_NAME: kernel log clean; kmalloc-256/512/1k objects: $slab_before" \
     "before loading, $slab_after after unloading"
[ "$slab_after" -lt $((slab_before + 3000)) ] \
    || fail "kmalloc-256/512/1k grew from $slab_before to $slab_after objects: a leak"
pass
vm_done
