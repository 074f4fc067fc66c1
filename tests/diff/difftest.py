#!/usr/bin/python3
"""difftest.py - differential test of FlowTier's pipeline translation
against Open vSwitch 3.1.

The same OpenFlow table (an 'ovs-ofctl add-flows' file) and the same packet
(an ovs-ofctl flow string) go to both switches:

  - Open vSwitch: a private ovsdb-server + ovs-vswitchd started by
    ovs-sandbox.sh (userspace datapath, dummy ports p1..pN with OpenFlow
    ports 1..N); the table is loaded with ovs-ofctl and the packet traced
    with 'ofproto/trace' over the daemon's control socket;
  - FlowTier: 'flowtier trace --flows FILE --port p1=1 ... FLOW'.

The "Datapath actions:" lines must be equal once OVS's datapath port
numbers are mapped to OpenFlow port numbers.  The only other
canonicalizations are the documented ones for flooding and for OVS's
native tunnelling (tnl_push) on the tunnel bridge br1 (see README.md).

Cases: the hand-written seed scenarios in seeds/ (NAME.flows plus
NAME.packets) and tables from a seeded random generator.

Exit status: 0 when every case matched, 1 otherwise (including when Open
vSwitch is missing or a generated table is rejected by OVS).  The last
line printed is "N passed, M failed".
"""

import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SANDBOX = os.path.join(HERE, 'ovs-sandbox.sh')
SEEDS = os.path.join(HERE, 'seeds')

OFPP_LOCAL = 65534
N_PORTS = 4

# The tunnel bridge: plain ports and VXLAN ports with the same options on
# both switches (Interface options on OVS, --port ...,type=vxlan,options:
# on FlowTier).  Each VXLAN port has a UDP port of its own, because OVS's
# userspace datapath numbers a tunnel port by it (vx1 is datapath port
# 4789): that keeps the datapath-to-OpenFlow port map one to one.
TUNNEL_BRIDGE = 'br1'
TUNNEL_PORTS = [
    ('q1', 1, None),
    ('q2', 2, None),
    ('vx1', 5, [('remote_ip', 'flow'), ('key', 'flow')]),
    ('vx2', 6, [('remote_ip', '172.31.50.2'), ('key', '100'),
                ('dst_port', '4790')]),
    ('vx3', 7, [('remote_ip', 'flow'), ('key', '300'), ('dst_port', '4791'),
                ('ttl', '9'), ('tos', 'inherit'), ('df_default', 'false')]),
]
# OVS's userspace datapath pushes the outer header itself ("native
# tunnelling"): it needs a route and a neighbour for the far end.  They
# live on an underlay bridge of their own whose table sends what its own
# port emits to its one port; every tunnel destination of the seeds is in
# UNDERLAY_NET and reached through UNDERLAY_GW.
UNDERLAY_BRIDGE = 'ul'
UNDERLAY_IP = '172.31.0.1/16'
UNDERLAY_NET = '172.31.0.0/16'
UNDERLAY_GW = '172.31.0.254'
UNDERLAY_GW_MAC = '02:00:00:00:0a:fe'
OVS_PATH = os.environ.get('PATH', '') + ':/usr/sbin:/sbin'


class HarnessError(Exception):
    """A failure of the test setup itself (not a mismatch)."""


# ---------------------------------------------------------------------------
# Open vSwitch side.

