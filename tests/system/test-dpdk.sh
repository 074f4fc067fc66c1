#!/bin/bash
# System test of DPDK ports in flowtierd: the daemon starts DPDK's EAL
# itself (default arguments, no hugepages), frames read by a net_pcap port
# from a capture file are forwarded by a flow to a second net_pcap port and
# land in its output file byte for byte, counters follow, a port whose
# devargs fail stays configured with DPDK's reason in its error column
# (opened in the background, the CLI waits and warns), a port without
# devargs is refused and changes nothing, a second
# bridge asking for other EAL arguments is refused, polled ports cost
# little CPU when idle, a pushed VLAN tag reaches the output port, a port
# with endless traffic is polled without pauses (and other_config:pmd-cpu
# pins the daemon), del-port answers at once while another DPDK port
# opens (the device is released in a thread) and the same port added
# again at once opens, del-br of a bridge whose DPDK port still opens
# answers at once too and the bridge made again at once with the same
# ports opens and forwards, a restart reopens the DPDK ports, and SIGTERM
# right after a del-br or a del-port waits for the releases.  Needs root.
#
# usage: test-dpdk.sh FLOWTIER FLOWTIERD
set -u

FT=$1
FTD=$2
# The slowest del-port of a DPDK port allowed while another DPDK port
# opens (done in the loop, the device's release waited for that open, 2 s
# and more here; a command of the CLI alone takes 0.1 to 0.7 s on the
# loaded 2-core machine).
DEL_PORT_MAX_MS=${FT_DEL_PORT_MAX_MS:-1000}
# The slowest answer of the control socket allowed while a bridge whose
# DPDK port opens is deleted (done in the loop, del-br held it until that
# open ended, 1 s or more; in threads, answers take tens of milliseconds).
DEL_BR_ANSWER_MAX_MS=${FT_DEL_BR_ANSWER_MAX_MS:-500}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

n_pass=0
fail() {
    echo "FAIL: $*" >&2
    [ -f "${T:-}/d.log" ] && tail -20 "$T/d.log" >&2
    exit 1
}
pass() {
    n_pass=$((n_pass + 1))
}

[ "$(id -u)" = 0 ] || fail "must run as root"

T=$(mktemp -d /tmp/ft-dpdk.XXXXXX)
BR=ftd$$
BR2=fte$$
BR3=ftf$$
export FLOWTIER_RUNDIR=$T/run FLOWTIER_DBDIR=$T/db

cleanup() {
    [ -f "$T/run/flowtierd.pid" ] && kill -9 "$(cat "$T/run/flowtierd.pid")" 2>/dev/null
    [ -n "${vhu_pid:-}" ] && kill "$vhu_pid" 2>/dev/null
    for dev in "$BR" "$BR2" "$BR3"; do
        ip link del "$dev" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT

start() {
    "$FTD" --detach --log-file="$T/d.log" --no-fsync \
        || fail "flowtierd did not start: $(tail -3 "$T/d.log")"
}

# ft EXPECTED_STATUS ARGS...: runs flowtier, keeps stdout in $out and
# stderr in $err, checks the exit status.
ft() {
    local want=$1
    shift
    out=$("$FT" "$@" 2>"$T/err")
    local rc=$?
    err=$(cat "$T/err")
    [ "$rc" = "$want" ] || fail "flowtier $* exited $rc, expected $want (stderr: $err)"
    pass
}

expect_err() {
    [ "$(wc -l <<<"$err")" = 1 ] || fail "error must be one line, got: $err"
    grep -qE -- "^flowtier: .*$1" <<<"$err" || fail "expected 'flowtier: ...$1' on stderr, got: $err"
    pass
}

# port_counter PORT rx|tx: packets of PORT in dump-ports.
port_counter() {
    "$FT" dump-ports "$BR" "$1" 2>/dev/null \
        | sed -nE "s/.* $2 pkts=([0-9]+),.*/\\1/p"
}

# A capture of 5 frames of an unassigned EtherType, numbered in their
# payload, and an empty one.
"$PY" - "$T/in.pcap" "$T/empty.pcap" <<'PYEOF' || fail "cannot write the captures"
import struct, sys

def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1, i, len(frame), len(frame)))
            f.write(frame)

frames = [bytes.fromhex("0200000000bb" "0200000000aa" "88b5")
          + b"FTDPDK%04d" % i + bytes(range(40 + i)) for i in range(5)]
write(sys.argv[1], frames)
write(sys.argv[2], [])
PYEOF

