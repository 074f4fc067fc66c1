#!/bin/bash
# System test: a tap port a QEMU guest can use.  'add-port br0 tap0 -- set
# Interface tap0 type=tap' makes a persistent, single-queue tap without
# packet information, up and without carrier.  A "guest" process then
# attaches to it the way QEMU does (open /dev/net/tun, TUNSETIFF with
# IFF_TAP | IFF_NO_PI | IFF_VNET_HDR): the carrier comes up, it resolves a
# VM's address by ARP, answers that VM's pings through the switch, and
# does so again after detaching and re-attaching.  Deleting the port
# removes the tap.
#
# usage: test-tap.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

# The guest: attaches to tap NAME as MAC/IP, asks for PEER by ARP until
# it answers, answers ARP and ICMP echo for IP, for SECONDS.  It touches
# READY once attached and logs what it did on stdout.
GUEST='
import fcntl, os, select, socket, struct, sys, time

name, mac, ip, peer, ready, seconds = sys.argv[1:7]
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000
TUNSETIFF = 0x400454CA
VNET_HDR = bytes(10)            # struct virtio_net_hdr: no offloads

fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(),
                                      IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
open(ready, "w").close()
print("attached", flush=True)
me = bytes.fromhex(mac.replace(":", ""))
my_ip, peer_ip = socket.inet_aton(ip), socket.inet_aton(peer)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("!H", ~s & 0xFFFF)

def send(frame):
    os.write(fd, VNET_HDR + frame)

def arp(op, dst, tha, tpa):
    return (dst + me + b"\x08\x06" + struct.pack("!HHBBH", 1, 0x800, 6, 4, op)
            + me + my_ip + tha + tpa)

peer_mac, next_ask, n_echo = None, 0, 0
end = time.time() + float(seconds)
while time.time() < end:
    if peer_mac is None and time.time() >= next_ask:
        send(arp(1, b"\xff" * 6, bytes(6), peer_ip))
        next_ask = time.time() + 0.3
    if not select.select([fd], [], [], 0.1)[0]:
        continue
    f = os.read(fd, 65536)[len(VNET_HDR):]
    if f[12:14] == b"\x08\x06" and len(f) >= 42:
        op = struct.unpack("!H", f[20:22])[0]
        sha, spa, tpa = f[22:28], f[28:32], f[38:42]
        if op == 1 and tpa == my_ip:
            send(arp(2, sha, sha, spa))
        elif op == 2 and spa == peer_ip and tpa == my_ip and not peer_mac:
            peer_mac = sha
            print("arp reply from", sha.hex(":"), flush=True)
    elif f[12:14] == b"\x08\x00" and len(f) >= 34:
        ihl = (f[14] & 15) * 4
        total = struct.unpack("!H", f[16:18])[0]
        ipd = f[14:14 + total]
        if ipd[9] != 1 or ipd[16:20] != my_ip or ipd[ihl] != 8:
            continue
        icmp = b"\0\0\0\0" + ipd[ihl + 4:]
        icmp = icmp[:2] + csum(icmp) + icmp[4:]
        hdr = ipd[:8] + b"\x40\x01\0\0" + ipd[16:20] + ipd[12:16] + ipd[20:ihl]
        hdr = hdr[:10] + csum(hdr) + hdr[12:]
        send(f[6:12] + me + b"\x08\x00" + hdr + icmp)
        n_echo += 1
        print("echo reply", n_echo, flush=True)
'

GUEST_MAC=02:00:00:00:00:63
GUEST_IP=10.0.0.99
# start_guest N: starts guest number N, logging to $SYS_T/guestN.log, and
# waits until it has attached.
start_guest() {
    rm -f "$SYS_T/ready"
    sys_bg "$SYS_PY" -c "$GUEST" tap0 $GUEST_MAC $GUEST_IP 10.0.0.1 \
        "$SYS_T/ready" 60 >"$SYS_T/guest$1.log" 2>&1
    guest_pid=$!
    for i in $(seq 50); do
        [ -e "$SYS_T/ready" ] && break
        kill -0 $guest_pid 2>/dev/null \
            || fail "the guest could not attach to tap0: $(cat "$SYS_T/guest$1.log")"
        sleep 0.1
    done
    [ -e "$SYS_T/ready" ] || fail "the guest did not attach to tap0"
    pass
}