class Unixctl:
    """JSON-RPC client for an OVS daemon's unixctl socket.  Much faster than
    running ovs-appctl once per request."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.buf = ''
        self.next_id = 0
        self.decoder = json.JSONDecoder()

    def call(self, method, *params):
        """Returns (result, error): one of them is None."""
        self.next_id += 1
        req = {'id': self.next_id, 'method': method, 'params': list(params)}
        self.sock.sendall(json.dumps(req).encode())
        while True:
            text = self.buf.lstrip()
            if text:
                try:
                    msg, end = self.decoder.raw_decode(text)
                except ValueError:
                    msg = None
                if msg is not None:
                    self.buf = text[end:]
                    if msg.get('id') != self.next_id:
                        continue
                    return msg.get('result'), msg.get('error')
            data = self.sock.recv(1 << 16)
            if not data:
                raise HarnessError('ovs-vswitchd closed its control socket')
            self.buf += data.decode('utf-8', 'replace')

    def close(self):
        self.sock.close()


class OvsSandbox:
    """A running private OVS, started once per test run."""

    def __init__(self, n_ports, verbose=False):
        self.n_ports = n_ports
        self.dir = tempfile.mkdtemp(prefix='ovs-diff.', dir='/tmp')
        self.started = False
        self.ctl = None
        self.verbose = verbose
        self.env = dict(os.environ)
        self.env['PATH'] = OVS_PATH
        for var in ('OVS_RUNDIR', 'OVS_DBDIR', 'OVS_LOGDIR',
                    'OVS_SYSCONFDIR'):
            self.env[var] = self.dir

    def start(self):
        self.started = True
        proc = subprocess.run([SANDBOX, 'start', self.dir,
                               str(self.n_ports)],
                              env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            msg = proc.stderr.strip() or 'ovs-sandbox.sh start failed'
            raise HarnessError(msg)
        ctls = glob.glob(os.path.join(self.dir, 'ovs-vswitchd.*.ctl'))
        if len(ctls) != 1:
            raise HarnessError('cannot find the control socket of '
                               'ovs-vswitchd in %s' % self.dir)
        self.ctl = Unixctl(ctls[0])
        self._add_tunnel_bridge()
        self.maps = self._port_maps()
        self.dp_to_of = self.maps['br0']
        self.flood_orders = self._flood_orders()

    def stop(self):
        if self.ctl:
            self.ctl.close()
            self.ctl = None
        if self.started:
            subprocess.run([SANDBOX, 'stop', self.dir], env=self.env,
                           capture_output=True)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def appctl(self, method, *params):
        result, error = self.ctl.call(method, *params)
        if error is not None:
            raise HarnessError('%s: %s' % (method, str(error).strip()))
        return result

    def _vsctl(self, *args):
        proc = subprocess.run(['ovs-vsctl', '--timeout=20'] + list(args),
                              env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise HarnessError('ovs-vsctl %s: %s' % (' '.join(args),
                                                     proc.stderr.strip()))

    def _add_tunnel_bridge(self):
        """Creates TUNNEL_BRIDGE with TUNNEL_PORTS, and the underlay
        (bridge, address, route, neighbour) that native tunnelling needs
        to emit an outer header."""
        args = []
        for br, mac in ((TUNNEL_BRIDGE, '02:00:00:00:01:fe'),
                        (UNDERLAY_BRIDGE, '02:00:00:00:02:fe')):
            args += ['--', 'add-br', br, '--', 'set', 'bridge', br,
                     'datapath_type=dummy', 'fail-mode=secure',
                     'other-config:hwaddr=' + mac]
        for name, ofport, opts in TUNNEL_PORTS:
            args += ['--', 'add-port', TUNNEL_BRIDGE, name, '--', 'set',
                     'interface', name, 'ofport_request=%d' % ofport,
                     'type=' + ('vxlan' if opts else 'dummy')]
            args += ['options:%s=%s' % kv for kv in opts or []]
        args += ['--', 'add-port', UNDERLAY_BRIDGE, 'u1', '--', 'set',
                 'interface', 'u1', 'type=dummy', 'ofport_request=1']
        self._vsctl(*args)
        proc = subprocess.run(['ovs-ofctl', 'add-flow', UNDERLAY_BRIDGE,
                               'in_port=LOCAL,actions=output:1'],
                              env=self.env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise HarnessError('underlay flow: ' + proc.stderr.strip())
        self.appctl('netdev-dummy/ip4addr', UNDERLAY_BRIDGE, UNDERLAY_IP)
        self.appctl('ovs/route/add', UNDERLAY_NET, UNDERLAY_BRIDGE,
                    UNDERLAY_GW)
        self.appctl('tnl/neigh/set', UNDERLAY_BRIDGE, UNDERLAY_GW,
                    UNDERLAY_GW_MAC)

    def _port_maps(self):
        """Maps datapath port numbers to OpenFlow port numbers, per bridge,
        using 'dpif/show' lines like "    p1 1/2: (dummy)" (ofport/dpport)
        under "  br0:"; the bridge's own port (ofport 65534) stays LOCAL =
        65534."""
        text = self.appctl('dpif/show')
        maps, mapping = {}, None
        for line in text.splitlines():
            m = re.match(r'  (\S+):$', line)
            if m:
                mapping = maps.setdefault(m.group(1), {})
                continue
            m = re.match(r'\s+(\S+) (\d+)/(\d+):', line)
            if m and mapping is not None:
                mapping[int(m.group(3))] = int(m.group(2))
        wants = {
            'br0': set(range(1, self.n_ports + 1)) | {OFPP_LOCAL},
            TUNNEL_BRIDGE: {p[1] for p in TUNNEL_PORTS} | {OFPP_LOCAL},
            UNDERLAY_BRIDGE: {1, OFPP_LOCAL},
        }
        for br, want in wants.items():
            if set(maps.get(br, {}).values()) != want \
                    or len(maps[br]) != len(want):
                raise HarnessError('unexpected OVS ports in dpif/show:\n'
                                   + text)
        return maps

    def _flood_orders(self):
        """OVS floods in the order of its internal port lists (one for
        NORMAL, one for FLOOD and ALL), fixed for a given set of ports.
        Returns {input port: [output tuples]}, in OpenFlow numbers, as
        learned from tracing a broadcast through each kind of flood."""
        path = os.path.join(self.dir, 'flood.flows')
        orders = {}
        for action in ('NORMAL', 'FLOOD', 'ALL'):
            with open(path, 'w') as f:
                f.write('priority=0,actions=%s\n' % action)
            err = self.load(path, False)
            if err:
                raise HarnessError('loading %s: %s' % (action, err))
            for port in list(range(1, self.n_ports + 1)) + ['LOCAL']:
                flow = ('in_port=%s,dl_src=02:00:00:00:00:01,'
                        'dl_dst=ff:ff:ff:ff:ff:ff' % port)
                text, acts = self.trace(flow)
                if acts is None:
                    raise HarnessError('tracing %s: %s' % (flow, text))
                order = tuple(split_top(canonical_ports(acts,
                                                        self.dp_to_of)))
                inp = packet_in_port(flow)
                expect = {port_name(p) for p in range(1, self.n_ports + 1)}
                expect = (expect | {'LOCAL'}) - {port_name(inp)}
                if set(order) != expect or len(order) != len(expect):
                    raise HarnessError('%s from %s floods to %s' %
                                       (action, port, acts))
                if order not in orders.setdefault(inp, []):
                    orders[inp].append(order)
        return orders

    def load(self, flows_file, of13, bridge='br0'):
        """Replaces br0's table with 'flows_file'.  Returns None, or the
        error text of ovs-ofctl."""
        # (replace-flows cannot use OpenFlow 1.0's table_id extension,
        # so the table is emptied and loaded in two steps.)
        proto = ['-O', 'OpenFlow13'] if of13 else []
        for verb in (['del-flows', bridge], ['add-flows', bridge,
                                             flows_file]):
            proc = subprocess.run(['ovs-ofctl'] + proto + verb,
                                  env=self.env, capture_output=True,
                                  text=True)
            if proc.returncode != 0:
                return ((proc.stderr + proc.stdout).strip()
                        or 'exit status %d' % proc.returncode)
        return None

    def canonical(self, acts, bridge):
        """OVS's datapath actions in FlowTier's terms: native tunnel pushes
        as set(tunnel(...)) plus an output to the tunnel port, then
        OpenFlow port numbers."""
        if bridge == TUNNEL_BRIDGE:
            ul_out = [dp for dp, of in self.maps[UNDERLAY_BRIDGE].items()
                      if of == 1][0]
            acts = canonical_tunnels(acts, ul_out)
        return canonical_ports(acts, self.maps[bridge])

    def trace(self, flow, bridge='br0'):
        """Returns (full trace text, datapath actions string)."""
        self.appctl('fdb/flush', bridge)
        result, error = self.ctl.call('ofproto/trace', bridge, flow)
        if error is not None:
            return 'ovs-vswitchd: ' + str(error).strip(), None
        return result, datapath_actions(result)


def datapath_actions(text):
    """The text after the last 'Datapath actions: ' in a trace, or None."""
    found = None
    for line in text.splitlines():
        if line.startswith('Datapath actions: '):
            found = line[len('Datapath actions: '):].strip()
    return found


def needs_of13(flows_text):
    """Whether a flows file needs OpenFlow 1.1+ (instructions, push_vlan).
    Everything else is loaded over OpenFlow 1.0 with Nicira extensions,
    which keeps mod_vlan_vid / mod_vlan_pcp as the OpenFlow 1.0 actions
    ("modify the tag, or push one if there is none") that FlowTier
    implements; over OpenFlow 1.3 ovs-ofctl rewrites them to push_vlan +
    set_field unless the rule's match requires a tag."""
    return re.search(r'\b(goto_table|push_vlan|write_actions|clear_actions)'
                     r'\b', flows_text) is not None