start
pid=$(cat "$T/run/flowtierd.pid")
ft 0 add-br "$BR" -- set Bridge "$BR" other_config:hw-offload=true
ft 0 del-flows "$BR"

# ---- A device DPDK cannot open (the first DPDK port: the EAL starts in
# the port's thread too): the port stays, as in Open vSwitch, with DPDK's
# reason in its error column; add-port waits for the outcome and warns.
ft 0 add-port "$BR" dbad -- set Interface dbad type=dpdk \
    options:dpdk-devargs=net_pcap7,rx_pcap=/nonexistent/ft.pcap,tx_pcap=/dev/null
expect_err "warning: port dbad is not open: .*/nonexistent/ft.pcap.*No such file or directory"
ft 0 get Interface dbad error
grep -q '/nonexistent/ft.pcap.*No such file or directory' <<<"$out" \
    || fail "the error column does not say why: $out"
pass
ft 0 show
grep -q 'error: ".*/nonexistent/ft.pcap' <<<"$out" || fail "show: $out"
pass
ft 1 dump-ports "$BR" dbad
expect_err "port dbad is not open: .*/nonexistent/ft.pcap"
ft 0 del-port "$BR" dbad

# ---- Refusals that change nothing.
ft 1 add-port "$BR" dbad -- set Interface dbad type=dpdk
expect_err 'dpdk-devargs'
ft 1 add-port "$BR" dbad -- set Interface dbad type=dpdk \
    options:dpdk-devargs=net_null0 options:n_rxq_desc=100
expect_err 'n_rxq_desc=100 is not a power of 2'
ft 0 list-ports "$BR"; [ -z "$out" ] || fail "a refused port was added: $out"
ft 1 get Interface dbad type
ft 0 show; grep -q dbad <<<"$out" && fail "show has the refused port: $out"
pass
kill -0 "$pid" || fail "daemon died on a refused dpdk port"
pass

# ---- Forwarding from one pcap port to the other.
ft 0 add-port "$BR" dout -- set Interface dout type=dpdk ofport_request=20 \
    "options:dpdk-devargs=net_pcap1,rx_pcap=$T/empty.pcap,tx_pcap=$T/out.pcap"
ft 0 add-flow "$BR" "priority=100,in_port=10 actions=output:20"
ft 0 add-port "$BR" din -- set Interface din type=dpdk ofport_request=10 \
    "options:dpdk-devargs=net_pcap0,rx_pcap=$T/in.pcap,tx_pcap=$T/in-tx.pcap"
for i in $(seq 100); do
    [ "$(port_counter din rx)" = 5 ] && [ "$(port_counter dout tx)" = 5 ] && break
    sleep 0.05
done
[ "$(port_counter din rx)" = 5 ] || fail "din received $(port_counter din rx) frames, not 5"
[ "$(port_counter dout tx)" = 5 ] || fail "dout sent $(port_counter dout tx) frames, not 5"
pass
ft 0 dump-ports "$BR"
grep -q '^OFPST_PORT reply: 3 ports$' <<<"$out" || fail "dump-ports: $out"
pass
ft 0 show
grep -q '^                type: dpdk$' <<<"$out" || fail "show: $out"
grep -q 'error:' <<<"$out" && fail "show has an error: $out"
pass
for i in $(seq 40); do
    ft 0 dump-flows "$BR"
    grep -q 'n_packets=5, ' <<<"$out" && break
    sleep 0.1
done
grep -q 'n_packets=5, n_bytes=[0-9]*,.*priority=100,in_port=din actions=output:dout$' <<<"$out" \
    || fail "flow counters: $out"
pass
# hw-offload is on, but net_pcap has no rte_flow: DPDK's own words say so,
# next to TC's, which does not serve DPDK ports.
ft 0 dump-dp-flows "$BR"
grep -q 'in_port=10,.*tier:user, not in hw: tc: port din is not a kernel network device (type dpdk); rte_flow: port din: Function not implemented' <<<"$out" \
    || fail "no rte_flow refusal: $out"
pass

# Idle DPDK ports are polled on a timer, not by a spinning loop.
t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 2
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
ticks=$(getconf CLK_TCK)
[ $(( (t1 - t0) * 100 / (2 * ticks) )) -lt 25 ] \
    || fail "idle daemon with DPDK ports used $((t1 - t0)) ticks in 2 s"
pass

