#!/usr/bin/env python3
"""async_probe.py - OpenFlow 1.3 asynchronous-message configuration
(SET_ASYNC, GET_ASYNC) as a switch applies it, the same bytes to any
switch, printed as a transcript two switches can be compared on.

usage: async_probe.py SOCKET [PORT_CMD]

SOCKET is a bridge's management socket (unix path).  Two connections:
'obs' (whose masks are changed and which collects what the switch sends
it) and 'ctl' (which changes flows and sends packets).  Steps:

  - GET_ASYNC on a fresh connection: the switch's defaults;
  - SET_ASYNC with masks, then GET_ASYNC: what the switch kept;
  - for several packet_in masks: a PACKET_OUT to TABLE of an IPv4 frame
    (meets 'ip,actions=CONTROLLER': reason action); the reasons 'obs'
    got;
  - for several flow_removed masks: a rule with send_flow_rem deleted by
    'ctl'; the reasons 'obs' got;
  - in the slave role (ROLE_REQUEST), the same with the slave masks;
  - three pipelined FLOW_MODs, the middle one naming a meter that does
    not exist: the ERRORs (xid, type, code) and the rules added;
  - if PORT_CMD is given: it is run (sh -c) with port_status masks of
    "delete" only, then "add" only, and the PORT_STATUS reasons 'obs' got
    each time (PORT_CMD adds a port the first time it runs with argument
    'add' and removes it with argument 'del').

Each line of output is one fact.  An ERROR from the switch is printed as
'error TYPE CODE' in the transcript (a refusal is part of the answer).
A SET_ASYNC of the wrong length is not sent: Open vSwitch 3.1 ignores it
without a word, FlowTier refuses it (tests/unit/test-ofconn.c).
Exits 1 when a reply does not come within 10 s.
"""
import socket
import struct
import subprocess
import sys
import time

V = 4
HELLO, ERROR, ECHO_REQ, ECHO_REP = 0, 1, 2, 3
PACKET_IN, FLOW_REMOVED, PORT_STATUS = 10, 11, 12
PACKET_OUT, FLOW_MOD = 13, 14
BARRIER_REQ, BARRIER_REP = 20, 21
ROLE_REQ, ROLE_REP = 24, 25
GET_ASYNC_REQ, GET_ASYNC_REP, SET_ASYNC = 26, 27, 28
OFPP_TABLE, OFPP_CONTROLLER = 0xfffffff9, 0xfffffffd
NO_BUFFER = 0xffffffff
ROLE_EQUAL, ROLE_SLAVE = 1, 3

IP_FRAME = bytes.fromhex(
    "02000000000202000000000108004500002e00010000401166b40a0000010a000002"
    "04d2162e001a0000" + "00" * 18)


def msg(mtype, xid, body=b""):
    return struct.pack("!BBHI", V, mtype, 8 + len(body), xid) + body


def oxm(field, value):
    return struct.pack("!HBB", 0x8000, field << 1, len(value)) + value


def match(fields):
    body = b"".join(fields)
    m = struct.pack("!HH", 1, 4 + len(body)) + body
    return m + b"\0" * (-len(m) % 8)


def apply_output(port, max_len=0xffff):
    act = struct.pack("!HHIH6x", 0, 16, port, max_len)
    return struct.pack("!HH4x", 4, 8 + len(act)) + act


def flow_mod(xid, command, priority, m, insts=b"", flags=0, cookie=0):
    body = struct.pack("!QQBBHHHIIIH2x", cookie, 0, 0, command, 0, 0,
                       priority, NO_BUFFER, 0xffffffff, 0xffffffff, flags)
    return msg(FLOW_MOD, xid, body + m + insts)