# ---------------------------------------------------------------------------
# FlowTier side.

class FlowTier:
    def __init__(self, exe, n_ports):
        self.exe = exe
        self.port_args = {'br0': [], TUNNEL_BRIDGE: []}
        for i in range(1, n_ports + 1):
            self.port_args['br0'] += ['--port', 'p%d=%d' % (i, i)]
        for name, ofport, opts in TUNNEL_PORTS:
            spec = '%s=%d' % (name, ofport)
            if opts:
                spec += ',type=vxlan' + ''.join(',options:%s=%s' % kv
                                                for kv in opts)
            self.port_args[TUNNEL_BRIDGE] += ['--port', spec]

    def trace(self, flows_file, flow, bridge='br0'):
        cmd = [self.exe, 'trace', '--flows', flows_file] \
            + self.port_args[bridge] + [flow]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=30)
        except subprocess.TimeoutExpired:
            return 'flowtier trace timed out after 30 s', None
        except OSError as e:
            return 'cannot run %s: %s' % (self.exe, e), None
        text = proc.stdout
        if proc.stderr.strip():
            text += '\n[stderr] ' + proc.stderr.strip()
        if proc.returncode != 0:
            return text + '\n[exit status %d]' % proc.returncode, None
        return text, datapath_actions(proc.stdout)


class OvsAsSecond:
    """Stand-in for FlowTier that traces with the same OVS a second time
    and rewrites its floods into ascending port order, as FlowTier floods:
    checks the harness (and that OVS's flooding orders are stable) end to
    end."""

    def __init__(self, ovs):
        self.ovs = ovs

    def trace(self, flows_file, flow, bridge='br0'):
        text, acts = self.ovs.trace(flow, bridge)
        if acts is not None:
            acts = self.ovs.canonical(acts, bridge)
            acts = canonical_floods(
                acts, self.ovs.flood_orders.get(packet_in_port(flow)))
        return text, acts


# ---------------------------------------------------------------------------
# Comparison.

def split_top(s):
    """Splits a datapath action list on the commas outside parentheses."""
    out, depth, cur = [], 0, ''
    for c in s:
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        if c == ',' and depth == 0:
            out.append(cur)
            cur = ''
        else:
            cur += c
    if cur:
        out.append(cur)
    return [x.strip() for x in out]


def port_name(of_port):
    """How FlowTier prints an output port: the OpenFlow number, or LOCAL
    for the bridge's own port."""
    return 'LOCAL' if of_port == OFPP_LOCAL else str(of_port)


def port_key(name):
    return OFPP_LOCAL if name == 'LOCAL' else int(name)


def is_output(tok):
    return tok.isdigit() or tok == 'LOCAL'


def canonical_ports(acts, dp_to_of):
    """Rewrites plain datapath outputs ("3") to OpenFlow port numbers
    (LOCAL for the bridge's own port)."""
    if acts == 'drop':
        return acts
    out = []
    for tok in split_top(acts):
        if tok.isdigit():
            n = int(tok)
            tok = port_name(dp_to_of[n]) if n in dp_to_of else 'dp%d' % n
        out.append(tok)
    return ','.join(out)


TNL_PUSH_RE = re.compile(
    r'tnl_push\(tnl_port\((\d+)\),header\(size=\d+,type=4,eth\([^)]*\),'
    r'ipv4\(src=[0-9.]+,dst=([0-9.]+),proto=17,tos=(\w+),ttl=(\d+),'
    r'frag=(\w+)\),udp\(src=0,dst=(\d+),csum=0x0\),'
    r'vxlan\(flags=0x8000000,vni=(\w+)\)\),out_port\(\d+\)\)$')


def tnl_push_as_set_tunnel(tok, ul_out, following):
    """Rewrites one VXLAN 'tnl_push(...)' of OVS's userspace datapath,
    followed by the underlay's output 'following', into what a datapath
    without native tunnelling is given (FlowTier's form): 'set(tunnel(...))'
    and an output to the tunnel port, which has datapath port number
    tnl_port (one UDP port per tunnel port, see TUNNEL_PORTS).  The outer
    source address and Ethernet header come from OVS's underlay route and
    neighbour table and are dropped.  Returns the two tokens, or None when
    'tok' is not such a push."""
    m = TNL_PUSH_RE.match(tok)
    if not m or following != str(ul_out):
        return None
    dp_port, dst, tos, ttl, frag, tp_dst, vni = m.groups()
    flags = (['df'] if int(frag, 0) & 0x4000 else []) + ['key']
    parts = ['tun_id=%#x' % int(vni, 0), 'dst=' + dst]
    if int(tos, 0):
        parts.append('tos=%#x' % int(tos, 0))
    parts += ['ttl=' + ttl, 'tp_dst=' + tp_dst,
              'flags(%s)' % '|'.join(flags)]
    return ['set(tunnel(%s))' % ','.join(parts), dp_port]


def canonical_tunnels(acts, ul_out):
    """Rewrites every 'tnl_push(...),UL' of 'acts' with
    tnl_push_as_set_tunnel(), also inside a 'clone(...)' holding nothing
    else (OVS clones the push when more actions follow it); anything else
    is left as it is and shows as a mismatch."""
    if acts == 'drop':
        return acts
    toks, out, i = split_top(acts), [], 0
    while i < len(toks):
        tok = toks[i]
        if tok.startswith('clone(') and tok.endswith(')'):
            inner = split_top(tok[len('clone('):-1])
            if len(inner) == 2:
                new = tnl_push_as_set_tunnel(inner[0], ul_out, inner[1])
                if new:
                    out += new
                    i += 1
                    continue
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        new = tnl_push_as_set_tunnel(tok, ul_out, nxt)
        if new:
            out += new
            i += 2
        else:
            out.append(tok)
            i += 1
    return ','.join(out)


def packet_in_port(flow):
    """The OpenFlow input port of an ovs-ofctl flow string."""
    m = re.search(r'(?:^|,)in_port=([^,]+)', flow)
    if not m:
        return None
    v = m.group(1)
    return OFPP_LOCAL if v == 'LOCAL' else int(v)


