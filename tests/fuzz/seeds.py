#!/usr/bin/env python3
"""seeds.py - (re)writes the seed corpus of each fuzz target under
tests/fuzz/corpus/TARGET/ from the inputs of the unit tests: the flow lines
of tests/unit/ofp-golden.txt, the OVSDB operations of
tests/unit/test-ovsdb.c, frames of the kinds tests/unit/test-flow-extract.c
builds, OpenFlow messages as ovs-ofctl sends them, JSON-RPC requests as the
flowtier CLI sends them, flower filter dumps as the kernel sends them,
upcalls as flowtier.ko sends them, and edits of the reference journal.  Files named crash-* (inputs that once
crashed a target, kept as regression seeds) are left alone.  The journal's
raw seeds (journal/raw-*) come from a real database and are not rewritten.

usage: tests/fuzz/seeds.py
"""
import json
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def write(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def clear(target):
    d = os.path.join(HERE, 'corpus', target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if not n.startswith('crash-') and not n.startswith('raw-'):
                os.unlink(os.path.join(d, n))


# ---- packet: [in_port byte] frame ----

def eth(dst, src, typ, payload, tags=()):
    hdr = bytes.fromhex(dst) + bytes.fromhex(src)
    for tpid, tci in tags:
        hdr += struct.pack('!HH', tpid, tci)
    return hdr + struct.pack('!H', typ) + payload


def ipv4(proto, payload, frag=0, opts=b'', ttl=64, tos=0):
    ihl = 5 + len(opts) // 4
    return struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, tos,
                       20 + len(opts) + len(payload), 1, frag, ttl, proto, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) \
        + opts + payload


def ipv6(nxt, payload):
    return struct.pack('!IHBB', 0x60012345, len(payload), nxt, 64) \
        + bytes(range(16)) + bytes(range(16, 32)) + payload


def tcp(sport=1234, dport=80, flags=0x12):
    return struct.pack('!HHIIBBHHH', sport, dport, 1, 2, 0x50, flags,
                       1024, 0, 0)


def udp(sport=53, dport=5353):
    return struct.pack('!HHHH', sport, dport, 8, 0)


M1, M2 = '020000000001', '020000000002'


def packet_seeds():
    frames = {
        'tcp': eth(M1, M2, 0x0800, ipv4(6, tcp())),
        'udp': eth(M1, M2, 0x0800, ipv4(17, udp())),
        'icmp': eth(M1, M2, 0x0800, ipv4(1, bytes([8, 0, 0, 0, 0, 1, 0, 1]))),
        'sctp': eth(M1, M2, 0x0800, ipv4(132, struct.pack('!HHII', 1, 2, 0,
                                                         0))),
        'ipv4-options': eth(M1, M2, 0x0800,
                            ipv4(6, tcp(), opts=bytes([1, 1, 1, 0]))),
        'ipv4-first-frag': eth(M1, M2, 0x0800, ipv4(17, udp(), frag=0x2000)),
        'ipv4-later-frag': eth(M1, M2, 0x0800, ipv4(17, udp(), frag=0x0010)),
        'arp': eth('ffffffffffff', M2, 0x0806,
                   struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1)
                   + bytes.fromhex(M2) + bytes([10, 0, 0, 1])
                   + bytes(6) + bytes([10, 0, 0, 2])),
        'vlan-tcp': eth(M1, M2, 0x0800, ipv4(6, tcp()),
                        tags=[(0x8100, 100)]),
        'qinq-udp': eth(M1, M2, 0x0800, ipv4(17, udp()),
                        tags=[(0x88a8, 10), (0x8100, 20)]),
        'three-tags': eth(M1, M2, 0x0800, ipv4(17, udp()),
                          tags=[(0x88a8, 10), (0x8100, 20), (0x8100, 30)]),
        'ipv6-tcp': eth(M1, M2, 0x86dd, ipv6(6, tcp())),
        'ipv6-hbh-frag-udp': eth(M1, M2, 0x86dd, ipv6(
            0, bytes([44, 0, 1, 4, 0, 0, 0, 0])
            + bytes([17, 0, 0, 1, 0, 0, 0, 7]) + udp())),
        'ipv6-later-frag': eth(M1, M2, 0x86dd, ipv6(
            44, bytes([17, 0, 0, 0x10, 0, 0, 0, 7]) + udp())),
        'ipv6-nd-ns': eth(M1, M2, 0x86dd, ipv6(
            58, bytes([135, 0, 0, 0, 0, 0, 0, 0]) + bytes(range(16))
            + bytes([1, 1]) + bytes.fromhex(M2))),
        'ipv6-nd-na': eth(M1, M2, 0x86dd, ipv6(
            58, bytes([136, 0, 0, 0, 0x60, 0, 0, 0]) + bytes(range(16))
            + bytes([2, 1]) + bytes.fromhex(M1))),
        'ipv6-ah-esp': eth(M1, M2, 0x86dd, ipv6(
            51, bytes([50, 1, 0, 0]) + bytes(8) + bytes(8))),
        'llc-snap': bytes.fromhex(M1 + M2) + struct.pack('!H', 46)
            + bytes([0xaa, 0xaa, 3, 0, 0, 0]) + struct.pack('!H', 0x0800)
            + ipv4(17, udp())[:38],
        'truncated-tcp': eth(M1, M2, 0x0800, ipv4(6, tcp()))[:40],
        'short': bytes.fromhex(M1 + M2)[:10],
    }
    for name, frame in frames.items():
        write('packet', name, bytes([1]) + frame)


