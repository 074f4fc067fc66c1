#!/bin/bash
# System test: the daemon's memory through a flood of new flows.  Frames
# from FT_FLOOD_MACS (default 60,000) distinct source MACs, in bursts from
# three ports as fast as the kernel takes them (tests/system/pcap-send.c),
# each making a megaflow of its own through NORMAL; then every megaflow
# idles out (max-idle 1 s) while the MAC table keeps the flood's last
# 8,192 source MACs (its default size; aging 300 s).
# The daemon's anonymous memory (RssAnon: the heap) must stay under a
# ceiling during the flood (flow limit 12,000) and come back within a
# margin of where it started within 10 s of the last megaflow's going:
# memory freed with the megaflows goes back to the system.  The ports'
# receive rings are not in it: they are the kernel's pages mapped into
# the daemon (RssFile), and a flooded port's ring grows, by design, to
# at most 32 MiB and stays so.
#
# usage: test-rel-flood-memory.sh FLOWTIER FLOWTIERD PCAP-SEND
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need python3

PCAP_SEND=${3:?usage: $0 FLOWTIER FLOWTIERD PCAP-SEND}
N_MACS=${FT_FLOOD_MACS:-60000}
N_SENDERS=3
# Growth allowed during the flood, as in system-hostile-traffic: the
# peak includes the replies to this test's own dump-dp-flows of up to
# 12,000 megaflows every 0.2 s (seen from +22 to +70 MB).
CEILING_KB=$((96 * 1024))
# Growth allowed once every megaflow is gone, with the MAC table still
# full: measured +1.1 to +1.3 MB (docs/reliability.md), against +10 MB
# and more while MAC entries allocated one by one among the megaflows
# pinned the heap's pages, and +27.8 MB before freed megaflows were let
# go and trimmed.
MARGIN_KB=$((6 * 1024))

sys_start_daemon
ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet1 br0
sys_add_vm vm2 10.0.0.2 vnet2 br0
sys_add_vm vm3 10.0.0.3 vnet3 br0
sys_add_vm vm4 10.0.0.4 vnet4 br0
ft 0 set Bridge br0 other_config:max-idle=1000 \
    other_config:mac-aging-time=300 other_config:flow-limit=12000
ping_ok vm1 10.0.0.4
ping_ok vm2 10.0.0.4
ping_ok vm3 10.0.0.4
pid=$(sys_daemon_pid)

rss_kb() {
    awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status"
}
n_megaflows() {
    "$FT" dump-dp-flows br0 | grep -c 'tier:'
}

# The captures: sender i's frames come from MACs 02:1i:xx:xx:xx:xx, all
# UDP to vm4.
"$SYS_PY" - "$SYS_T" "$N_SENDERS" "$N_MACS" <<'PY' || fail "cannot write the captures"
import struct, sys
out, senders, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dst = bytes.fromhex('020000000004')
for s in range(senders):
    with open('%s/flood%d.pcap' % (out, s), 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(s, n, senders):
            src = bytes([0x02, 0x10 + s]) + struct.pack('!I', i)
            udp = struct.pack('!HHHH', 1000 + i % 50000, 9, 8 + 18, 0) + bytes(18)
            ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0,
                             64, 17, 0, bytes([10, 0, 0, 1 + s]),
                             bytes([10, 0, 0, 4])) + udp
            frame = dst + src + b'\x08\x00' + ip
            f.write(struct.pack('<IIII', 0, 0, len(frame), len(frame)) + frame)
PY

# Let the daemon settle after the pings before taking its measure.
sleep 2
rss_start=$(rss_kb)
peak=$rss_start
most=0
for vm in 1 2 3; do
    in_vm vm$vm "$PCAP_SEND" eth0 "$SYS_T/flood$((vm - 1)).pcap" \
        >"$SYS_T/send$vm.out" 2>&1 &
done
# Until the senders are done and the megaflows stop growing.
for i in $(seq 300); do
    r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r
    n=$(n_megaflows); [ "$n" -gt "$most" ] && most=$n
    jobs -r | grep -q . || break
    sleep 0.2
done
wait
for i in $(seq 10); do
    r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r
    n=$(n_megaflows); [ "$n" -gt "$most" ] && most=$n
    sleep 0.2
done
ft 0 dpif-show br0
echo "$out" | head -5
[ "$most" -ge 1000 ] || fail "the flood made only $most megaflows at once"
pass

# Every megaflow idles out (max-idle 1 s, checked every 500 ms).
for i in $(seq 100); do
    n=$(n_megaflows)
    [ "$n" -le 4 ] && break
    sleep 0.2
done
[ "$n" -le 4 ] || fail "$n megaflows left 20 s after the flood"
pass
# Memory comes back within seconds: the last megaflows go (1 s idle) and
# the next revalidator pass gives the memory back.
for i in $(seq 20); do
    rss_end=$(rss_kb)
    [ $((rss_end - rss_start)) -le "$MARGIN_KB" ] && break
    sleep 0.5
done
echo "RssAnon: $rss_start kB at the start, $peak kB at most during the flood" \
     "($most megaflows at once), $rss_end kB once they expired" \
     "(ceiling +$CEILING_KB kB, margin +$MARGIN_KB kB);" \
     "$(grep -E '^(VmRSS|RssFile):' "/proc/$pid/status" | tr -s ' \t\n' ' ')"
[ $((peak - rss_start)) -le "$CEILING_KB" ] \
    || fail "memory grew by $((peak - rss_start)) kB during the flood"
pass
[ $((rss_end - rss_start)) -le "$MARGIN_KB" ] \
    || fail "memory stayed $((rss_end - rss_start)) kB above the start 10 s after every megaflow had expired"
pass
ping_ok vm1 10.0.0.4
sys_done
