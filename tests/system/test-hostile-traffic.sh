#!/bin/bash
# System test: hostile traffic.  A million malformed and random frames
# (tests/system/hostile-frames.py: truncated headers, bad lengths, VLAN
# stacks, IP options, fragments, IPv6 extension chains, random bytes)
# sent into an AF_PACKET port as fast as the kernel takes them
# (tests/system/pcap-send.c), then the same million into a DPDK port from
# the capture file, with valid UDP datagrams interleaved (1 in 100) and
# pings between two other ports meanwhile.  The daemon stays up and answers the
# control socket during both floods (95% within 100 ms, none over a
# second) and while the DPDK port is added (DPDK's EAL started and the
# port opened in a thread, not in the event loop: none over half a
# second, where the loop waited 1.2 s and more) and removed (its device
# released in a thread), the flow limit holds, its
# memory grows by less than a stated ceiling, every frame received is
# counted as a hit, a miss or an invalid frame, and the valid traffic is
# switched intact.
#
# usage: test-hostile-traffic.sh FLOWTIER FLOWTIERD PCAP-SEND
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need ping python3

GEN=$(dirname "$SYS_SELF")/hostile-frames.py
PCAP_SEND=${3:?usage: $0 FLOWTIER FLOWTIERD PCAP-SEND}
N_FRAMES=${FT_HOSTILE_FRAMES:-1000000}
FLOW_LIMIT=4000
RSS_CEILING_KB=$((96 * 1024))   # Growth allowed over the whole test.
MAX_ANSWER_MS=100
# The slowest answer allowed while the DPDK port is added (EAL, probe,
# pool, queues, start: over a second when the loop did it itself) or
# removed, and during the floods.
MAX_SLOWEST_ADDPORT_MS=500
MAX_SLOWEST_FLOOD_MS=1000

sys_start_daemon
ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0
sys_add_vm vm3 10.0.0.3 vnet2 br0
ft 0 set Bridge br0 other_config:flow-limit=$FLOW_LIMIT
ping_ok vm1 10.0.0.2
ping_ok vm3 10.0.0.2

# The daemon's anonymous memory (the heap): the ports' receive rings are
# the kernel's pages mapped into it (RssFile), and a flooded port's ring
# grows, by design, to at most 32 MiB.
rss_kb() {
    awk '/^RssAnon:/ { print $2 }' "/proc/$(sys_daemon_pid)/status"
}
rss_before=$(rss_kb)
pid_before=$(sys_daemon_pid)

# One capture for both ports (seeded: a failure can be replayed).
read -r _ n_frames _ n_valid < <("$SYS_PY" "$GEN" pcap "$SYS_T/hostile.pcap" \
    "$N_FRAMES" 1 02:00:00:00:00:02 10.0.0.2) || fail "cannot write the capture"
[ "$n_frames" = "$N_FRAMES" ] || fail "the capture has $n_frames frames"

# probe_start NAME / probe_stop NAME: a probe asking the control socket
# for dpif-show every 50 ms, its figures in $SYS_T/probe-NAME.out.
probe_start() {
    sys_bg "$SYS_PY" "$GEN" probe "$FLOWTIER_RUNDIR/flowtierd.sock" br0 \
        "$SYS_T/probe-$1.stop" "$SYS_T/probe-$1.out"
    probe_pid=${SYS_PIDS[-1]}
}
probe_stop() {
    touch "$SYS_T/probe-$1.stop"
    wait "$probe_pid"
}
probe_start afpacket

# ---- AF_PACKET: from vm1 as fast as the kernel takes them; pings from
# vm3 to vm2 meanwhile, valid datagrams of the capture to vm2.
in_vm vm2 "$SYS_PY" "$GEN" recv 3 >"$SYS_T/recv.out" &
recv_pid=$!
for i in $(seq 100); do
    grep -q ready "$SYS_T/recv.out" 2>/dev/null && break
    sleep 0.05