# ---- flow-syntax: [mode byte] text ----

def flow_syntax_seeds():
    golden = open(os.path.join(ROOT, 'tests/unit/ofp-golden.txt')).read()
    lines = [l for l in golden.splitlines()
             if l and not l.startswith('#') and not l.startswith('=> ')]
    for i, line in enumerate(lines):
        write('flow-syntax', 'add-%03d' % i, b'\0' + line.encode())
    extra = [
        (1, 'in_port=1,actions=output:2'),
        (2, 'priority=5,ip,actions=drop'),
        (3, 'table=1,cookie=0x5/0xff'),
        (4, 'priority=100,tcp,tp_dst=22'),
        (5, 'tcp,in_port=vnet0,nw_src=10.0.0.0/8,tp_dst=22'),
        (5, 'ipv6,ipv6_src=2001:db8::/32,dl_vlan=5'),
        (6, 'mod_vlan_vid:10,set_field:10.0.0.1->nw_dst,output:vnet0'),
        (6, 'push_vlan:0x8100,resubmit(,2),goto_table:3'),
    ]
    for i, (mode, text) in enumerate(extra):
        write('flow-syntax', 'mode%d-%02d' % (mode, i),
              bytes([mode]) + text.encode())


# ---- rpc: [chunking byte] stream of requests ----

def rpc_seeds():
    def req(i, method, params=None):
        r = {'jsonrpc': '2.0', 'id': i, 'method': method}
        if params is not None:
            r['params'] = params
        return json.dumps(r, separators=(',', ':'))
    reqs = [
        req(1, 'add-br', {'bridge': 'br0'}),
        req(2, 'add-port', {'bridge': 'br0', 'port': 'vnet0', 'type': 'tap'}),
        req(3, 'set', {'table': 'Port', 'record': 'vnet0',
                       'args': ['tag=10']}),
        req(4, 'add-flow', {'bridge': 'br0',
                            'flow': 'priority=10,ip,actions=NORMAL'}),
        req(5, 'add-flows', {'bridge': 'br0', 'flows': ['actions=drop']}),
        req(6, 'del-flows', {'bridge': 'br0', 'strict': True,
                             'flow': 'priority=10,ip'}),
        req(7, 'transact', {'commands': [['add-br', {'bridge': 'br1'}]]}),
        req(8, 'list', {'table': 'Bridge', 'records': ['br0']}),
        req(9, 'dump-flows', {'bridge': 'br0'}),
        req('x', 'show'),
        req(10, 'nope', {}),
        json.dumps({'jsonrpc': '2.0', 'method': 'list-br'}),
        '{"jsonrpc":"2.0","id":11,"method":"add-br","params":[]}',
        '{"jsonrpc":"2.0","id":12,"method":"add-br","params":{"bridge":5}}',
        'not json',
        req(13, 'dump-flows', {'bridge': '\u00e9' * 80}),
    ]
    for i, r in enumerate(reqs):
        write('rpc', 'req-%02d' % i, bytes([15]) + r.encode() + b'\n')
    write('rpc', 'stream', bytes([3]) + '\n'.join(reqs).encode() + b'\n')
    write('rpc', 'too-big', bytes([16 | 15]) + req(1, 'add-flows', {
        'bridge': 'br0', 'flows': ['actions=drop'] * 20}).encode() + b'\n')