# Deleting the port closes the device, which writes out the capture: in
# a thread of its own, once del-port has returned (the port is out of the
# datapath at once).
ft 0 del-port "$BR" dout
ft 0 dump-ports "$BR"
grep -q '^OFPST_PORT reply: 2 ports$' <<<"$out" || fail "dump-ports: $out"
pass
cat >"$T/same-frames.py" <<'PYEOF'
import struct, sys

def frames(path):
    data = open(path, "rb").read()
    # Microsecond or nanosecond timestamps.
    assert struct.unpack_from("<I", data)[0] in (0xa1b2c3d4, 0xa1b23c4d), path
    off, out = 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, off)
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out

sent, got = frames(sys.argv[1]), frames(sys.argv[2])
assert got == sent, "got %d frames: %r" % (len(got), got)
PYEOF
for i in $(seq 100); do
    "$PY" "$T/same-frames.py" "$T/in.pcap" "$T/out.pcap" 2>/dev/null && break
    sleep 0.05
done
"$PY" "$T/same-frames.py" "$T/in.pcap" "$T/out.pcap" \
    || fail "output capture differs"
pass

# ---- One EAL per process.
ft 0 add-br "$BR2" -- set Bridge "$BR2" 'other_config:dpdk-extra="--no-huge -m 256"'
ft 1 add-port "$BR2" dnull -- set Interface dnull type=dpdk \
    options:dpdk-devargs=net_null0,no-rx=1
expect_err "DPDK EAL already runs with arguments '--no-huge --no-pci -m 512 .*--file-prefix=flowtier-$pid'"
ft 0 list-ports "$BR2"; [ -z "$out" ] || fail "refused port added to $BR2: $out"
# Without dpdk-extra a bridge uses the EAL as it runs.
ft 0 remove Bridge "$BR2" other_config dpdk-extra
ft 0 add-port "$BR2" dnull -- set Interface dnull type=dpdk \
    options:dpdk-devargs=net_null0,no-rx=1
ft 0 dump-ports "$BR2" dnull

# ---- A VLAN tag pushed into the received mbuf's headroom, sent as it is.
# (No NORMAL: the bridge's own port must not flood its IPv6 chatter.)
ft 0 del-flows "$BR2"
ft 0 add-port "$BR2" dvo -- set Interface dvo type=dpdk ofport_request=31 \
    "options:dpdk-devargs=net_pcap3,rx_pcap=$T/empty.pcap,tx_pcap=$T/vlan.pcap"
ft 0 add-flow "$BR2" "in_port=30,actions=mod_vlan_vid:100,output:31"
ft 0 add-port "$BR2" dvi -- set Interface dvi type=dpdk ofport_request=30 \
    "options:dpdk-devargs=net_pcap2,rx_pcap=$T/in.pcap,tx_pcap=$T/dvi-tx.pcap"
for i in $(seq 100); do
    [ "$("$FT" dump-ports "$BR2" dvo 2>/dev/null | sed -nE 's/.* tx pkts=([0-9]+),.*/\1/p')" = 5 ] && break
    sleep 0.05
done
ft 0 del-port "$BR2" dvo
cat >"$T/vlan-frames.py" <<'PYEOF'
import struct, sys

def frames(path):
    data = open(path, "rb").read()
    off, out = 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, off)
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out

want = [f[:12] + bytes.fromhex("81000064") + f[12:] for f in frames(sys.argv[1])]
got = frames(sys.argv[2])
assert got == want, "got %d frames: %r" % (len(got), got)
PYEOF
for i in $(seq 100); do
    "$PY" "$T/vlan-frames.py" "$T/in.pcap" "$T/vlan.pcap" 2>/dev/null && break
    sleep 0.05
done
"$PY" "$T/vlan-frames.py" "$T/in.pcap" "$T/vlan.pcap" \
    || fail "tagged output capture differs"
pass
ft 0 del-port "$BR2" dvi

# ---- Removing a DPDK port answers at once, even while another DPDK port
# opens (DPDK's control calls wait for each other): the port leaves the
# datapath at once and its device (a pool of 32,767 mbufs, which DPDK
# clears as it frees it) is released in a thread of its own.  Added again
# at once, the same port opens once that release is over.
ft 0 add-port "$BR2" dbig -- set Interface dbig type=dpdk \
    options:n_mbufs=32767 options:dpdk-devargs=net_null6,no-rx=1
slow_t0=$(date +%s%N)
"$FT" add-port "$BR2" dslow -- set Interface dslow type=dpdk \
    options:n_mbufs=65535 options:dpdk-devargs=net_null7,no-rx=1 \
    >"$T/slow.out" 2>&1 &
