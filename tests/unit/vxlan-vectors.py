#!/usr/bin/python3
"""Writes the VXLAN test vectors of test-vxlan.c, computed by scapy (an
implementation independent of FlowTier's): for each test frame, the whole
encapsulated frame scapy builds from the same outer parameters, and UDP
payloads to decapsulate.

usage: vxlan-vectors.py OUTPUT

Lines (hex without separators, fields separated by one space):
  encap NAME VNI ETH_SRC ETH_DST IP_SRC IP_DST TOS TTL DF IP_ID SPORT DPORT INNER FRAME
  decap NAME VNI PAYLOAD INNER
  bad NAME PAYLOAD
"""
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, VXLAN, Dot1Q, Ether, IPv6,
                       Raw, raw)
from scapy.layers.inet6 import ICMPv6EchoRequest

A, B = "02:00:00:00:00:01", "02:00:00:00:00:0b"

FRAMES = [
    ("icmp", Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.11")
     / ICMP(id=7, seq=1) / Raw(b"x" * 56)),
    ("tcp-syn", Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.11")
     / TCP(sport=40000, dport=80, flags="S", seq=1)),
    ("udp-1400", Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.11")
     / UDP(sport=5000, dport=53) / Raw(bytes(range(256)) * 5 + b"z" * 92)),
    ("min-64", Ether(src=A, dst=B) / IP(src="10.0.0.1", dst="10.0.0.11")
     / UDP(sport=1, dport=2) / Raw(b"\0" * 18)),
    ("arp", Ether(src=A, dst="ff:ff:ff:ff:ff:ff")
     / ARP(op=1, hwsrc=A, psrc="10.0.0.1", pdst="10.0.0.11")),
    ("ipv6", Ether(src=A, dst=B) / IPv6(src="fd00::1", dst="fd00::b")
     / ICMPv6EchoRequest(id=1, seq=2)),
    ("vlan", Ether(src=A, dst=B) / Dot1Q(vlan=100, prio=3)
     / IP(src="10.0.0.1", dst="10.0.0.11", tos=0xb8) / UDP(sport=9, dport=9)),
]

# Outer parameters: (vni, eth src, eth dst, ip src, ip dst, tos, ttl, df,
# ip id, udp sport).
OUTERS = [
    (100, "0a:00:00:00:01:01", "0a:00:00:00:01:02", "172.31.1.1",
     "172.31.1.2", 0, 64, True, 0, 49152),
    (0xfedcba, "0a:00:00:00:01:01", "0a:00:00:00:02:02", "192.0.2.1",
     "198.51.100.77", 0x28, 17, False, 0x1234, 61000 - 1),
]


def encap_line(name, inner, o):
    vni, esrc, edst, isrc, idst, tos, ttl, df, ipid, sport = o
    frame = (Ether(src=esrc, dst=edst)
             / IP(src=isrc, dst=idst, tos=tos, ttl=ttl, id=ipid,
                  flags="DF" if df else 0)
             / UDP(sport=sport, dport=4789, chksum=0)
             / VXLAN(vni=vni, flags=0x08) / inner)
    return " ".join(["encap", name, str(vni), esrc.replace(":", ""),
                     edst.replace(":", ""), isrc, idst, str(tos), str(ttl),
                     str(int(df)), str(ipid), str(sport), "4789",
                     raw(inner).hex(), raw(frame).hex()])


def main():
    lines = []
    for i, (name, inner) in enumerate(FRAMES):
        lines.append(encap_line(name, inner, OUTERS[i % len(OUTERS)]))
        payload = VXLAN(vni=1000 + i, flags=0x08) / inner
        lines.append(" ".join(["decap", name, str(1000 + i),
                               raw(payload).hex(), raw(inner).hex()]))
    lines.append("bad no-i-flag " + raw(VXLAN(vni=5, flags=0) / FRAMES[0][1]).hex())
    lines.append("bad short " + raw(VXLAN(vni=5, flags=0x08) / Raw(b"ab")).hex())
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(lines) + "\n")


main()
