#!/usr/bin/python3
"""Flow setup under a flood of new flows, for test-kmod-datapath.sh.

usage: kmod-setup-latency.py flood NETNS SECONDS
         from eth0 in network namespace NETNS, sends Ethernet frames
         (type 0x88b5), each to the next unknown unicast address, as fast
         as it can for SECONDS: under NORMAL each is a new megaflow, so
         each is an upcall.  Prints how many.
       kmod-setup-latency.py probe NETNS RXDEV N PID
         with the daemon PID stopped (SIGSTOP), sends N frames (type
         0x88b6) from eth0 in NETNS, each to another unknown unicast
         address (a new megaflow: an upcall), lets the daemon go on
         (SIGCONT) and times each frame's arrival on RXDEV (in this
         namespace), where NORMAL floods it, from then.  Prints "N set
         up, median M ms, max X ms", or fails if one did not arrive
         within 3 s.
"""
import ctypes
import os
import select
import signal
import socket
import struct
import sys
import time

FLOOD_TYPE = 0x88b5
PROBE_TYPE = 0x88b6
CLONE_NEWNET = 0x40000000


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.exit("setns %s: %s" % (name, os.strerror(ctypes.get_errno())))
    os.close(fd)


def tx_socket(ethertype):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(("eth0", ethertype))
    return s, s.getsockname()[4]


def frame(dst_index, src, ethertype, prefix):
    dst = bytes([0x02, prefix]) + struct.pack("!I", dst_index)
    return dst + src + struct.pack("!H", ethertype) + b"\0" * 46


def flood(netns, seconds):
    enter_netns(netns)
    s, src = tx_socket(FLOOD_TYPE)
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        for _ in range(32):
            try:
                s.send(frame(n, src, FLOOD_TYPE, 0xf1))
            except OSError:
                pass
            n += 1
    print(n)


def probe(netns, rxdev, n, pid):
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                       socket.htons(PROBE_TYPE))
    rx.bind((rxdev, PROBE_TYPE))
    enter_netns(netns)
    tx, src = tx_socket(PROBE_TYPE)
    base = struct.unpack("!I", os.urandom(4))[0] & 0xffffff00
    frames = [frame(base + i, src, PROBE_TYPE, 0xf2) for i in range(n)]
    for f in frames:
        tx.send(f)
    start = time.monotonic()
    os.kill(pid, signal.SIGCONT)
    waiting = {f[:6] for f in frames}
    times = []
    while waiting:
        left = start + 3.0 - time.monotonic()
        if left <= 0 or not select.select([rx], [], [], left)[0]:
            print("%d of %d probes did not arrive on %s within 3 s"
                  % (len(waiting), n, rxdev))
            sys.exit(1)
        dst = rx.recv(2048)[:6]
        if dst in waiting:
            waiting.discard(dst)
            times.append((time.monotonic() - start) * 1000)
    print("%d set up, median %.1f ms, max %.1f ms"
          % (n, times[n // 2], times[-1]))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "flood":
        flood(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "probe":
        probe(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(__doc__)