slow_job=$!
for i in $(seq 500); do
    "$FT" get Interface dslow error 2>/dev/null | grep -q '^"opening: ' && break
    sleep 0.01
done
# A client asks the control socket for dpif-show every 50 ms meanwhile.
"$PY" "$(dirname "$(readlink -f "$0")")/hostile-frames.py" probe \
    "$T/run/flowtierd.sock" "$BR2" "$T/probe.stop" "$T/probe.out" &
probe_pid=$!
sleep 0.2
t0=$(date +%s%N)
ft 0 del-port "$BR2" dbig
del_ms=$((($(date +%s%N) - t0) / 1000000))
ft 0 get Interface dslow error
touch "$T/probe.stop"
wait "$probe_pid"
grep -q '^"opening: ' <<<"$out" \
    || fail "del-port of dbig returned after $del_ms ms, once dslow had opened (it waited for dslow's open): $out"
pass
read -r _ probe_p95 _ probe_max _ _ _ _ _ probe_n _ probe_errors <"$T/probe.out"
ft 0 list-ports "$BR2"
grep -q dbig <<<"$out" && fail "dbig still listed: $out"
pass
ft 0 add-port "$BR2" dbig -- set Interface dbig type=dpdk \
    options:n_mbufs=32767 options:dpdk-devargs=net_null6,no-rx=1
[ -z "$err" ] || fail "dbig added again at once: $err"
ft 0 get Interface dbig error
[ "$out" = "[]" ] || fail "dbig added again at once: $out"
ft 0 dump-ports "$BR2" dbig
wait "$slow_job" || fail "add-port dslow: $(cat "$T/slow.out")"
slow_ms=$((($(date +%s%N) - slow_t0) / 1000000))
echo "del-port of dbig answered in $del_ms ms, while dslow opened" \
     "(its add-port returned after $slow_ms ms); control socket" \
     "meanwhile: $probe_n answers, the slowest $probe_max ms"
[ "$del_ms" -lt "$DEL_PORT_MAX_MS" ] \
    || fail "del-port of dbig took $del_ms ms (bound $DEL_PORT_MAX_MS ms)"
[ "$probe_n" -ge 2 ] && [ "$probe_errors" = 0 ] \
    || fail "control socket during del-port: $probe_n answers, $probe_errors unanswered"
awk -v m="$probe_max" -v b="$DEL_PORT_MAX_MS" 'BEGIN { exit !(m < b) }' \
    || fail "control socket during del-port: the slowest answer $probe_max ms (bound $DEL_PORT_MAX_MS ms)"
pass
ft 0 del-port "$BR2" dslow

# ---- Deleting a bridge answers at once too, even while one of its DPDK
# ports still opens (in the loop, del-br waited for that open, then
# released each DPDK port's device in turn, each release waiting for
# DPDK's control lock): its ports leave the datapath at once and their
# devices are released in threads, the opening one's once its open is
# over.  The bridge and its ports made again at once, with the same
# names and devices, open behind those releases and forward.
#
# The slow open: a virtio_user port whose vhost-user server answers no
# request and hangs up after SLOW_OPEN_S seconds; DPDK's probe waits for
# its answer that long (holding DPDK's control lock), then fails.
SLOW_OPEN_S=2
"$PY" - "$T/vhu.sock" "$SLOW_OPEN_S" <<'PYEOF' &
import socket, sys, time

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(8)
while True:
    c, _ = s.accept()
    time.sleep(float(sys.argv[2]))
    c.close()
PYEOF
vhu_pid=$!
add_br3() {
    ft 0 add-br "$BR3"
    ft 0 del-flows "$BR3"
    ft 0 add-port "$BR3" d3out -- set Interface d3out type=dpdk \
        ofport_request=51 \
        "options:dpdk-devargs=net_pcap8,rx_pcap=$T/empty.pcap,tx_pcap=$T/d3out.pcap"
    ft 0 add-flow "$BR3" "in_port=50,actions=output:51"
    ft 0 add-port "$BR3" d3in -- set Interface d3in type=dpdk \
        ofport_request=50 \
        "options:dpdk-devargs=net_pcap9,rx_pcap=$T/in.pcap,tx_pcap=$T/d3in-tx.pcap"
}
add_br3
# A client asks the control socket for dpif-show every 50 ms from before
# d3slow's add-port until after the del-br.
rm -f "$T/probe.stop"
"$PY" "$(dirname "$(readlink -f "$0")")/hostile-frames.py" probe \
    "$T/run/flowtierd.sock" "$BR2" "$T/probe.stop" "$T/probe.out" &