done
in_vm vm3 sh -c 'echo $$ >"$1"; exec ping -n -q -i 0.1 -W 1 10.0.0.2' \
    sh "$SYS_T/ping.pid" >"$SYS_T/ping.out" 2>&1 &
ping_job=$!
drop_before=$(port_stat br0 vnet0 rx drop)
start=$(date +%s.%N)
sent=$(in_vm vm1 "$PCAP_SEND" eth0 "$SYS_T/hostile.pcap") \
    || fail "sending failed: $sent"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
sleep 1
kill -INT "$(cat "$SYS_T/ping.pid")"
wait "$ping_job"
wait "$recv_pid"
read -r _ n_sent _ n_refused <<<"$sent"
read -r _ n_recv _ n_corrupt < <(tail -1 "$SYS_T/recv.out")
drops=$(($(port_stat br0 vnet0 rx drop) - drop_before))
echo "AF_PACKET: $n_sent frames sent in ${secs}s ($n_refused refused by" \
     "the kernel); the port's receive ring dropped $drops;" \
     "$n_recv of $n_valid valid datagrams arrived"
[ "$(sys_daemon_pid)" = "$pid_before" ] && kill -0 "$pid_before" \
    || fail "flowtierd did not survive the frames"
pass
[ $((n_sent + n_refused)) = "$N_FRAMES" ] && [ "$n_sent" -ge $((N_FRAMES * 8 / 10)) ] \
    || fail "only $n_sent of $N_FRAMES frames could be sent"
pass
# What arrives arrives intact; a valid datagram that does not arrive was
# dropped with the flood by the port's full receive ring, where dump-ports
# counts it, never lost inside the switch.
[ "$n_corrupt" = 0 ] || fail "$n_corrupt valid datagrams arrived corrupted"
[ "$n_recv" -ge 1 ] || fail "no valid datagram arrived"
[ $((n_valid - n_recv)) -le "$drops" ] \
    || fail "$((n_valid - n_recv)) valid datagrams lost, only $drops frames dropped by the ring"
pass
ping_rx=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$SYS_T/ping.out")
ping_tx=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$SYS_T/ping.out")
echo "pings vm3 -> vm2 meanwhile: $ping_rx of $ping_tx answered"
[ "${ping_tx:-0}" -ge 5 ] && [ "${ping_rx:-0}" -ge $((ping_tx * 9 / 10)) ] \
    || fail "pings between other ports suffered: $(cat "$SYS_T/ping.out")"
pass

probe_stop afpacket

# ---- DPDK: the same frames read from the capture by a net_pcap port.
# Adding the port starts DPDK's EAL (the first DPDK port of the daemon)
# and opens the port: probed on its own, since the CLI returns only once
# the port is open.
probe_start addport
start=$(date +%s.%N)
ft 0 add-port br0 dhostile -- set Interface dhostile type=dpdk \
    "options:dpdk-devargs=net_pcap0,rx_pcap=$SYS_T/hostile.pcap,tx_pcap=/dev/null"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
probe_stop addport
echo "DPDK: add-port returned in ${secs}s"
[ -z "$err" ] || fail "add-port: $err"
ft 0 dump-ports br0 dhostile     # Open once add-port has returned.
probe_start dpdk
for i in $(seq 1200); do
    rx=$(port_stat br0 dhostile rx pkts)
    [ "${rx:-0}" -ge "$N_FRAMES" ] && break
    sleep 0.1
done
echo "DPDK: $rx of $N_FRAMES frames of the capture received"
[ "${rx:-0}" = "$N_FRAMES" ] || fail "the DPDK port received $rx frames, not $N_FRAMES"
pass
probe_stop dpdk
ping_ok vm1 10.0.0.2
ping_ok vm3 10.0.0.2

# ---- The daemon throughout.
[ "$(sys_daemon_pid)" = "$pid_before" ] && kill -0 "$pid_before" \
    || fail "flowtierd did not survive the frames"