def canonical_floods(acts, orders):
    """Rewrites every run of plain outputs that is exactly one of 'orders'
    (OVS's flooding orders for the packet's input port) into ascending
    port order, FlowTier's flooding order."""
    if acts is None or acts == 'drop' or not orders:
        return acts
    toks = split_top(acts)
    out, i = [], 0
    while i < len(toks):
        for order in orders:
            n = len(order)
            if tuple(toks[i:i + n]) == order:
                out += sorted(order, key=port_key)
                i += n
                break
        else:
            out.append(toks[i])
            i += 1
    return ','.join(out)


def compare(ovs_acts, ft_acts, orders):
    """Returns True when the actions agree: equal, once some runs of
    outputs in OVS's actions that are exactly one of its flooding 'orders'
    are put in ascending order.  Which runs are floods is not written in
    the actions (an explicit output can sit next to a flood and look like
    the start of another), so every way of picking them is tried."""
    if ovs_acts is None or ft_acts is None:
        return False
    if ovs_acts == ft_acts:
        return True
    if ovs_acts == 'drop' or ft_acts == 'drop':
        return False
    a, b = split_top(ovs_acts), split_top(ft_acts)
    floods = [(list(o), sorted(o, key=port_key)) for o in orders or []]
    seen = set()

    def walk(i, j):
        if (i, j) in seen:
            return False
        seen.add((i, j))
        if i == len(a) or j == len(b):
            return i == len(a) and j == len(b)
        for order, ascending in floods:
            n = len(order)
            if a[i:i + n] == order and b[j:j + n] == ascending \
                    and walk(i + n, j + n):
                return True
        return a[i] == b[j] and walk(i + 1, j + 1)

    return walk(0, 0)


# ---------------------------------------------------------------------------
# Random flow tables.

MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03',
        '02:00:00:00:00:04', '02:00:00:00:00:50']
MCAST_MACS = ['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '33:33:00:00:00:01']
IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.50', '10.0.1.7',
       '192.168.1.1', '172.16.5.4']
IP6S = ['fd00::1', 'fd00::2', 'fd00::50', 'fd00:1::7', '2001:db8::1']
TP_PORTS = [22, 53, 80, 443, 1000, 5001]
VLANS = [10, 20, 100]


def ip_to_int(ip):
    a = [int(x) for x in ip.split('.')]
    return (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]


def int_to_ip(n):
    return '.'.join(str((n >> s) & 255) for s in (24, 16, 8, 0))


def prefix_mask(plen):
    return (0xffffffff << (32 - plen)) & 0xffffffff if plen else 0


# Protocol families: (keyword, dl_type, nw_proto, is_ipv6).
FAMILIES = {
    'ip': (0x0800, None, False), 'tcp': (0x0800, 6, False),
    'udp': (0x0800, 17, False), 'icmp': (0x0800, 1, False),
    'arp': (0x0806, None, False), 'ipv6': (0x86dd, None, True),
    'tcp6': (0x86dd, 6, True), 'udp6': (0x86dd, 17, True),
    'icmp6': (0x86dd, 58, True),
}


class Packet:
    """A packet as a set of fields; prints as an ovs-ofctl flow string."""

    def __init__(self, rng, n_ports, family=None):
        self.in_port = rng.choice(list(range(1, n_ports + 1)) * 10
                                  + ['LOCAL'])
        self.family = family or rng.choice(
            ['tcp'] * 6 + ['udp'] * 3 + ['icmp'] * 2 + ['ipother']
            + ['arp'] * 3 + ['tcp6', 'udp6', 'icmp6', 'ipv6other']
            + ['l2'])
        self.dl_src = rng.choice(MACS)
        self.dl_dst = rng.choice(MACS + MCAST_MACS)
        if rng.random() < 0.02:
            self.dl_dst = '01:80:c2:00:00:00'
        self.vlan = None
        if rng.random() < 0.3:
            self.vlan = (rng.choice(VLANS), rng.choice([0, 0, 3, 5]))
        self.nw_src = rng.choice(IPS)
        self.nw_dst = rng.choice(IPS)
        self.ip6_src = rng.choice(IP6S)
        self.ip6_dst = rng.choice(IP6S)
        self.nw_tos = rng.choice([0, 0, 0, 32, 184])
        self.nw_proto_other = 47
        self.tp_src = rng.choice(TP_PORTS + [40000, 40001])
        self.tp_dst = rng.choice(TP_PORTS)
        self.tcp_flags = rng.choice([0x002, 0x010, 0x012, 0x011, 0x018])
        self.icmp_type = rng.choice([8, 0, 3])
        self.icmp_code = 0
        self.arp_op = rng.choice([1, 2])
        self.dl_type_other = 0x88cc

    # Family predicates.
    def is_ipv4(self):
        return self.family in ('tcp', 'udp', 'icmp', 'ipother')

    def is_ipv6(self):
        return self.family in ('tcp6', 'udp6', 'icmp6', 'ipv6other')

    def dl_type(self):
        if self.is_ipv4():
            return 0x0800
        if self.is_ipv6():
            return 0x86dd
        if self.family == 'arp':
            return 0x0806
        return self.dl_type_other

    def nw_proto(self):
        return {'tcp': 6, 'udp': 17, 'icmp': 1, 'tcp6': 6, 'udp6': 17,
                'icmp6': 58, 'ipother': self.nw_proto_other,
                'ipv6other': self.nw_proto_other}.get(self.family)

    def flow_string(self):
        f = self.family
        head = {'ipother': 'ip', 'ipv6other': 'ipv6',
                'l2': 'dl_type=0x%04x' % self.dl_type_other}.get(f, f)
        parts = [head, 'in_port=%s' % self.in_port]
        if self.vlan:
            parts += ['dl_vlan=%d' % self.vlan[0],
                      'dl_vlan_pcp=%d' % self.vlan[1]]
        parts += ['dl_src=' + self.dl_src, 'dl_dst=' + self.dl_dst]
        if self.is_ipv4():
            parts += ['nw_src=' + self.nw_src, 'nw_dst=' + self.nw_dst]
        elif self.is_ipv6():
            parts += ['ipv6_src=' + self.ip6_src,
                      'ipv6_dst=' + self.ip6_dst]
        if self.is_ipv4() or self.is_ipv6():
            if f in ('ipother', 'ipv6other'):
                parts.append('nw_proto=%d' % self.nw_proto_other)
            parts += ['nw_tos=%d' % self.nw_tos, 'nw_ttl=64']
        if f in ('tcp', 'tcp6'):
            parts += ['tcp_src=%d' % self.tp_src, 'tcp_dst=%d' % self.tp_dst,
                      'tcp_flags=0x%03x' % self.tcp_flags]
        elif f in ('udp', 'udp6'):
            parts += ['udp_src=%d' % self.tp_src, 'udp_dst=%d' % self.tp_dst]
        elif f == 'icmp':
            parts += ['icmp_type=%d' % self.icmp_type,
                      'icmp_code=%d' % self.icmp_code]
        elif f == 'icmp6':
            parts += ['icmpv6_type=%d' % (128 + self.icmp_type % 2),
                      'icmpv6_code=0']
        elif f == 'arp':
            parts += ['arp_spa=' + self.nw_src, 'arp_tpa=' + self.nw_dst,
                      'arp_op=%d' % self.arp_op,
                      'arp_sha=' + self.dl_src,
                      'arp_tha=' + ('00:00:00:00:00:00' if self.arp_op == 1
                                    else self.dl_dst)]
        return ','.join(parts)