probe_pid=$!
sleep 0.3
[ -S "$T/vhu.sock" ] || fail "no vhost-user server"
"$FT" add-port "$BR3" d3slow -- set Interface d3slow type=dpdk \
    "options:dpdk-devargs=net_virtio_user3,path=$T/vhu.sock" \
    >"$T/slow3.out" 2>&1 &
slow_job=$!
for i in $(seq 500); do
    "$FT" get Interface d3slow error 2>/dev/null | grep -q '^"opening: ' && break
    sleep 0.01
done
t0=$(date +%s%N)
ft 0 del-br "$BR3"
del_ms=$((($(date +%s%N) - t0) / 1000000))
sleep 0.2
touch "$T/probe.stop"
wait "$probe_pid"
read -r _ probe_p95 _ probe_max _ _ _ _ _ probe_n _ probe_errors <"$T/probe.out"
wait "$slow_job" || fail "add-port d3slow: $(cat "$T/slow3.out")"
# (The capture d3out made again writes, not the old one.)
rm -f "$T/d3out.pcap"
ft 0 list-br
grep -qx "$BR3" <<<"$out" && fail "$BR3 still listed: $out"
pass
echo "del-br of $BR3 answered in $del_ms ms, while its port d3slow" \
     "opened; control socket meanwhile: $probe_n answers, the slowest" \
     "$probe_max ms"
[ "$del_ms" -lt "$DEL_PORT_MAX_MS" ] \
    || fail "del-br of $BR3 took $del_ms ms (bound $DEL_PORT_MAX_MS ms)"
[ "$probe_n" -ge 2 ] && [ "$probe_errors" = 0 ] \
    || fail "control socket during del-br: $probe_n answers, $probe_errors unanswered"
awk -v m="$probe_max" -v b="$DEL_BR_ANSWER_MAX_MS" 'BEGIN { exit !(m < b) }' \
    || fail "control socket during del-br: the slowest answer $probe_max ms (bound $DEL_BR_ANSWER_MAX_MS ms)"
pass
add_br3
for port in d3out d3in; do
    ft 0 get Interface "$port" error
    [ "$out" = "[]" ] || fail "$port added again at once: $out"
done
for i in $(seq 100); do
    "$PY" "$T/same-frames.py" "$T/in.pcap" "$T/d3out.pcap" 2>/dev/null && break
    sleep 0.05
done
"$PY" "$T/same-frames.py" "$T/in.pcap" "$T/d3out.pcap" \
    || fail "$BR3 made again does not forward d3in's frames to d3out"
pass
ft 0 dump-ports "$BR3" d3out
grep -q ' tx pkts=5,' <<<"$out" || fail "d3out's counters: $out"
pass
kill "$vhu_pid"
wait "$vhu_pid" 2>/dev/null

# ---- Busy polling: a port that always has packets is polled without
# pauses (a 1 ms timer would take at most 32,000 packets a second), and
# the daemon goes back to its timer once the port is gone.
ft 0 set Bridge "$BR2" other_config:pmd-cpu=0
grep -q '^Cpus_allowed_list:[[:space:]]*0$' "/proc/$pid/status" \
    || fail "pmd-cpu=0 did not pin the daemon: $(grep Cpus_allowed_list "/proc/$pid/status")"
pass
ft 0 add-flow "$BR2" "in_port=40,actions=output:dnull"
ft 0 add-port "$BR2" dinf -- set Interface dinf type=dpdk ofport_request=40 \
    "options:dpdk-devargs=net_pcap4,rx_pcap=$T/in.pcap,infinite_rx=1"
sleep 0.5
rx0=$("$FT" dump-ports "$BR2" dinf | sed -nE 's/.* rx pkts=([0-9]+),.*/\1/p')
sleep 1
rx1=$("$FT" dump-ports "$BR2" dinf | sed -nE 's/.* rx pkts=([0-9]+),.*/\1/p')
[ $((rx1 - rx0)) -gt 500000 ] || fail "busy port: only $((rx1 - rx0)) packets in 1 s"
pass

# ---- The exact-match cache: in use while it finds the keys (5 flows),
# skipped while it cannot (40,000 flows for its 8,192 entries: every
# lookup would be a miss on top of the megaflow cache's), in use again
# once the flows are few.
emc_state() {
    "$FT" --format json dpif-show "$BR2" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print("bypassed" if d["emc_bypassed"] else "used", d["emc_hits"], d["emc_skipped"])'
}
read -r state hits0 skipped0 <<<"$(emc_state)"
[ "$state" = used ] && [ "$hits0" -gt 100000 ] \
    || fail "5 flows: EMC $state, $hits0 hits"