pass
for phase in addport afpacket dpdk; do
    read -r _ p95_ms _ max_ms _ max_flows _ limit _ samples _ errors \
        <"$SYS_T/probe-$phase.out"
    echo "control socket during the $phase phase: $samples answers, 95%" \
         "within ${p95_ms} ms, the slowest ${max_ms} ms, $errors" \
         "unanswered; most megaflows seen $max_flows (flow-limit $limit)"
    slowest=$MAX_SLOWEST_FLOOD_MS min_samples=10
    if [ "$phase" = addport ]; then
        slowest=$MAX_SLOWEST_ADDPORT_MS min_samples=3
    fi
    [ "$samples" -ge "$min_samples" ] && [ "$errors" = 0 ] \
        || fail "$phase: $samples dpif-show answers, $errors requests unanswered"
    # 95% of the answers within 100 ms, the slowest within the phase's
    # bound: on a 2-core machine shared with the frame sources, the
    # slowest answer also waits for the scheduler.
    awk -v p="$p95_ms" -v m="$max_ms" -v c="$MAX_ANSWER_MS" -v s="$slowest" \
        'BEGIN { exit !(p < c && m < s) }' \
        || fail "$phase: answers too slow: 95% within $p95_ms ms, slowest $max_ms ms (bound: 95% within $MAX_ANSWER_MS ms, all within $slowest ms)"
    [ "$max_flows" -le "$limit" ] && [ "$limit" = "$FLOW_LIMIT" ] \
        || fail "$phase: $max_flows megaflows over flow-limit $limit"
    pass
done
rss_after=$(rss_kb)
echo "RssAnon: $rss_before kB before, $rss_after kB after" \
     "(ceiling: +$RSS_CEILING_KB kB);" \
     "$(grep -E '^(VmRSS|RssFile):' "/proc/$(sys_daemon_pid)/status" | tr -s ' \t\n' ' ')"
[ $((rss_after - rss_before)) -le "$RSS_CEILING_KB" ] \
    || fail "memory grew by $((rss_after - rss_before)) kB"
pass

# Counters add up: every frame the ports received is a hit, a miss or an
# invalid frame (nothing is in flight any more).
ft 0 --format json dump-ports br0
ports=$out
ft 0 --format json dpif-show br0
"$SYS_PY" - "$ports" "$out" <<'PY' || fail "counters do not add up"
import json, sys
ports = json.loads(sys.argv[1])
dp = json.loads(sys.argv[2])
plist = ports["ports"] if isinstance(ports, dict) else ports
rx = sum(p["rx"]["packets"] for p in plist)
seen = dp["hits"] + dp["missed"] + dp["invalid"]
print("ports received %d frames; hits %d + misses %d + invalid %d = %d"
      % (rx, dp["hits"], dp["missed"], dp["invalid"], seen))
assert dp["invalid"] > 0, "no invalid frame counted"
assert rx == seen, (rx, seen)
PY
pass

# ---- Removing the DPDK port: it leaves the datapath at once and its
# device is released in a thread of its own, the control socket
# answering meanwhile (probed half a second past del-port's return).
probe_start delport
start=$(date +%s.%N)
ft 0 del-port br0 dhostile
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
sleep 0.5
probe_stop delport
read -r _ p95_ms _ max_ms _ _ _ _ _ samples _ errors \
    <"$SYS_T/probe-delport.out"
echo "DPDK: del-port returned in ${secs}s; control socket meanwhile:" \
     "$samples answers, 95% within ${p95_ms} ms, the slowest ${max_ms} ms," \
     "$errors unanswered"
[ "$samples" -ge 3 ] && [ "$errors" = 0 ] \
    || fail "delport: $samples dpif-show answers, $errors requests unanswered"
awk -v m="$max_ms" -v s="$MAX_SLOWEST_ADDPORT_MS" 'BEGIN { exit !(m < s) }' \
    || fail "delport: the slowest answer took $max_ms ms (bound: $MAX_SLOWEST_ADDPORT_MS ms)"
pass
sys_done