# ---- ofp-msg: [version byte: odd 1.3, even 1.0] message ----

OFP_SEEDS = [
    '01040e0060000000020000000000000000000000000000000001000000000000000aff'
    'ffffffffffffffffffffff000000000001001280000a020800800018040a0000020000'
    '00000000000400180000000000000010000000020000000000000000',
    '0104120038000000020001000000000000ff000000ffffffffffffffff000000000000'
    '00000000000000000000000000000001000400000000',
    '0104120018000000040004000000000000ffffffff00000000',
    '01040d0030000000050000ffffffff000fffd001000000000000000001000000000000'
    '00000000000000000000000000000000000000',
    '00010e005800000002003fff4f000000000000000000000000000000000000080000060'
    '00000000000000000000000005000000000000000000000000000008000ffffffffffff'
    '000000060008c0a801010000000800010000',
    '00010d001e00000003ffffffff0001000800000008000000ffffffffffffffffffffffff'
    '080045',
    '0104000010000000010001000800000012',
]


def ofp_seeds():
    for i, h in enumerate(OFP_SEEDS):
        write('ofp-msg', 'seed%d' % i, bytes.fromhex(h))


# ---- ovsdb: a stream of JSON-RPC 1.0 texts ----

def c_strings(path):
    """The string arguments of run(f, "...") calls, adjacent literals
    joined, unescaped."""
    src = open(path).read()
    out = []
    for m in re.finditer(r'run\(f,\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', src):
        parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
        out.append(''.join(parts).encode().decode('unicode_escape'))
    return out


def ovsdb_seeds():
    ops_list = c_strings(os.path.join(ROOT, 'tests/unit/test-ovsdb.c'))
    mon = {'Open_vSwitch': [{'columns': ['next_cfg', 'external_ids']}],
           'Bridge': {'columns': ['name', 'ports']},
           'Port': [{'columns': ['name', 'tag'],
                     'select': {'initial': True, 'modify': True}}]}
    n = 0
    for text in ops_list:
        try:
            ops = json.loads(text)
        except ValueError:
            continue
        if not isinstance(ops, list):
            continue
        msgs = [{'method': 'monitor_cond',
                 'params': ['Open_vSwitch', 'm', mon], 'id': 0},
                {'method': 'transact', 'params': ['Open_vSwitch'] + ops,
                 'id': 1}]
        write('ovsdb', 'txn-%02d' % n,
              ''.join(json.dumps(m, separators=(',', ':')) for m in msgs))
        n += 1
    for v, method in enumerate(['monitor', 'monitor_cond',
                                'monitor_cond_since']):
        params = ['Open_vSwitch', ['id', v], mon]
        if method == 'monitor_cond_since':
            params.append('00000000-0000-0000-0000-000000000000')
        write('ovsdb', 'monitor-%d' % v, json.dumps(
            {'method': method, 'params': params, 'id': v}))
    write('ovsdb', 'echo', '{"method":"echo","params":[],"id":"echo"}'
          '{"id":"x","result":[],"error":null}')


# ---- tc-dump: netlink messages of a filter dump ----

def nla(typ, payload, nested=False):
    if nested:
        typ |= 0x8000
    hdr = struct.pack('=HH', 4 + len(payload), typ)
    pad = (-len(payload)) % 4
    return hdr + payload + bytes(pad)