pass
"$PY" - "$T/many.pcap" <<'PYEOF' || fail "cannot write the 40,000-flow capture"
import struct, sys

with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(40000):
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 17, 0,
                         bytes([10, 2, i >> 8, i & 255]),
                         bytes([10, 3, 0, 1]))
        fr = (bytes.fromhex("0200000000bb" "0200000000aa" "0800") + ip
              + struct.pack("!HHHH", 1024 + i % 1000, 5000, 26, 0))
        fr += bytes(60 - len(fr))
        f.write(struct.pack("<IIII", 1, i, 60, 60) + fr)
PYEOF
ft 0 del-port "$BR2" dinf
ft 0 add-port "$BR2" dmany -- set Interface dmany type=dpdk \
    ofport_request=40 options:n_mbufs=48192 \
    "options:dpdk-devargs=net_pcap5,rx_pcap=$T/many.pcap,infinite_rx=1"
sleep 1
# A bypassed EMC is tried again now and then to see whether the hit
# rate recovered: a single reading can fall in such a trial.
for i in $(seq 40); do
    read -r state hits1 skipped1 <<<"$(emc_state)"
    [ "$state" = bypassed ] && [ "$skipped1" -gt 100000 ] && break
    sleep 0.05
done
[ "$state" = bypassed ] && [ "$skipped1" -gt 100000 ] \
    || fail "40,000 flows: EMC $state, $skipped1 packets past it"
pass
for i in $(seq 40); do
    ft 0 dpif-show "$BR2"
    grep -q "packets past it (hit rate too low), skipped now" <<<"$out" \
        && break
    sleep 0.05
done
grep -q "packets past it (hit rate too low), skipped now" <<<"$out" \
    || fail "dpif-show does not say the EMC is skipped: $out"
pass
ft 0 del-port "$BR2" dmany
ft 0 add-port "$BR2" dinf -- set Interface dinf type=dpdk ofport_request=40 \
    "options:dpdk-devargs=net_pcap4,rx_pcap=$T/in.pcap,infinite_rx=1"
sleep 1
read -r state hits2 skipped2 <<<"$(emc_state)"
[ "$state" = used ] && [ "$hits2" -gt "$hits1" ] \
    || fail "5 flows again: EMC $state, $((hits2 - hits1)) new hits"
pass
ft 0 del-port "$BR2" dinf
ft 0 remove Bridge "$BR2" other_config pmd-cpu
grep -q '^Cpus_allowed_list:[[:space:]]*0$' "/proc/$pid/status" \
    && [ "$(nproc --all)" -gt 1 ] && fail "removing pmd-cpu did not unpin the daemon"
pass
sleep 0.2
t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
sleep 2
t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
[ $(( (t1 - t0) * 100 / (2 * ticks) )) -lt 25 ] \
    || fail "daemon still busy after its busy port went: $((t1 - t0)) ticks in 2 s"
pass

# ---- Restart: the DPDK ports open again (the EAL starts at restore).
# SIGTERM right after a del-br: the daemon waits for the releases of its
# DPDK ports' devices (the AddressSanitizer build reports what it would
# leak).
ft 0 del-br "$BR3"
kill -TERM "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "flowtierd ignored SIGTERM"
[ -e "/var/run/dpdk/flowtier-$pid" ] && fail "DPDK run-time directory left behind"
pass
start
pid=$(cat "$T/run/flowtierd.pid")
for i in $(seq 100); do
    [ "$(port_counter din rx)" = 5 ] && break
    sleep 0.05
done
[ "$(port_counter din rx)" = 5 ] || fail "din after restart: $(port_counter din rx) frames"
pass
ft 0 get Interface din error; [ "$out" = "[]" ] || fail "din error after restart: $out"
for port in dnull dbig; do
    for i in $(seq 200); do
        ft 0 get Interface "$port" error
        grep -q '^"opening: ' <<<"$out" || break
        sleep 0.05
    done
    [ "$out" = "[]" ] || fail "$port error after restart: $out"
done
ft 0 dump-ports "$BR2" dnull
# SIGTERM right after a removal: the daemon waits for the release (the
# AddressSanitizer build reports what it would leak).
ft 0 del-port "$BR2" dbig

kill -TERM "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "flowtierd ignored SIGTERM"
pass

echo "test-dpdk: $n_pass checks passed"
