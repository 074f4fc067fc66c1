#!/usr/bin/python3
"""Sends a stream of malformed and random generic netlink messages to
flowtier.ko's four families (tests/vm/test-kmod-datapath.sh): random
commands, attribute types, lengths, nesting and payloads, and well-formed
requests for datapath DP with random keys, masks, action lists (set
tunnel nests included) and frames,
so that the policies, the action decoder, the megaflow table and the
action executor all see garbage.  The kernel must refuse what is wrong
and stay clean; the caller checks the kernel log.

usage: kmod-fuzz.py SEED COUNT DP PORT_DEVICE
Prints how many requests the kernel accepted and refused."""
import os
import random
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLA_F_NESTED = 0x8000
FLOW_SIZE = 160

# From flowtier/kdp.h: families and their first family attribute (3).
DP_NAME = 1
OWN_PORTID = [0]
FAMILIES = ["flowtier_dp", "flowtier_vport", "flowtier_flow",
            "flowtier_packet"]


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def msg(family, cmd, flags, payload, seq):
    body = struct.pack("BBH", cmd, 1, 0) + payload
    return struct.pack("IHHII", 16 + len(body), family,
                       flags | NLM_F_REQUEST, seq, 0) + body


class Nl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                               NETLINK_GENERIC)
        self.s.bind((0, 0))
        self.s.settimeout(5)
        self.seq = 0

    def transact(self, data):
        """Returns 0 or the negative errno of the kernel's answer."""
        self.seq += 1
        self.s.send(data[:8] + struct.pack("I", self.seq) + data[12:])
        while True:
            buf = self.s.recv(1 << 17)
            ofs = 0
            while ofs + 16 <= len(buf):
                ln, typ, _, seq, _ = struct.unpack_from("IHHII", buf, ofs)
                if ln < 16:
                    return -1
                if typ == 2:                        # NLMSG_ERROR
                    return struct.unpack_from("i", buf, ofs + 16)[0]
                if typ == 3:                        # NLMSG_DONE
                    return 0
                ofs += (ln + 3) & ~3


def resolve(nl, name):
    payload = attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
    nl.seq += 1
    nl.s.send(msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, payload, nl.seq))
    buf = nl.s.recv(65536)
    ofs = 20
    while ofs + 4 <= len(buf):
        ln, t = struct.unpack_from("HH", buf, ofs)
        if t == CTRL_ATTR_FAMILY_ID:
            return struct.unpack_from("H", buf, ofs + 4)[0]
        ofs += (ln + 3) & ~3
    sys.exit("family %s not found: is flowtier.ko loaded?" % name)


def rand_bytes(r, n):
    return bytes(r.getrandbits(8) for _ in range(n))


def random_attrs(r, depth=0):
    out = b""
    for _ in range(r.randrange(0, 6)):
        t = r.randrange(0, 16)
        if depth < 2 and r.random() < 0.2:
            out += attr(t | NLA_F_NESTED, random_attrs(r, depth + 1))
        else:
            n = r.choice([0, 1, 2, 4, 8, 12, 16, 24, 28, 40, 76, 160,
                          r.randrange(0, 300)])
            out += attr(t, rand_bytes(r, n))
    return out


ACTION_SIZES = {1: 4, 2: 4, 3: 0, 4: 24, 5: 20, 6: 76, 7: 12, 8: 16}
SET_TUNNEL = 9
# The attributes of a SET_TUNNEL nest (ID .. TP_DST) and their sizes.
TUNNEL_SIZES = {1: 8, 2: 4, 3: 4, 4: 1, 5: 1, 6: 2, 7: 2}