class Rule:
    def __init__(self, table, priority):
        self.table = table
        self.priority = priority
        self.family = None      # Protocol keyword in the match, or None.
        self.match = []         # (text, applier) pairs.
        self.vlan = None        # 'tagged', 'untagged' or None (unknown).
        self.actions = []

    def text(self):
        m = ['table=%d' % self.table, 'priority=%d' % self.priority]
        if self.family:
            m.append(self.family)
        m += [t for t, _ in self.match]
        acts = ','.join(self.actions) if self.actions else 'drop'
        return ','.join(m) + ',actions=' + acts

    def make_packet(self, rng, n_ports):
        """A packet that matches this rule as far as packet fields go
        (registers and metadata come from earlier tables)."""
        fam = {'ip': rng.choice(['tcp', 'udp', 'icmp', 'ipother']),
               'ipv6': rng.choice(['tcp6', 'udp6', 'icmp6', 'ipv6other']),
               None: None}.get(self.family, self.family)
        p = Packet(rng, n_ports, fam)
        if self.vlan == 'tagged' and not p.vlan:
            p.vlan = (rng.choice(VLANS), 0)
        elif self.vlan == 'untagged':
            p.vlan = None
        for _, apply in self.match:
            if apply:
                apply(p)
        return p


class Generator:
    """Random flow tables over the syntax both switches support."""

    def __init__(self, rng, n_ports, partial_writes=False):
        self.rng = rng
        self.n_ports = n_ports
        self.partial_writes = partial_writes

    def port(self):
        return self.rng.randint(1, self.n_ports)

    # --- matches -----------------------------------------------------------

    def add_match(self, rule):
        rng = self.rng
        r = rng.random()
        if r < 0.7:
            rule.family = rng.choice(['ip', 'tcp', 'tcp', 'udp', 'icmp',
                                      'arp', 'ipv6', 'tcp6', 'udp6',
                                      'icmp6'])
        n = rng.choice([0, 1, 1, 2, 2, 3])
        choices = ['in_port', 'dl_src', 'dl_dst', 'vlan', 'reg',
                   'metadata']
        fam = rule.family
        if fam in ('ip', 'tcp', 'udp', 'icmp'):
            choices += ['nw_src', 'nw_dst', 'nw_dst', 'nw_tos']
        if fam == 'ip':
            choices += ['nw_proto']
        if fam in ('ipv6', 'tcp6', 'udp6', 'icmp6'):
            choices += ['ipv6_src', 'ipv6_dst']
        if fam in ('tcp', 'udp', 'tcp6', 'udp6'):
            choices += ['tp_src', 'tp_dst', 'tp_dst']
        if fam in ('tcp', 'tcp6'):
            choices += ['tcp_flags']
        if fam == 'icmp':
            choices += ['icmp_type']
        if fam == 'arp':
            choices += ['arp_spa', 'arp_tpa', 'arp_op']
        if fam is None and rng.random() < 0.1:
            choices += ['dl_type']
        used = set()
        for _ in range(n):
            c = rng.choice(choices)
            if c in used:
                continue
            used.add(c)
            getattr(self, 'm_' + c)(rule)

    def m_dl_type(self, rule):
        rule.match.append(('dl_type=0x88cc', lambda p: (
            setattr(p, 'family', 'l2'), setattr(p, 'dl_type_other',
                                                0x88cc))))

    def m_in_port(self, rule):
        port = self.port()
        rule.match.append(('in_port=%d' % port,
                           lambda p: setattr(p, 'in_port', port)))

    def _mac_match(self, rule, field):
        rng = self.rng
        if rng.random() < 0.2:
            # The multicast bit.
            bit = rng.choice(['01:00:00:00:00:00', '00:00:00:00:00:00'])
            mac = rng.choice(MCAST_MACS) if bit[1] == '1' \
                else rng.choice(MACS)
            rule.match.append(('%s=%s/01:00:00:00:00:00' % (field, bit),
                               lambda p: setattr(p, field, mac)))
        else:
            mac = rng.choice(MACS + (MCAST_MACS if field == 'dl_dst'
                                     else []))
            rule.match.append(('%s=%s' % (field, mac),
                               lambda p: setattr(p, field, mac)))

    def m_dl_src(self, rule):
        self._mac_match(rule, 'dl_src')

    def m_dl_dst(self, rule):
        self._mac_match(rule, 'dl_dst')

    def m_vlan(self, rule):
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            vid = rng.choice(VLANS)
            rule.vlan = 'tagged'
            rule.match.append(('dl_vlan=%d' % vid, lambda p: setattr(
                p, 'vlan', (vid, p.vlan[1] if p.vlan else 0))))
        elif r < 0.6:
            rule.vlan = 'tagged'
            rule.match.append(('vlan_tci=0x1000/0x1000', lambda p: None))
        elif r < 0.8:
            rule.vlan = 'untagged'
            rule.match.append(('vlan_tci=0x0000', lambda p: setattr(
                p, 'vlan', None)))
        else:
            vid = rng.choice(VLANS)
            pcp = rng.choice([0, 3])
            rule.vlan = 'tagged'
            rule.match.append(('dl_vlan=%d,dl_vlan_pcp=%d' % (vid, pcp),
                               lambda p: setattr(p, 'vlan', (vid, pcp))))

    def m_reg(self, rule):
        rng = self.rng
        reg = rng.randint(0, 3)
        if rng.random() < 0.7:
            rule.match.append(('reg%d=%d' % (reg, rng.randint(0, 3)), None))
        else:
            rule.match.append(('reg%d=0x%x/0x%x' % (reg, rng.randint(0, 3),
                                                    3), None))

    def m_metadata(self, rule):
        rng = self.rng
        if rng.random() < 0.6:
            rule.match.append(('metadata=0x%x' % rng.randint(0, 3), None))
        else:
            rule.match.append(('metadata=0x%x/0xf' % rng.randint(0, 3),
                               None))

    def _ip_match(self, rule, field, attr):
        rng = self.rng
        ip = rng.choice(IPS)
        plen = rng.choice([32, 32, 24, 16, 8, 28])
        base = int_to_ip(ip_to_int(ip) & prefix_mask(plen))
        text = '%s=%s' % (field, base) if plen == 32 else \
            '%s=%s/%d' % (field, base, plen)
        rule.match.append((text, lambda p: setattr(p, attr, ip)))

    def m_nw_src(self, rule):
        self._ip_match(rule, 'nw_src', 'nw_src')

    def m_nw_dst(self, rule):
        self._ip_match(rule, 'nw_dst', 'nw_dst')

    def m_arp_spa(self, rule):
        self._ip_match(rule, 'arp_spa', 'nw_src')

    def m_arp_tpa(self, rule):
        self._ip_match(rule, 'arp_tpa', 'nw_dst')

    def m_arp_op(self, rule):
        op = self.rng.choice([1, 2])
        rule.match.append(('arp_op=%d' % op,
                           lambda p: setattr(p, 'arp_op', op)))

    def m_nw_tos(self, rule):
        tos = self.rng.choice([0, 32, 184])
        rule.match.append(('nw_tos=%d' % tos,
                           lambda p: setattr(p, 'nw_tos', tos)))

    def m_nw_proto(self, rule):
        proto = self.rng.choice([6, 17, 1, 47])
        fam = {6: 'tcp', 17: 'udp', 1: 'icmp', 47: 'ipother'}[proto]
        rule.match.append(('nw_proto=%d' % proto,
                           lambda p: setattr(p, 'family', fam)))

    def _ip6_match(self, rule, field, attr):
        rng = self.rng
        ip = rng.choice(IP6S)
        if rng.random() < 0.5:
            text = '%s=%s' % (field, ip)
        else:
            text = '%s=%s/%d' % (field, ip.split('::')[0] + '::', 64)
        rule.match.append((text, lambda p: setattr(p, attr, ip)))

    def m_ipv6_src(self, rule):
        self._ip6_match(rule, 'ipv6_src', 'ip6_src')

    def m_ipv6_dst(self, rule):
        self._ip6_match(rule, 'ipv6_dst', 'ip6_dst')

    def _tp_match(self, rule, field):
        rng = self.rng
        attr = field
        if rng.random() < 0.75:
            port = rng.choice(TP_PORTS)
            rule.match.append(('%s=%d' % (field, port),
                               lambda p: setattr(p, attr, port)))
        else:
            port = rng.choice(TP_PORTS)
            rule.match.append(('%s=0x%x/0xfff0' % (field, port & 0xfff0),
                               lambda p: setattr(p, attr, port)))

    def m_tp_src(self, rule):
        self._tp_match(rule, 'tp_src')

    def m_tp_dst(self, rule):
        self._tp_match(rule, 'tp_dst')

    def m_tcp_flags(self, rule):
        rng = self.rng
        form = rng.choice([('+syn-ack', 0x002), ('+ack', 0x010),
                           ('0x002/0x012', 0x002), ('+syn+ack', 0x012)])
        rule.match.append(('tcp_flags=' + form[0],
                           lambda p: setattr(p, 'tcp_flags', form[1])))

    def m_icmp_type(self, rule):
        t = self.rng.choice([0, 8])
        rule.match.append(('icmp_type=%d' % t,
                           lambda p: setattr(p, 'icmp_type', t)))

    # --- actions -----------------------------------------------------------

    def add_actions(self, rule, n_tables, of13):
        rng = self.rng
        fam = rule.family
        is_ip4 = fam in ('ip', 'tcp', 'udp', 'icmp')
        is_ip6 = fam in ('ipv6', 'tcp6', 'udp6', 'icmp6')
        l4 = fam in ('tcp', 'udp', 'tcp6', 'udp6')
        # Whether the packet surely carries a tag at this point of the
        # action list (OVS requires it for set_field to vlan_vid/pcp).
        tagged = rule.vlan == 'tagged'
        acts = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            kinds = ['output', 'output', 'mod_dl', 'load_reg',
                     'mod_vlan_vid', 'mod_vlan_pcp', 'strip_vlan']
            if self.partial_writes:
                kinds += ['load_bits']
            # Packets carry at most one tag and OVS holds at most two:
            # one push, in table 0 only, never makes a third.
            if of13 and rule.table == 0 and not any(
                    a.startswith('push_vlan') for a in acts):
                kinds += ['push_vlan']
            if is_ip4:
                kinds += ['mod_nw', 'mod_nw_tos', 'dec_ttl', 'set_ip'] * 2
            if is_ip6:
                kinds += ['dec_ttl', 'mod_nw_tos', 'set_ip6', 'set_ip6']
            if l4:
                kinds += ['mod_tp', 'set_tp'] * 2
            if tagged:
                kinds += ['set_vlan_field']
            k = rng.choice(kinds)
            if k == 'output':
                acts.append(self.output_action())
            elif k == 'mod_dl':
                which = rng.choice(['mod_dl_src', 'mod_dl_dst',
                                    'set_field:%s->eth_dst',
                                    'set_field:%s->eth_src'])
                mac = rng.choice(MACS + ['02:00:00:00:00:99'])
                if which.startswith('set_field'):
                    acts.append(which % mac)
                else:
                    acts.append('%s:%s' % (which, mac))
            elif k == 'load_bits':
                # Partial writes: masked datapath set actions.
                acts.append(rng.choice(
                    ['load:1->NXM_OF_ETH_DST[40]',
                     'load:0x%x->NXM_OF_ETH_SRC[0..7]' % rng.randint(0, 255),
                     'load:0x%x->NXM_OF_IP_DST[0..7]' % rng.randint(0, 255)
                     if is_ip4 else 'load:0->NXM_OF_ETH_DST[0..3]',
                     'load:0x%x->NXM_OF_%s_DST[0..7]'
                     % (rng.randint(0, 255),
                        'TCP' if fam in ('tcp', 'tcp6') else 'UDP')
                     if l4 else 'load:0xf->NXM_OF_ETH_SRC[4..7]']))
            elif k == 'load_reg':
                reg = rng.randint(0, 3)
                val = rng.randint(0, 3)
                form = rng.choice(['load:%d->NXM_NX_REG%d[]' % (val, reg),
                                   'load:%d->reg%d[0..1]' % (val, reg),
                                   'set_field:%d->reg%d' % (val, reg)])
                acts.append(form)
            elif k in ('mod_vlan_vid', 'mod_vlan_pcp'):
                # Over OpenFlow 1.3 ovs-ofctl turns these into push_vlan +
                # set_field when the rule does not match a tag: there the
                # OpenFlow 1.0 meaning ("push if untagged") is lost, so
                # they are used only where a tag is known.
                if of13 and not tagged:
                    continue
                if k == 'mod_vlan_vid':
                    acts.append('mod_vlan_vid:%d' % rng.choice(VLANS))
                else:
                    acts.append('mod_vlan_pcp:%d' % rng.choice([1, 4, 7]))
                tagged = True
            elif k == 'set_vlan_field':
                if rng.random() < 0.5:
                    acts.append('set_field:%d->vlan_vid'
                                % (0x1000 | rng.choice(VLANS)))
                else:
                    acts.append('set_field:%d->vlan_pcp'
                                % rng.choice([2, 6]))
            elif k == 'strip_vlan':
                # OpenFlow 1.1+ pop_vlan requires a tag in the match.
                if of13 and not tagged:
                    continue
                acts.append(rng.choice(['strip_vlan', 'pop_vlan']))
                tagged = False
            elif k == 'push_vlan':
                acts.append(rng.choice(['push_vlan:0x8100'] * 4
                                       + ['push_vlan:0x88a8']))
                acts.append('set_field:%d->vlan_vid'
                            % (0x1000 | rng.choice(VLANS)))
                tagged = True
            elif k == 'mod_nw':
                acts.append('%s:%s' % (rng.choice(['mod_nw_src',
                                                   'mod_nw_dst']),
                                       rng.choice(IPS)))
            elif k == 'set_ip':
                acts.append('set_field:%s->%s' % (rng.choice(IPS),
                                                  rng.choice(['ip_src',
                                                              'ip_dst'])))
            elif k == 'set_ip6':
                acts.append('set_field:%s->%s' % (rng.choice(IP6S),
                                                  rng.choice(['ipv6_src',
                                                              'ipv6_dst'])))
            elif k == 'mod_nw_tos':
                acts.append('mod_nw_tos:%d' % rng.choice([0, 32, 64, 184]))
            elif k == 'dec_ttl':
                acts.append('dec_ttl')
            elif k == 'mod_tp':
                acts.append('%s:%d' % (rng.choice(['mod_tp_src',
                                                   'mod_tp_dst']),
                                       rng.choice(TP_PORTS)))
            elif k == 'set_tp':
                proto = 'tcp' if fam in ('tcp', 'tcp6') else 'udp'
                acts.append('set_field:%d->%s_%s'
                            % (rng.choice(TP_PORTS), proto,
                               rng.choice(['src', 'dst'])))
        later = list(range(rule.table + 1, n_tables))
        # Terminal: continue the pipeline, output, or nothing.
        r = rng.random()
        if later and r < 0.35:
            t = rng.choice(later)
            acts.append('resubmit(,%d)' % t)
            if rng.random() < 0.3:
                acts.append(self.output_action())
        elif r < 0.75:
            acts.append(self.output_action())
        if of13 and later and rng.random() < 0.5:
            if rng.random() < 0.4:
                acts.append('write_metadata:0x%x/0xf' % rng.randint(0, 3))
            acts.append('goto_table:%d' % rng.choice(later))
        rule.actions = acts

    def output_action(self):
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            return rng.choice(['output:%d', '%d']) % self.port()
        if r < 0.6:
            return 'NORMAL'
        if r < 0.7:
            return 'FLOOD'
        if r < 0.75:
            return 'ALL'
        if r < 0.82:
            return 'IN_PORT'
        if r < 0.86:
            return 'LOCAL'
        return 'output:%d' % self.port()

    # --- tables ------------------------------------------------------------

    def table(self):
        """Returns (rules, of13)."""
        rng = self.rng
        n_tables = rng.choice([1, 2, 2, 3, 4])
        of13 = rng.random() < 0.4
        rules = []
        for t in range(n_tables):
            prios = rng.sample(range(1, 200), rng.randint(1, 5))
            for prio in sorted(prios, reverse=True):
                rule = Rule(t, prio)
                self.add_match(rule)
                self.add_actions(rule, n_tables, of13)
                rules.append(rule)
            if rng.random() < 0.7:
                rule = Rule(t, 0)
                self.add_actions(rule, n_tables, of13)
                rules.append(rule)
        return rules, of13

    def packets(self, rules, count):
        rng = self.rng
        out = []
        for i in range(count):
            if i < count - 1 and rules:
                # Mostly packets aimed at a rule, table 0 first.
                t0 = [r for r in rules if r.table == 0]
                rule = rng.choice(t0 if t0 and rng.random() < 0.7
                                  else rules)
                out.append(rule.make_packet(rng, self.n_ports))
            else:
                out.append(Packet(rng, self.n_ports))
        return [p.flow_string() for p in out]


