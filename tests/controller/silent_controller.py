#!/usr/bin/env python3
"""silent_controller.py - a fake OpenFlow 1.3 controller that checks the
switch's inactivity probes: it listens on 127.0.0.1:PORT, says HELLO and
then nothing; it answers the first ECHO_REQUEST, ignores the second, and
expects the switch to close the connection about one probe interval later
and to connect again.  Each step must come within its window (seconds,
from the last thing the controller sent or saw), or it exits 1 saying
which step was late or early.

usage: silent_controller.py PORT INTERVAL
"""
import socket
import struct
import sys
import time

OFPT_HELLO, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY = 0, 2, 3


def fail(msg):
    print("silent_controller: " + msg, flush=True)
    sys.exit(1)


def recvn(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def next_msg(c):
    """(type, xid, body) of the next message, None at end of stream."""
    hdr = recvn(c, 8)
    if hdr is None:
        return None
    _, mtype, length, xid = struct.unpack("!BBHI", hdr)
    body = recvn(c, length - 8) if length > 8 else b""
    return mtype, xid, body


def wait_for(c, what):
    """Seconds until an ECHO_REQUEST ('echo') or the end of the stream
    ('close'), skipping other messages; and the request's xid."""
    t0 = time.monotonic()
    while True:
        try:
            m = next_msg(c)
        except (socket.timeout, ConnectionResetError):
            m = None if what == "close" else fail("no %s in time" % what)
        if m is None:
            if what == "close":
                return time.monotonic() - t0, None
            fail("the switch closed the connection while waiting for %s"
                 % what)
        if what == "echo" and m[0] == OFPT_ECHO_REQUEST:
            return time.monotonic() - t0, m[1]


def check(step, dt, lo, hi):
    print("%s after %.2f s" % (step, dt), flush=True)
    if not lo <= dt <= hi:
        fail("%s after %.2f s, expected %.1f-%.1f s" % (step, dt, lo, hi))


def main():
    port, interval = int(sys.argv[1]), float(sys.argv[2])
    lo, hi = interval - 0.5, interval + 2.0
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    srv.settimeout(20)
    c, _ = srv.accept()
    c.settimeout(3 * interval)
    c.sendall(struct.pack("!BBHI", 4, OFPT_HELLO, 8, 1))
    dt, xid = wait_for(c, "echo")
    check("first probe", dt, lo, hi)
    c.sendall(struct.pack("!BBHI", 4, OFPT_ECHO_REPLY, 8, xid))
    dt, _ = wait_for(c, "echo")
    check("second probe", dt, lo, hi)
    dt, _ = wait_for(c, "close")
    check("disconnection", dt, lo, hi)
    t0 = time.monotonic()
    c2, _ = srv.accept()
    check("reconnection", time.monotonic() - t0, 0, 10)
    c2.close()


if __name__ == "__main__":
    main()