def random_tunnel(r):
    """A SET_TUNNEL nest: mostly well-formed, with a VNI past 24 bits, no
    destination, unknown flags or a wrong size now and then."""
    out = b""
    for t in sorted(TUNNEL_SIZES, key=lambda _: r.random()):
        if r.random() < 0.15 and t != 3:
            continue
        if t == 3 and r.random() < 0.1:
            continue                        # No destination.
        n = TUNNEL_SIZES[t]
        if r.random() < 0.05:
            n = r.randrange(0, 12)          # Wrong size on purpose.
        if t == 1 and n == 8:
            v = r.getrandbits(24) if r.random() < 0.9 else r.getrandbits(64)
            out += attr(t, struct.pack("Q", v))
        elif t == 3 and n == 4:
            out += attr(t, struct.pack("I", r.choice([0x0a000002, 0,
                                                      r.getrandbits(32)])))
        elif t == 6 and n == 2:
            out += attr(t, struct.pack("H", r.choice([4, 5, 7,
                                                      r.getrandbits(16)])))
        else:
            out += attr(t, rand_bytes(r, n))
    if r.random() < 0.05:
        out += attr(r.randrange(0, 12), rand_bytes(r, r.randrange(0, 9)))
    return attr(SET_TUNNEL | (NLA_F_NESTED if r.random() < 0.95 else 0), out)


def random_actions(r, ports):
    out = b""
    for _ in range(r.randrange(0, 8)):
        t = r.randrange(0, 11)
        if t == SET_TUNNEL:
            out += random_tunnel(r)
            continue
        n = ACTION_SIZES.get(t, r.randrange(0, 40))
        if r.random() < 0.1:
            n = r.randrange(0, 80)          # Wrong size on purpose.
        if t == 1 and n == 4:
            p = r.choice(ports + [0xfff8, 0xfffe, r.getrandbits(32)])
            out += attr(t, struct.pack("I", p))
        elif t == 2 and n == 4:
            out += attr(t, struct.pack("HH", r.choice([0x8100, 0x88a8, 0]),
                                       r.getrandbits(16)))
        elif t == 7 and n == 12:
            out += attr(t, struct.pack("BBHHHHH", r.choice([6, 17, 132]), 0,
                                       *[r.getrandbits(16) for _ in range(4)],
                                       0))
        else:
            out += attr(t, rand_bytes(r, n))
    return out


def random_frame(r):
    eth = rand_bytes(r, 12)
    kind = r.randrange(5)
    if kind == 0:                            # IPv4 TCP/UDP/ICMP
        proto = r.choice([1, 6, 17])
        l4 = rand_bytes(r, r.randrange(0, 40))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0,
                         r.choice([0, 0x2000, 0x0010]), 64, proto, 0,
                         rand_bytes(r, 4), rand_bytes(r, 4))
        return eth + b"\x08\x00" + ip + l4
    if kind == 1:                            # IPv6
        l4 = rand_bytes(r, r.randrange(0, 60))
        ip = struct.pack("!IHBB16s16s", 0x60000000, len(l4),
                         r.choice([6, 17, 58, 44, 0, 43]), 64,
                         rand_bytes(r, 16), rand_bytes(r, 16))
        return eth + b"\x86\xdd" + ip + l4
    if kind == 2:                            # VLAN tags
        return (eth + b"\x81\x00" + rand_bytes(r, 2) + b"\x88\xa8"
                + rand_bytes(r, r.randrange(0, 50)))
    return eth + rand_bytes(r, r.randrange(0, 100))


