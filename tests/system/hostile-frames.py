#!/usr/bin/python3
"""hostile-frames.py - malformed and random Ethernet frames for the
hostile-traffic system test (tests/system/test-hostile-traffic.sh), with
valid frames interleaved.

  pcap FILE COUNT SEED DST_MAC DST_IP
      writes COUNT frames to a pcap capture (tests/system/pcap-send.c
      sends them); every 100th is a valid UDP datagram to DST_MAC/DST_IP
      port 9999 carrying "FTVALID <seq> <pattern>".  Prints "wrote N
      valid V".
  recv SECONDS
      counts the valid datagrams arriving on UDP port 9999 until SECONDS
      pass without one; prints "valid N corrupt C".
  probe SOCKET BRIDGE STOPFILE OUT
      asks the daemon's control socket for dpif-show every 50 ms until
      STOPFILE exists, then writes "p95_ms MS max_ms MS max_flows N
      flow_limit L samples S errors E" to OUT (how long 95% of the
      answers and the slowest took, the most megaflows seen, requests
      that got no answer).

Frames are drawn from a seeded generator, so a failing run can be
replayed: truncated Ethernet headers, random EtherTypes, stacks of up to
six VLAN tags, IPv4 with bad header and total lengths, options and
fragments, IPv6 with extension-header chains and bad payload lengths,
ARP with bad address lengths, and plain random bytes.
"""
import json
import os
import random
import socket
import struct
import sys
import time

VALID_EVERY = 100
UDP_PORT = 9999


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(':'))


def ip_checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def rand_mac(rng):
    # Sometimes a multicast source: a malformed frame in its own right.
    b = bytearray(rng.randbytes(6))
    if rng.random() < 0.9:
        b[0] &= 0xfe
    return bytes(b)


def ipv4_header(rng, proto, payload_len):
    ihl = rng.choice([5, 5, 5, 6, 8, 15, 0, 3, 4])
    options = rng.randbytes(max(0, ihl - 5) * 4)
    total = 20 + len(options) + payload_len
    total = rng.choice([total, total, total, 0, 19, total + 100, 65535,
                        rng.randrange(65536)])
    flags_frag = rng.choice([0, 0x4000, 0x2000, 0x2000 | rng.randrange(8192),
                             rng.randrange(8192), 0x8000])
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, rng.randrange(256),
                      total & 0xffff, rng.randrange(65536), flags_frag,
                      rng.randrange(256), proto, 0, rng.randbytes(4),
                      rng.randbytes(4)) + options
    return hdr


def l4(rng, proto):
    if proto == 6:
        return struct.pack('!HHIIBBHHH', rng.randrange(65536),
                           rng.randrange(65536), rng.randrange(1 << 32),
                           rng.randrange(1 << 32),
                           rng.choice([0x50, 0x00, 0xf0, 0x20]),
                           rng.randrange(256), rng.randrange(65536), 0, 0)
    if proto == 17:
        return struct.pack('!HHHH', rng.randrange(65536),
                           rng.randrange(65536),
                           rng.choice([8, 0, 7, 65535, rng.randrange(65536)]),
                           0)
    if proto in (1, 58):
        return bytes([rng.randrange(256), rng.randrange(256)]) + \
            rng.randbytes(6)
    return rng.randbytes(rng.randrange(40))


def ipv4_frame(rng):
    proto = rng.choice([6, 17, 1, 132, 47, rng.randrange(256)])
    body = l4(rng, proto) + rng.randbytes(rng.randrange(64))
    pkt = ipv4_header(rng, proto, len(body)) + body
    return 0x0800, pkt[:rng.randrange(len(pkt) + 1)] \
        if rng.random() < 0.3 else pkt


def ipv6_frame(rng):
    chain = b''
    nxt = rng.choice([6, 17, 58, 59])
    for _ in range(rng.randrange(5)):
        kind = rng.choice([0, 43, 44, 60, 51])
        if kind == 44:              # Fragment header: fixed 8 bytes.
            ext = struct.pack('!BBHI', nxt, 0, rng.randrange(65536),
                              rng.randrange(1 << 32))
        else:
            n = rng.randrange(4)
            ext = bytes([nxt, n]) + rng.randbytes(6 + 8 * n)
        chain = ext + chain
        nxt = kind
    body = chain + l4(rng, 6 if rng.random() < 0.5 else 17)
    plen = rng.choice([len(body), 0, len(body) + 50, rng.randrange(65536)])
    hdr = struct.pack('!IHBB16s16s', 0x60000000 | rng.randrange(1 << 20),
                      plen, nxt, rng.randrange(256), rng.randbytes(16),
                      rng.randbytes(16))
    pkt = hdr + body
    return 0x86dd, pkt[:rng.randrange(len(pkt) + 1)] \
        if rng.random() < 0.3 else pkt


def arp_frame(rng):
    hlen = rng.choice([6, 6, 0, 255, rng.randrange(256)])
    plen = rng.choice([4, 4, 0, 16, rng.randrange(256)])
    pkt = struct.pack('!HHBBH', 1, 0x0800, hlen, plen,
                      rng.choice([1, 2, 0, 9])) + rng.randbytes(
                          rng.randrange(40))
    return 0x0806, pkt


