#!/usr/bin/python3
"""Checks that flowtier.ko refuses bad tunnel requests with a reason
(tests/vm/test-kmod-tunnel.sh): the extended ack of each refusal must
carry the module's message.  Talks generic netlink itself, with the
message helpers of kmod-fuzz.py.

usage: kmod-extack.py DP NOT_VXLAN_DEVICE
Prints one line per refusal; exits 1 if one was accepted or came
without its reason."""
import importlib.util
import os
import socket
import struct
import sys

spec = importlib.util.spec_from_file_location(
    "kmod_fuzz", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "kmod-fuzz.py"))
fz = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fz)

SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
FLOW_NEW, VPORT_NEW = 1, 1
VPORT_VXLAN = 2


def transact(nl, data):
    """The kernel's errno and extack message for request 'data'."""
    nl.seq += 1
    nl.s.send(data[:8] + struct.pack("I", nl.seq) + data[12:])
    buf = nl.s.recv(65536)
    ln, typ, flags, _, _ = struct.unpack_from("IHHII", buf, 0)
    if typ != 2:
        return 0, ""
    err = struct.unpack_from("i", buf, 16)[0]
    text = ""
    ofs = 36                                # Header, errno, capped request.
    while flags & NLM_F_ACK_TLVS and ofs + 4 <= ln:
        alen, atype = struct.unpack_from("HH", buf, ofs)
        if alen < 4:
            break
        if atype == NLMSGERR_ATTR_MSG:
            text = buf[ofs + 4:ofs + alen].rstrip(b"\0").decode()
        ofs += (alen + 3) & ~3
    return err, text


def main():
    dp, dev = sys.argv[1], sys.argv[2]
    nl = fz.Nl()
    nl.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    nl.s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    fam = {n: fz.resolve(nl, n) for n in fz.FAMILIES}
    name = fz.attr(fz.DP_NAME, dp.encode() + b"\0")
    key = fz.attr(4, bytes(fz.FLOW_SIZE)) + fz.attr(5, bytes(fz.FLOW_SIZE))

    def flow_new(tunnel_attrs):
        acts = fz.attr(fz.SET_TUNNEL | fz.NLA_F_NESTED, tunnel_attrs)
        return fz.msg(fam["flowtier_flow"], FLOW_NEW, fz.NLM_F_ACK,
                      name + key + fz.attr(6 | fz.NLA_F_NESTED, acts), 0)

    cases = [
        ("a VXLAN port on a device that is not VXLAN", "needs a VXLAN device",
         fz.msg(fam["flowtier_vport"], VPORT_NEW, fz.NLM_F_ACK,
                name + fz.attr(3, struct.pack("I", 77))
                + fz.attr(4, dev.encode() + b"\0")
                + fz.attr(7, struct.pack("I", VPORT_VXLAN)), 0)),
        ("set_tunnel without a destination", "needs an outer destination",
         flow_new(fz.attr(1, struct.pack("Q", 100)))),
        ("set_tunnel with a 25-bit VNI", "",
         flow_new(fz.attr(1, struct.pack("Q", 1 << 24))
                  + fz.attr(3, struct.pack("I", 0x0a000002)))),
        ("set_tunnel with unknown flags", "",
         flow_new(fz.attr(3, struct.pack("I", 0x0a000002))
                  + fz.attr(6, struct.pack("H", 0x8000)))),
    ]
    bad = 0
    for what, want, data in cases:
        err, text = transact(nl, data)
        print("%s: %d %s" % (what, err, text))
        if err >= 0 or not text or want not in text:
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