def structured(r, fam, dp, ports, ids):
    """A well-formed request with random contents."""
    name = attr(DP_NAME, dp.encode() + b"\0")
    k = r.randrange(5)
    if k == 0:                               # flow NEW
        key = bytearray(rand_bytes(r, FLOW_SIZE))
        mask = bytearray(r.choice([0, 0xff]) if r.random() < 0.5
                         else r.getrandbits(8) for _ in range(FLOW_SIZE))
        if r.random() < 0.8:                 # Mostly acceptable masks.
            mask[0:24] = bytes(24)          # Tunnel metadata.
            mask[32:72] = bytes(40)         # Metadata and registers.
            mask[86:88] = bytes(2)
            mask[154:160] = bytes(6)
        acts = attr(6 | NLA_F_NESTED, random_actions(r, ports))
        return fam["flowtier_flow"], 1, (name + attr(4, bytes(key))
                                         + attr(5, bytes(mask)) + acts)
    if k == 1:                               # flow DEL / GET / SET by id
        fid = r.choice(ids) if ids and r.random() < 0.7 else r.getrandbits(32)
        cmd = r.choice([2, 3, 4])
        extra = attr(6 | NLA_F_NESTED, random_actions(r, ports)) \
            if cmd == 4 else b""
        return fam["flowtier_flow"], cmd, (name + attr(3, struct.pack(
            "I", fid)) + extra)
    if k == 2:                               # STATS with random ids
        n = r.randrange(0, 40)
        return fam["flowtier_flow"], 5, name + attr(8, b"".join(
            struct.pack("I", r.choice(ids) if ids else r.getrandbits(32))
            for _ in range(n)))
    if k == 3:                               # EXECUTE a random frame
        return fam["flowtier_packet"], 1, (
            name + attr(3, random_frame(r))
            + attr(4, struct.pack("I", r.choice(ports + [0xffff])))
            + attr(6 | NLA_F_NESTED, random_actions(r, ports)))
    if r.random() < 0.3:                     # No upcall socket, or ours.
        return fam["flowtier_dp"], 4, name + attr(3, struct.pack(
            "I", r.choice([0, 0, OWN_PORTID[0]])))
    if r.random() < 0.3:                     # A port's own upcall socket:
        return fam["flowtier_vport"], 4, (  # none, ours, or nobody's.
            name + attr(3, struct.pack("I", r.choice(ports + [7])))
            + attr(8, struct.pack("I", r.choice(
                [0, OWN_PORTID[0], r.getrandbits(32)]))))
    return fam["flowtier_dp"], r.choice([3, 4]), name + attr(
        r.randrange(3, 6), rand_bytes(r, r.choice([0, 4, 8])))


def main():
    seed, count, dp, port_dev = (int(sys.argv[1]), int(sys.argv[2]),
                                 sys.argv[3], sys.argv[4])
    r = random.Random(seed)
    nl = Nl()
    OWN_PORTID[0] = nl.s.getsockname()[0]
    fam = {n: resolve(nl, n) for n in FAMILIES}
    name = attr(DP_NAME, dp.encode() + b"\0")
    rc = nl.transact(msg(fam["flowtier_dp"], 1, NLM_F_ACK, name, 0))
    assert rc == 0, "cannot create datapath %s: %d" % (dp, rc)
    rc = nl.transact(msg(fam["flowtier_vport"], 1, NLM_F_ACK,
                         name + attr(3, struct.pack("I", 1))
                         + attr(4, port_dev.encode() + b"\0"), 0))
    assert rc == 0, "cannot attach %s: %d" % (port_dev, rc)
    ports, ids = [1], list(range(1, 200))
    ok = refused = 0
    for i in range(count):
        if r.random() < 0.4:
            f = r.choice(list(fam.values()) + [r.getrandbits(16)])
            data = msg(f, r.randrange(0, 10),
                       NLM_F_ACK | (NLM_F_DUMP if r.random() < 0.2 else 0),
                       (name if r.random() < 0.5 else b"") +
                       random_attrs(r), 0)
            if r.random() < 0.1:             # Truncated or padded.
                data = data[:r.randrange(16, len(data) + 1)] + \
                    rand_bytes(r, r.randrange(0, 8))
                data = struct.pack("I", len(data)) + data[4:]
        else:
            f, cmd, payload = structured(r, fam, dp, ports, ids)
            data = msg(f, cmd, NLM_F_ACK, payload, 0)
        try:
            rc = nl.transact(data)
        except socket.timeout:
            rc = -1
        if rc == 0:
            ok += 1
        else:
            refused += 1
    print("%d accepted, %d refused" % (ok, refused))


if __name__ == "__main__":
    main()