def vlan_stack(rng, ethertype, payload):
    """Up to six tags in front of 'payload': returns the outer TPID and
    the tags (each TCI, then the next header's type) with the payload."""
    tpids = [rng.choice([0x8100, 0x88a8, 0x9100])
             for _ in range(rng.randrange(1, 7))]
    out = b''
    for i in range(len(tpids)):
        nxt = tpids[i + 1] if i + 1 < len(tpids) else ethertype
        out += struct.pack('!HH', rng.randrange(65536), nxt)
    return tpids[0], out + payload


def hostile_frame(rng):
    kind = rng.randrange(8)
    dst = rand_mac(rng) if rng.random() < 0.5 else b'\xff' * 6
    src = rand_mac(rng)
    if kind == 0:
        return rng.randbytes(rng.randrange(14))
    if kind == 1:
        return rng.randbytes(rng.randrange(14, 1515))
    if kind == 2:
        etype, body = rng.randrange(65536), rng.randbytes(rng.randrange(100))
    elif kind == 3:
        etype, body = ipv4_frame(rng)
    elif kind == 4:
        etype, body = ipv6_frame(rng)
    elif kind == 5:
        etype, body = arp_frame(rng)
    else:
        inner = rng.choice([ipv4_frame, ipv6_frame, arp_frame])(rng)
        etype, body = vlan_stack(rng, *inner)
        if rng.random() < 0.3:
            body = body[:rng.randrange(len(body) + 1)]
    return dst + src + struct.pack('!H', etype) + body


def valid_payload(seq):
    return b'FTVALID %d ' % seq + bytes((seq + i) & 0xff for i in range(64))


def valid_frame(seq, src_mac, dst_mac, dst_ip):
    payload = valid_payload(seq)
    udp = struct.pack('!HHHH', 40000, UDP_PORT, 8 + len(payload), 0) \
        + payload
    src_ip = socket.inet_aton('10.0.0.1')
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), seq & 0xffff,
                     0x4000, 64, 17, 0, src_ip, socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack('!H', ip_checksum(ip)) + ip[12:]
    return mac_bytes(dst_mac) + src_mac + b'\x08\x00' + ip + udp


def frames(count, seed, src_mac, dst_mac, dst_ip):
    rng = random.Random(seed)
    seq = 0
    for i in range(count):
        if i % VALID_EVERY == VALID_EVERY - 1:
            yield True, valid_frame(seq, src_mac, dst_mac, dst_ip)
            seq += 1
        else:
            yield False, hostile_frame(rng)


def cmd_pcap(path, count, seed, dst_mac, dst_ip):
    src_mac = b'\x02\x00\x00\x00\xee\x01'
    with open(path, 'wb') as out:
        out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        n = 0
        for _, f in frames(count, seed, src_mac, dst_mac, dst_ip):
            out.write(struct.pack('<IIII', n // 1000000, n % 1000000,
                                  len(f), len(f)))
            out.write(f)
            n += 1
    print('wrote %d valid %d' % (n, n // VALID_EVERY))


def cmd_recv(seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(('0.0.0.0', UDP_PORT))
    s.settimeout(seconds)
    seen, corrupt = set(), 0
    # Ready: the sender may start.
    print('ready', flush=True)
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        try:
            seq = int(data.split(b' ')[1])
        except (IndexError, ValueError):
            corrupt += 1
            continue
        if data != valid_payload(seq):
            corrupt += 1
        else:
            seen.add(seq)
    print('valid %d corrupt %d' % (len(seen), corrupt))


def rpc(path, method, params):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    req = {'jsonrpc': '2.0', 'id': 1, 'method': method, 'params': params}
    s.sendall(json.dumps(req).encode() + b'\n')
    buf = b''
    while not buf.endswith(b'\n'):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    s.close()
    return json.loads(buf)


def cmd_probe(path, bridge, stop, out):
    times, max_flows, limit, errors = [], 0, 0, 0
    while not os.path.exists(stop):
        t0 = time.monotonic()
        try:
            data = rpc(path, 'dpif-show', {'bridge': bridge})['result']['data']
        except (OSError, ValueError, KeyError):
            errors += 1
            time.sleep(0.05)
            continue
        times.append((time.monotonic() - t0) * 1000)
        max_flows = max(max_flows, data['flows'])
        limit = data['flow_limit']
        time.sleep(0.05)
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))] if times else 0.0
    with open(out, 'w') as f:
        f.write('p95_ms %.1f max_ms %.1f max_flows %d flow_limit %d '
                'samples %d errors %d\n'
                % (p95, times[-1] if times else 0.0, max_flows, limit,
                   len(times), errors))


def main(argv):
    if len(argv) == 6 and argv[0] == 'pcap':
        cmd_pcap(argv[1], int(argv[2]), int(argv[3]), argv[4], argv[5])
    elif len(argv) == 2 and argv[0] == 'recv':
        cmd_recv(float(argv[1]))
    elif len(argv) == 5 and argv[0] == 'probe':
        cmd_probe(argv[1], argv[2], argv[3], argv[4])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])