def packet_out(xid, frame):
    acts = struct.pack("!HHIH6x", 0, 16, OFPP_TABLE, 0)
    return msg(PACKET_OUT, xid, struct.pack("!IIH6x", NO_BUFFER, 1,
                                            len(acts)) + acts + frame)


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""
        self.xid = 1000
        self.s.sendall(msg(HELLO, 1))
        self.expect(HELLO)

    def send(self, mtype, body=b""):
        self.xid += 1
        self.s.sendall(msg(mtype, self.xid, body))
        return self.xid

    def read(self, timeout):
        """The next message as (type, xid, bytes), or None after
        'timeout' seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 8:
                length = struct.unpack("!H", self.buf[2:4])[0]
                if len(self.buf) >= length:
                    m, self.buf = self.buf[:length], self.buf[length:]
                    t, xid = m[1], struct.unpack("!I", m[4:8])[0]
                    if t == ECHO_REQ:
                        self.s.sendall(msg(ECHO_REP, xid, m[8:]))
                        continue
                    return t, xid, m
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                data = self.s.recv(65536)
            except socket.timeout:
                return None
            if not data:
                sys.exit("async_probe: the switch closed the connection")
            self.buf += data

    def expect(self, mtype, xid=None, keep=None):
        """Reads until a message of 'mtype' (and 'xid'); other messages
        go to the list 'keep' (if given).  Returns the message."""
        while True:
            r = self.read(10)
            if r is None:
                sys.exit("async_probe: no reply of type %d in 10 s" % mtype)
            if r[0] == mtype and (xid is None or r[1] == xid):
                return r[2]
            if r[0] == ERROR:
                return r[2]
            if keep is not None:
                keep.append(r)

    def barrier(self, keep=None):
        self.expect(BARRIER_REP, self.send(BARRIER_REQ), keep)

    def drain(self, seconds):
        got = []
        while True:
            r = self.read(seconds)
            if r is None:
                return got
            got.append(r)


def masks_text(m):
    if m[1] == ERROR:
        t, c = struct.unpack("!HH", m[8:12])
        return "error %d %d" % (t, c)
    v = struct.unpack("!6I", m[8:32])
    return ("master pin=%#x ps=%#x fr=%#x slave pin=%#x ps=%#x fr=%#x"
            % (v[0], v[2], v[4], v[1], v[3], v[5]))


def get_async(c):
    return masks_text(c.expect(GET_ASYNC_REP, c.send(GET_ASYNC_REQ)))


def set_async(c, pin, ps, fr):
    """pin, ps, fr: (master, slave) pairs.  Returns an error text or ''."""
    xid = c.send(SET_ASYNC, struct.pack("!6I", pin[0], pin[1], ps[0], ps[1],
                                        fr[0], fr[1]))
    got = []
    c.barrier(got)
    for t, x, m in got:
        if t == ERROR and x == xid:
            return "error %d %d" % struct.unpack("!HH", m[8:12])
    return ""


def reasons(msgs, mtype, ofs):
    return sorted(m[ofs] for t, _, m in msgs if t == mtype)


def packet_ins(obs, ctl):
    ctl.s.sendall(packet_out(1, IP_FRAME))
    ctl.barrier()
    # reason is at byte 14 of an OpenFlow 1.3 PACKET_IN.
    return reasons(obs.drain(0.5), PACKET_IN, 14)


def flow_removeds(obs, ctl):
    m = match([oxm(5, struct.pack("!H", 0x86dd))])
    ctl.s.sendall(flow_mod(1, 0, 300, m, apply_output(2), flags=1))
    ctl.barrier()
    ctl.s.sendall(flow_mod(2, 4, 300, m))   # DELETE_STRICT
    ctl.barrier()
    # reason is at byte 18 of an OpenFlow 1.3 FLOW_REMOVED.
    return reasons(obs.drain(0.5), FLOW_REMOVED, 18)


def port_statuses(obs, cmd, arg):
    subprocess.run(["sh", "-c", cmd + " " + arg], check=True)
    # The switch may notice the port a little later (up to about 1 s).
    return reasons(obs.drain(2.5), PORT_STATUS, 8)


def aggregate_count(c, cookie):
    """Rules of every table with cookie 'cookie' (AGGREGATE stats)."""
    body = (struct.pack("!HH4x", 2, 0)
            + struct.pack("!B3xII4xQQ", 0xff, 0xffffffff, 0xffffffff,
                          cookie, 0xffffffffffffffff) + match([]))
    m = c.expect(19, c.send(18, body))
    return struct.unpack("!I", m[32:36])[0] if m[1] == 19 else None


def bad_in_batch(ctl):
    """Three FLOW_MODs back to back, the middle one naming a meter that
    does not exist: the ERRORs (xid, type, code) and how many of the
    other two are in the table."""
    m1 = match([oxm(5, b"\x08\x06")])
    meter = struct.pack("!HHI", 6, 8, 99)           # OFPIT_METER 99
    ctl.s.sendall(flow_mod(501, 0, 401, m1, apply_output(2), cookie=0x77)
                  + flow_mod(502, 0, 402, m1, meter + apply_output(2),
                             cookie=0x77)
                  + flow_mod(503, 0, 403, m1, apply_output(1), cookie=0x77))
    xid = ctl.send(BARRIER_REQ)
    errs = []
    while True:
        r = ctl.read(10)
        if r is None:
            sys.exit("async_probe: no BARRIER_REPLY in 10 s")
        if r[0] == ERROR:
            errs.append((r[1],) + struct.unpack("!HH", r[2][8:12]))
        elif r[0] == BARRIER_REP and r[1] == xid:
            break
    return "errors %s, rules %s" % (errs, aggregate_count(ctl, 0x77))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    path = sys.argv[1]
    ctl = Conn(path)
    obs = Conn(path)
    print("default:", get_async(obs))

    ctl.s.sendall(flow_mod(1, 3, 0, match([])))     # DELETE everything
    ctl.s.sendall(flow_mod(3, 0, 100, match([oxm(5, b"\x08\x00")]),
                           apply_output(OFPP_CONTROLLER)))
    ctl.barrier()
    obs.drain(0.2)
    ctl.drain(0.2)

    print("packet_in with the defaults:", packet_ins(obs, ctl))
    print("flow_removed with the defaults:", flow_removeds(obs, ctl))
    for pin in (0, 1, 2, 3, 0xffffffff):
        print("set pin=%#x:" % pin, set_async(obs, (pin, 0), (7, 7), (0, 0))
              or get_async(obs))
        print("  packet_in:", packet_ins(obs, ctl))
        ctl.drain(0.1)
    for fr in (0, 4, 1, 0xffffffff):
        print("set fr=%#x:" % fr, set_async(obs, (0, 0), (7, 7), (fr, 0))
              or get_async(obs))
        print("  flow_removed:", flow_removeds(obs, ctl))
        ctl.drain(0.1)

    rr = struct.pack("!I4xQ", ROLE_SLAVE, 1)
    r = obs.expect(ROLE_REP, obs.send(ROLE_REQ, rr))
    print("slave:", "error" if r[1] == ERROR
          else struct.unpack("!I", r[8:12])[0])
    for pin, fr in ((0, 0), (2, 4), (1, 0)):
        print("set slave pin=%#x fr=%#x:" % (pin, fr),
              set_async(obs, (3, pin), (7, 7), (7, fr)) or get_async(obs))
        print("  packet_in:", packet_ins(obs, ctl))
        print("  flow_removed:", flow_removeds(obs, ctl))
        ctl.drain(0.1)
    rr = struct.pack("!I4xQ", ROLE_EQUAL, 0)
    obs.expect(ROLE_REP, obs.send(ROLE_REQ, rr))

    if len(sys.argv) == 3:
        cmd = sys.argv[2]
        print("set ps=delete only:", set_async(obs, (0, 0), (2, 2), (0, 0)))
        print("  add:", port_statuses(obs, cmd, "add"))
        print("  del:", port_statuses(obs, cmd, "del"))
        print("set ps=add only:", set_async(obs, (0, 0), (1, 1), (0, 0)))
        print("  add:", port_statuses(obs, cmd, "add"))
        print("  del:", port_statuses(obs, cmd, "del"))

    print("at the end:", get_async(obs))
    print("batch with a bad FLOW_MOD:", bad_in_batch(ctl))


if __name__ == "__main__":
    main()
