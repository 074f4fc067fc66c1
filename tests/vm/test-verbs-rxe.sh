#!/bin/bash
# FlowTier's verbs provider against a real libibverbs device: Soft-RoCE
# (the guest kernel's rdma_rxe, rxe0 on the bridge port a0, a veth).
# Soft-RoCE has no flow steering and no raw packet QP.  FlowTier must find
# rxe0 behind a0 through libibverbs, show it in 'offload show' (text and
# JSON) with the capabilities the kernel reports for it ('rdma dev show
# -d' is the independent witness), refuse the verbs tier for a0 with the
# device's reason and for b0 (no RDMA device) with that reason, keep the
# megaflows in the next tier with the verbs reason in dump-dp-flows, and
# forward: pings cross, a drop rule drops, the OpenFlow counters count.
#
# usage: test-verbs-rxe.sh FLOWTIER FLOWTIERD  (root; boots the VM)
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
vm_init "$@"
FT=$1 FTD=$2

export FLOWTIER_RUNDIR=/tmp/ft/run FLOWTIER_DBDIR=/tmp/ft/db
mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR"

ft() {
    out=$("$FT" "$@" 2>&1) || fail "flowtier $*: $out"
}

command -v rdma >/dev/null || fail "the rdma tool (iproute2) is missing"
vm_modprobe rdma_rxe ib_uverbs tun
ip link add a0 type veth peer name a1 || fail "cannot create veth a0"
ip link add b0 type veth peer name b1 || fail "cannot create veth b0"
ip link set a0 up && ip link set b0 up || fail "veths down"
ftnic_ns vm0 a1 10.0.0.1/24
ftnic_ns vm1 b1 10.0.0.2/24
rdma link add rxe0 type rxe netdev a0 || fail "rdma link add rxe0 failed"
rdma link show rxe0/1 | grep -q 'netdev a0' || fail "rxe0 is not on a0: $(rdma link show)"
# The kernel's own list of rxe0's capability flags, to hold FlowTier's
# reading against.
kcaps=$(rdma dev show rxe0 -d) || fail "rdma dev show rxe0 failed"
grep -q 'caps: <' <<<"$kcaps" || fail "rdma dev show gives no caps: $kcaps"
if grep -q 'MANAGED_FLOW_STEERING' <<<"$kcaps"; then want_fs=yes; else want_fs=no; fi
pass

"$FTD" --detach --no-fsync --log-file=/tmp/ft/flowtierd.log \
    || fail "flowtierd did not start: $(tail -5 /tmp/ft/flowtierd.log)"
ft add-br br0 -- set Bridge br0 other_config:hw-offload=true \
    other_config:max-idle=60000
ft add-port br0 a0
ft add-port br0 b0
ft add-flow br0 'priority=5,icmp,actions=NORMAL'
ft add-flow br0 'priority=6,udp,tp_dst=9,actions=drop'

# --- offload show, text -----------------------------------------------------
ft offload show br0
show=$out
a0=$(awk '/port [0-9]+ a0 /{p=1; print; next} /^  port /{p=0} p' <<<"$show")
b0=$(awk '/port [0-9]+ b0 /{p=1; print; next} /^  port /{p=0} p' <<<"$show")
grep -q 'rdma: rxe0 port 1 (found by GID table): link layer Ethernet, state ACTIVE' <<<"$a0" \
    || fail "offload show does not find rxe0 behind a0: $a0"
grep -q "flow steering: $want_fs" <<<"$a0" \
    || fail "offload show says flow steering is not '$want_fs' (kernel: $kcaps): $a0"
[ "$want_fs" = no ] || fail "Soft-RoCE now reports flow steering: this test expects its refusal"
grep -q 'flow steering: no (IBV_DEVICE_MANAGED_FLOW_STEERING absent)' <<<"$a0" \
    || fail "the missing flow steering is not named: $a0"
grep -q 'raw packet QP: no (' <<<"$a0" || fail "a raw packet QP on rxe0 is not refused: $a0"
grep -q 'verbs (hw tier): no offload: verbs: port a0: rxe0 has no flow steering (IBV_DEVICE_MANAGED_FLOW_STEERING absent)' <<<"$a0" \
    || fail "the verbs tier's refusal for a0 is not rxe0's reason: $a0"
grep -q 'rdma:' <<<"$b0" && fail "b0 has no RDMA device, offload show gives one: $b0"
grep -q 'verbs (hw tier): no offload: verbs: port b0 has no RDMA device behind it' <<<"$b0" \
    || fail "the verbs refusal for b0 does not say it has no RDMA device: $b0"
pass

# --- offload show, JSON -----------------------------------------------------
ft offload show br0 --format json
python3 - "$out" <<'PY' || fail "offload show --format json: see above"
import json, sys
data = json.loads(sys.argv[1])
data = data["data"] if isinstance(data, dict) else data
ports = {p["name"]: p for br in data for sw in br["switches"]
         for p in sw["ports"]}
a0, b0 = ports["a0"], ports["b0"]
r = a0["rdma"]
want = {"device": "rxe0", "port": 1, "link_layer": "Ethernet",
        "state": "ACTIVE", "flow_steering": False, "raw_packet_qp": False,
        "max_flow_rules": None}
bad = {k: r.get(k) for k in want if r.get(k) != want[k]}
assert not bad, f"a0 rdma: {bad} in {r}"
assert r["raw_packet_qp_error"], r
assert b0["rdma"] is None, b0
verbs = [p for p in a0["providers"] if p["provider"] == "verbs"]
assert verbs and "rxe0 has no flow steering" in verbs[0]["refusal"], a0
PY
pass

# --- The megaflows stay in the next tier, and traffic works -----------------
ip netns exec vm0 ping -c 5 -i 0.2 -W 2 10.0.0.2 >/tmp/ft/ping.txt \
    || fail "vm0 cannot ping vm1 across br0: $(tail -3 /tmp/ft/ping.txt)"
for i in 1 2 3; do
    echo x | ip netns exec vm0 socat -u - UDP:10.0.0.2:9 2>/dev/null
    sleep 0.2
done
p_a0=$("$FT" get Interface a0 ofport)
ft dump-dp-flows br0
dp=$out
grep -q "in_port=$p_a0," <<<"$dp" || fail "no megaflow from a0: $dp"
n_a0=$(grep -c "in_port=$p_a0," <<<"$dp")
[ "$(grep "in_port=$p_a0," <<<"$dp" | grep -c 'verbs: port a0: rxe0 has no flow steering')" = "$n_a0" ] \
    || fail "a megaflow of a0 lacks the verbs reason: $dp"
grep -q ', tier:hw, ' <<<"$dp" && fail "a megaflow is in hw: $dp"
ft dump-dp-flows br0 type=offloaded
[ -z "$out" ] || fail "type=offloaded lists megaflows: $out"
sleep 1.2
ft dump-flows br0
grep -Eq 'n_packets=([5-9]|[1-9][0-9]+),.*priority=5,icmp' <<<"$out" \
    || fail "the ICMP rule did not count the pings: $out"
grep -Eq 'n_packets=3,.*priority=6,udp,tp_dst=9 actions=drop' <<<"$out" \
    || fail "the drop rule did not count 3 datagrams: $out"
pass

# A clean stop closes rxe0 (the provider and offload show opened it), so
# that the device can go.
pid=$(cat "$FLOWTIER_RUNDIR/flowtierd.pid")
kill -TERM "$pid"
for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "flowtierd did not stop on SIGTERM"
rdma link delete rxe0 || fail "rdma link delete rxe0 failed"
pass
vm_done
