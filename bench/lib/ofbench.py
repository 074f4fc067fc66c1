#!/usr/bin/env python3
"""ofbench.py - OpenFlow 1.3 load for the benchmark cases 'ofmod' and
'pktin', the same bytes to any switch.

  ofbench.py flowmod SOCKET N   sends N FLOW_MOD adds (distinct matches:
                                ip, nw_src, nw_dst; 1,000 priorities;
                                output:2), made beforehand, back to back,
                                then one BARRIER, and prints FLOW_MODs per
                                second from the first byte sent to the
                                BARRIER_REPLY
  ofbench.py pktin SOCKET N     installs priority=0 actions=CONTROLLER,
                                then N times: a PACKET_OUT (in_port 1,
                                output:TABLE) and waits for the PACKET_IN
                                it causes; prints round trips per second

SOCKET is a unix socket path (the bridge's BRIDGE.mgmt).  Any ERROR from
the switch, or a reply missing for 30 s, fails (exit 1) with the reason.
"""
import socket
import struct
import sys
import time

V = 4
HELLO, ERROR, ECHO_REQ, ECHO_REP = 0, 1, 2, 3
SET_CONFIG, PACKET_IN, PACKET_OUT, FLOW_MOD = 9, 10, 13, 14
BARRIER_REQ, BARRIER_REP = 20, 21
OFPP_TABLE, OFPP_CONTROLLER = 0xfffffff9, 0xfffffffd
NO_BUFFER = 0xffffffff


def msg(mtype, xid, body=b""):
    return struct.pack("!BBHI", V, mtype, 8 + len(body), xid) + body


def oxm(field, value):
    return struct.pack("!HBB", 0x8000, field << 1, len(value)) + value


def match(fields):
    body = b"".join(fields)
    m = struct.pack("!HH", 1, 4 + len(body)) + body
    return m + b"\0" * (-len(m) % 8)


def apply_output(port, max_len=0):
    act = struct.pack("!HHIH6x", 0, 16, port, max_len)
    return struct.pack("!HH4x", 4, 8 + len(act)) + act


def flow_mod(xid, priority, m, insts):
    body = struct.pack("!QQBBHHHIIIH2x", 0, 0, 0, 0, 0, 0, priority,
                       NO_BUFFER, 0xffffffff, 0xffffffff, 0)
    return msg(FLOW_MOD, xid, body + m + insts)


def rule(i):
    src = struct.pack("!BBBB", 10, (i >> 16) & 255, (i >> 8) & 255, i & 255)
    dst = struct.pack("!BBBB", 172, 16, (i >> 8) & 255, (i * 7) & 255)
    m = match([oxm(5, struct.pack("!H", 0x0800)), oxm(11, src),
               oxm(12, dst)])
    return flow_mod(i + 100, 100 + i % 1000, m, apply_output(2))


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(30)
        self.buf = b""
        self.s.sendall(msg(HELLO, 1))
        self.expect(HELLO)

    def recv(self):
        while True:
            if len(self.buf) >= 8:
                length = struct.unpack("!H", self.buf[2:4])[0]
                if len(self.buf) >= length:
                    m, self.buf = self.buf[:length], self.buf[length:]
                    mtype, xid = m[1], struct.unpack("!I", m[4:8])[0]
                    if mtype == ERROR:
                        t, c = struct.unpack("!HH", m[8:12])
                        sys.exit("ofbench: ERROR type %d code %d for xid %d"
                                 % (t, c, xid))
                    if mtype == ECHO_REQ:
                        self.s.sendall(msg(ECHO_REP, xid, m[8:]))
                        continue
                    return mtype, xid, m
            try:
                data = self.s.recv(1 << 20)
            except socket.timeout:
                sys.exit("ofbench: no reply from the switch in 30 s")
            if not data:
                sys.exit("ofbench: the switch closed the connection")
            self.buf += data

    def expect(self, mtype):
        while True:
            t, xid, m = self.recv()
            if t == mtype:
                return xid, m


def run_flowmod(c, n):
    # The messages are made before the clock starts, so that the value is
    # the switch's rate, not Python's (packing 100,000 messages takes this
    # interpreter about as long as a fast switch takes to apply them).
    chunk = 1000
    data = [b"".join(rule(j) for j in range(i, min(n, i + chunk)))
            for i in range(0, n, chunk)]
    t0 = time.monotonic()
    for d in data:
        c.s.sendall(d)
    c.s.sendall(msg(BARRIER_REQ, 7))
    c.expect(BARRIER_REP)
    dt = time.monotonic() - t0
    print("%.0f" % (n / dt))


FRAME = bytes.fromhex(
    "02000000000202000000000108004500002e00010000401166b40a0000010a000002"
    "04d2162e001a0000" + "00" * 18)


def run_pktin(c, n):
    c.s.sendall(msg(SET_CONFIG, 2, struct.pack("!HH", 0, 0xffff)))
    c.s.sendall(flow_mod(3, 0, match([]), apply_output(OFPP_CONTROLLER,
                                                       0xffff)))
    c.s.sendall(msg(BARRIER_REQ, 4))
    c.expect(BARRIER_REP)
    acts = struct.pack("!HHIH6x", 0, 16, OFPP_TABLE, 0)
    po = msg(PACKET_OUT, 5, struct.pack("!IIH6x", NO_BUFFER, 1, len(acts))
             + acts + FRAME)
    t0 = time.monotonic()
    for _ in range(n):
        c.s.sendall(po)
        c.expect(PACKET_IN)
    dt = time.monotonic() - t0
    print("%.0f" % (n / dt))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("flowmod", "pktin"):
        sys.exit(__doc__)
    c = Conn(sys.argv[2])
    (run_flowmod if sys.argv[1] == "flowmod" else run_pktin)(
        c, int(sys.argv[3]))


if __name__ == "__main__":
    main()