# ---------------------------------------------------------------------------
# Running cases.

def seed_bridge(flows_text):
    """The bridge a seed's table goes to: br0, or the one its
    '# bridge: NAME' line names (TUNNEL_BRIDGE is the only other)."""
    m = re.search(r'^# bridge: (\S+)$', flows_text, re.M)
    if not m:
        return 'br0'
    if m.group(1) != TUNNEL_BRIDGE:
        raise HarnessError('seed names bridge %s; there are br0 and %s'
                           % (m.group(1), TUNNEL_BRIDGE))
    return m.group(1)


def read_packets(path):
    pkts = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                pkts.append(line)
    return pkts


class Runner:
    def __init__(self, ovs, second, workdir, max_report, verbose):
        self.ovs = ovs
        self.verbose = verbose
        self.second = second
        self.workdir = workdir
        self.passed = 0
        self.failed = 0
        self.reported = 0
        self.max_report = max_report
        self.failures = []

    def run_table(self, name, flows_text, packets, bridge='br0'):
        path = os.path.join(self.workdir, name + '.flows')
        with open(path, 'w') as f:
            f.write(flows_text)
        err = self.ovs.load(path, needs_of13(flows_text), bridge)
        if err is not None:
            raise HarnessError('OVS rejected table %s (a bug in the seed '
                               'or the generator):\n%s\n--- table:\n%s'
                               % (name, err, flows_text))
        for pkt in packets:
            ovs_text, ovs_acts = self.ovs.trace(pkt, bridge)
            if ovs_acts is None:
                raise HarnessError('OVS could not trace packet %s of %s:\n%s'
                                   % (pkt, name, ovs_text))
            ovs_acts = self.ovs.canonical(ovs_acts, bridge)
            ft_text, ft_acts = self.second.trace(path, pkt, bridge)
            if self.verbose:
                print('%s: %s\n  -> %s' % (name, pkt, ovs_acts))
            orders = self.ovs.flood_orders.get(packet_in_port(pkt)) \
                if bridge == 'br0' else None
            if compare(ovs_acts, ft_acts, orders):
                self.passed += 1
                continue
            self.failed += 1
            self.failures.append((name, pkt, ovs_acts, ft_acts))
            self.report(name, flows_text, pkt, ovs_text, ovs_acts, ft_text,
                        ft_acts)

    def report(self, name, flows_text, pkt, ovs_text, ovs_acts, ft_text,
               ft_acts):
        self.reported += 1
        if self.reported > self.max_report:
            print('MISMATCH %s: %s\n  ovs:      %s\n  flowtier: %s'
                  % (name, pkt, ovs_acts, ft_acts))
            return
        print('=' * 72)
        print('MISMATCH in %s' % name)
        print('--- table:')
        print(flows_text.rstrip())
        print('--- packet:')
        print(pkt)
        print('--- Open vSwitch (ofproto/trace):')
        print(ovs_text.rstrip())
        print('--- FlowTier (flowtier trace):')
        print(ft_text.rstrip())
        print('--- datapath actions (OVS ports mapped to OpenFlow ports):')
        print('  ovs:      %s' % ovs_acts)
        print('  flowtier: %s' % ft_acts)
        orders = self.ovs.flood_orders.get(packet_in_port(pkt), [])
        print('  (OVS floods from this port as: %s)'
              % ' or '.join(','.join(o) for o in orders))
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('flowtier', nargs='?',
                    help='path of the flowtier executable')
    ap.add_argument('--ovs-only', action='store_true',
                    help='compare OVS with itself (checks the harness)')
    ap.add_argument('--seed', type=int,
                    default=int(os.environ.get('FT_DIFF_SEED', '1')),
                    help='random seed (default 1, or $FT_DIFF_SEED)')
    ap.add_argument('--tables', type=int,
                    default=int(os.environ.get('FT_DIFF_TABLES', '250')),
                    help='number of random tables (default 250)')
    ap.add_argument('--packets', type=int, default=5,
                    help='packets per random table (default 5)')
    ap.add_argument('--partial-writes', dest='partial_writes',
                    action='store_true',
                    default=os.environ.get('FT_DIFF_PARTIAL_WRITES') != '0',
                    help='also write parts of header fields (load:..->'
                    'NXM_OF_ETH_DST[40]); the default')
    ap.add_argument('--no-partial-writes', dest='partial_writes',
                    action='store_false',
                    help='write whole header fields only')
    ap.add_argument('--no-seeds', action='store_true',
                    help='skip the seed scenarios')
    ap.add_argument('--max-report', type=int, default=20,
                    help='mismatches reported in full (default 20)')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='print every packet and its OVS actions')
    ap.add_argument('--keep', metavar='DIR',
                    help='write the generated tables into DIR')
    args = ap.parse_args()

    if not args.ovs_only and not args.flowtier:
        ap.error('give the flowtier executable, or --ovs-only')
    if args.flowtier and not os.access(args.flowtier, os.X_OK):
        print('difftest: %s is not an executable' % args.flowtier)
        print('0 passed, 1 failed')
        return 1

    ovs = OvsSandbox(N_PORTS)

    def on_signal(signum, frame):
        raise KeyboardInterrupt('signal %d' % signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    workdir = args.keep or tempfile.mkdtemp(prefix='ft-diff.', dir='/tmp')
    os.makedirs(workdir, exist_ok=True)
    runner = None
    status = 1
    try:
        ovs.start()
        second = OvsAsSecond(ovs) if args.ovs_only \
            else FlowTier(os.path.abspath(args.flowtier), N_PORTS)
        runner = Runner(ovs, second, workdir, args.max_report,
                        args.verbose)
        if not args.no_seeds:
            for flows in sorted(glob.glob(os.path.join(SEEDS, '*.flows'))):
                name = os.path.basename(flows)[:-len('.flows')]
                with open(flows) as f:
                    text = f.read()
                runner.run_table('seed-' + name, text,
                                 read_packets(flows[:-len('.flows')]
                                              + '.packets'),
                                 seed_bridge(text))
            n_seed = runner.passed + runner.failed
            print('seed scenarios: %d packets, %d mismatches'
                  % (n_seed, runner.failed))
        rng = random.Random(args.seed)
        gen = Generator(rng, N_PORTS, args.partial_writes)
        for i in range(args.tables):
            rules, of13 = gen.table()
            text = ''.join(r.text() + '\n' for r in rules)
            pkts = gen.packets(rules, args.packets)
            runner.run_table('random-%d-%04d' % (args.seed, i), text, pkts)
        print('random tables: %d (seed %d)' % (args.tables, args.seed))
        status = 0 if runner.failed == 0 else 1
    except HarnessError as e:
        print('difftest: %s' % e)
        status = 1
    except KeyboardInterrupt as e:
        print('difftest: interrupted (%s)' % e)
        status = 1
    finally:
        ovs.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    passed = runner.passed if runner else 0
    failed = runner.failed if runner else 0
    if status != 0 and failed == 0:
        failed = 1      # The harness itself failed: never report success.
    print('%d passed, %d failed' % (passed, failed))
    return status


if __name__ == '__main__':
    sys.exit(main())