stop_guest() {
    { kill $guest_pid; wait $guest_pid; } 2>/dev/null
}

# wait_carrier 0|1
wait_carrier() {
    local c
    for i in $(seq 50); do
        c=$(cat /sys/class/net/tap0/carrier 2>/dev/null)
        [ "$c" = "$1" ] && break
        sleep 0.05
    done
    [ "$c" = "$1" ] || fail "tap0 carrier is '$c', expected $1"
    pass
}

# guest_log N REGEX [COUNT]: waits up to 5 s for COUNT (default 1) lines
# matching REGEX in guest N's log.
guest_log() {
    local n
    for i in $(seq 50); do
        n=$(grep -cE -- "$2" "$SYS_T/guest$1.log")
        [ "$n" -ge "${3:-1}" ] && break
        sleep 0.1
    done
    [ "$n" -ge "${3:-1}" ] || fail "guest $1 log has $n lines /$2/, expected ${3:-1}:
$(cat "$SYS_T/guest$1.log")"
    pass
}

ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0

# ---- The tap as QEMU finds it.
ft 0 add-port br0 tap0 -- set Interface tap0 type=tap
ip -d link show tap0 >"$SYS_T/link" 2>&1 || fail "tap0 was not created"
grep -q 'tun type tap pi off' "$SYS_T/link" || fail "tap0 is not a tap: $(cat "$SYS_T/link")"
grep -q 'persist on' "$SYS_T/link" || fail "tap0 is not persistent: $(cat "$SYS_T/link")"
pass
flags=$(cat /sys/class/net/tap0/tun_flags)
# IFF_TAP and IFF_NO_PI set; IFF_TUN and IFF_MULTI_QUEUE clear (a
# single-queue tap is what '-netdev tap,ifname=tap0' opens).
[ $((flags & 0x1002)) = $((0x1002)) ] && [ $((flags & 0x101)) = 0 ] \
    || fail "tap0 tun_flags $flags"
pass
[ $(($(cat /sys/class/net/tap0/flags) & 1)) = 1 ] || fail "tap0 is not up"
pass
wait_carrier 0
ft 0 get Interface tap0 type; [ "$out" = tap ] || fail "type: $out"
ft 0 show; expect_out '^                type: tap$'
tap_port=$(ofport tap0)

# ---- A guest attaches and talks to vm1 through the switch.
start_guest 1
wait_carrier 1
guest_log 1 '^arp reply from 02:00:00:00:00:01$'
ping_ok vm1 $GUEST_IP 5
guest_log 1 '^echo reply' 5
ft 0 dump-dp-flows br0
expect_out "^ip,in_port=$tap_port,.*dl_src=$GUEST_MAC,dl_dst=02:00:00:00:00:01,.* actions:$(ofport vnet0)\$"
[ "$(port_stat br0 tap0 rx pkts)" -ge 6 ] && [ "$(port_stat br0 tap0 tx pkts)" -ge 6 ] \
    || fail "tap0 counters: $(port_stat br0 tap0 rx pkts) rx, $(port_stat br0 tap0 tx pkts) tx"
pass

# ---- Detached: the tap stays, frames go nowhere; re-attached: works.
stop_guest
wait_carrier 0
ip link show tap0 >/dev/null 2>&1 || fail "tap0 went away with its guest"
pass
ping_fails vm1 $GUEST_IP
start_guest 2
wait_carrier 1
ping_ok vm1 $GUEST_IP 3
guest_log 2 '^echo reply' 3
stop_guest

# ---- The port goes, and the tap with it.
ft 0 del-port br0 tap0
for i in $(seq 20); do
    ip link show tap0 >/dev/null 2>&1 || break
    sleep 0.05
done
ip link show tap0 >/dev/null 2>&1 && fail "del-port left tap0 behind"
pass
ft 0 list-ports br0; [ "$out" = vnet0 ] || fail "ports after del-port: $out"
ft 1 dump-ports br0 tap0

sys_done