def tc_filter(ours=True, packets=5, with_stats=True, kind=b'flower\0',
              handle=1, prio=1, proto=0x0800):
    tm = struct.pack('=QQQQ', 100, 200, 300, 0)          # struct tcf_t
    act_opts = nla(1, tm) + nla(2, bytes(20))            # GACT_TM, PARMS
    act = nla(1, b'gact\0') + nla(2, act_opts, nested=True)
    if with_stats:
        act += nla(4, nla(1, struct.pack('=QI', 1000, packets) + bytes(4)),
                   nested=True)
    if ours:
        act += nla(6, b'FlowTier' + bytes(8))
    acts = nla(1, act, nested=True)
    opts = nla(3, acts, nested=True) + nla(1, struct.pack('=I', 7))
    body = struct.pack('=BxxxiIII', 0, 3, handle, 0xfffffff2,
                       (prio << 16) | proto)
    body += nla(1, kind) + nla(2, opts, nested=True)
    return struct.pack('=IHHII', 16 + len(body), 44, 2, 1, 0) + body


def tc_seeds():
    write('tc-dump', 'ours', tc_filter())
    write('tc-dump', 'not-ours', tc_filter(ours=False))
    write('tc-dump', 'no-stats', tc_filter(with_stats=False))
    write('tc-dump', 'u32', tc_filter(kind=b'u32\0'))
    write('tc-dump', 'dump-of-three', tc_filter() + tc_filter(handle=2)
          + tc_filter(ours=False, prio=2, proto=0x86dd))
    write('tc-dump', 'done', struct.pack('=IHHIIi', 20, 3, 2, 1, 0, 0))


# ---- kdp-upcall: generic netlink messages of the upcall socket ----

FLOW_KEY_SIZE = 160         # sizeof(struct ft_flow)


def kdp_upcall(cmd=2, frame=None, key=None, whole=True, userspace=False):
    frame = frame if frame is not None else \
        eth(M1, M2, 0x0800, ipv4(6, tcp()))
    key = key if key is not None else \
        struct.pack('=I', 3) + bytes(FLOW_KEY_SIZE - 4)
    body = struct.pack('=BBH', cmd, 1, 0)               # genlmsghdr
    body += nla(3, frame) + nla(5, key)                 # DATA, KEY
    if whole:
        body += nla(8, struct.pack('=I', len(frame)))   # LEN
    if userspace:
        body += nla(7, struct.pack('=QHBBI', 0x1234, 0xffff, 1, 0, 0))
    return struct.pack('=IHHII', 16 + len(body), 0x20, 0, 0, 0) + body


def kdp_seeds():
    write('kdp-upcall', 'miss', kdp_upcall())
    write('kdp-upcall', 'miss-truncated', kdp_upcall(whole=False))
    write('kdp-upcall', 'action', kdp_upcall(cmd=3, userspace=True))
    write('kdp-upcall', 'short-key', kdp_upcall(key=bytes(8)))
    write('kdp-upcall', 'batch', kdp_upcall() + kdp_upcall(cmd=3,
                                                           userspace=True)
          + kdp_upcall(frame=b''))


# ---- journal: [even byte] edits of the reference journal ----

def journal_seeds():
    write('journal', 'edit-none', b'\0')
    for i, off in enumerate([10, 300, 700, 1100, 1500]):
        write('journal', 'edit-flip-%d' % i,
              b'\0' + struct.pack('<HBB', off, 0, ord('x')))
        write('journal', 'edit-cut-%d' % i,
              b'\0' + struct.pack('<HBB', off, 1, 0))
        write('journal', 'edit-insert-%d' % i,
              b'\0' + struct.pack('<HBB', off, 2, ord('\n')))
    write('journal', 'edit-two', b'\0' + struct.pack('<HBBHBB', 900, 0, 0x30,
                                                    1400, 1, 0))


def main():
    for t, gen in [('packet', packet_seeds), ('flow-syntax',
                   flow_syntax_seeds), ('rpc', rpc_seeds),
                   ('ofp-msg', ofp_seeds), ('ovsdb', ovsdb_seeds),
                   ('tc-dump', tc_seeds), ('kdp-upcall', kdp_seeds),
                   ('journal', journal_seeds)]:
        clear(t)
        gen()
    return 0


if __name__ == '__main__':
    sys.exit(main())
