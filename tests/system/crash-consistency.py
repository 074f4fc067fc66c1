#!/usr/bin/env python3
"""crash-consistency.py - flowtierd killed with SIGKILL at random moments
while it commits configuration changes, and while it adds 100,000 flows;
after every restart each acknowledged change is there, no transaction is
half applied, and the database always loads.  Run by
tests/system/test-crash.sh (which provides the network namespace, the
directories and the cleanup); it starts and kills the daemon itself.

usage: crash-consistency.py commits FLOWTIERD SECONDS
       crash-consistency.py add-flows FLOWTIER FLOWTIERD TRIALS N_FLOWS
(FLOWTIER_RUNDIR and FLOWTIER_DBDIR name the daemon's directories.)

commits: one client sends transactions back to back over the control
socket, each setting key aN on Bridge br0 and key cN on Interface br0
(two rows, one transaction); a timer kills the daemon 20 to 400 ms into
each life.  The request in flight when the daemon dies is "unknown": it
may have landed or not, but both of its keys or neither.  Every restart
checks: both maps hold the same keys (nothing half applied), every
acknowledged key is there, nothing newer than the request in flight is,
and a key once seen absent never comes back.  Prints one summary line.

add-flows: per trial, a new bridge gets N_FLOWS flows in one add-flows
(the flowtier CLI, as a user runs it), and the daemon is killed during
it: at a random moment (trials 0, 3, ...), once the commit's record is
whole in the journal (1, 4, ...), or as it is being written (2, 5, ...).
After the restart the bridge has all of them or none (all of them if the
CLI had reported success).
"""
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

RUNDIR = os.environ['FLOWTIER_RUNDIR']
DBDIR = os.environ['FLOWTIER_DBDIR']
SOCK = os.path.join(RUNDIR, 'flowtierd.sock')
LOG = os.path.join(os.path.dirname(RUNDIR), 'crash-flowtierd.log')


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    try:
        with open(LOG) as f:
            tail = f.readlines()[-10:]
        print('daemon log:\n' + ''.join(tail), file=sys.stderr)
    except OSError:
        pass
    sys.exit(1)


class Daemon:
    """flowtierd in the foreground, as a child, so it can be killed and
    reaped at any moment."""

    def __init__(self, ftd):
        self.ftd = ftd
        self.proc = None
        self.starts = 0

    def start(self):
        self.proc = subprocess.Popen(
            [self.ftd, '--rundir=' + RUNDIR, '--dbdir=' + DBDIR,
             '--log-file=' + LOG], stdin=subprocess.DEVNULL)
        self.starts += 1
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail('flowtierd did not start after a kill (exit %d): the '
                     'database did not load' % self.proc.returncode)
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(SOCK)
                return s
            except OSError:
                s.close()
                time.sleep(0.01)
        fail('flowtierd did not listen within 60 s of its start')

    def kill(self):
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self):
        self.proc.wait()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Rpc:
    def __init__(self, sock):
        self.f = sock.makefile('rwb')
        self.next_id = 0

    def call(self, method, params):
        """The reply's result, or raises RpcError / ConnectionError."""
        self.next_id += 1
        req = {'jsonrpc': '2.0', 'id': self.next_id, 'method': method,
               'params': params}
        self.f.write((json.dumps(req) + '\n').encode())
        self.f.flush()
        line = self.f.readline()
        if not line:
            raise ConnectionError('connection closed')
        reply = json.loads(line)
        if 'error' in reply:
            raise RuntimeError(reply['error']['message'])
        return reply['result']


def set_cmd(table, key, value):
    return {'method': 'set', 'params': {
        'table': table, 'record': 'br0',
        'args': ['external_ids:%s=%s' % (key, value)]}}


def keys(rpc, table, prefix):
    text = rpc.call('get', {'table': table, 'records': ['br0'],
                            'args': ['external_ids']})['text']
    return {int(n) for n in re.findall(prefix + r'(\d+)="', text)}


def check_state(rpc, acked, absent, limit):
    """Returns the numbers present; fails on any broken rule."""
    a = keys(rpc, 'Bridge', 'a')
    c = keys(rpc, 'Interface', 'c')
    if a != c:
        fail('half-applied transactions: only on Bridge %s, only on '
             'Interface %s' % (sorted(a - c)[:5], sorted(c - a)[:5]))
    if not acked <= a:
        fail('acknowledged commits lost: %s' % sorted(acked - a)[:10])
    if a & absent:
        fail('commits seen absent came back: %s' % sorted(a & absent)[:10])
    if a and max(a) > limit:
        fail('commits present that were never sent: %s'
             % sorted(n for n in a if n > limit)[:10])
    return a


def run_commits(ftd, seconds):
    daemon = Daemon(ftd)
    rpc = Rpc(daemon.start())
    rpc.call('add-br', {'bridge': 'br0'})
    acked, absent = set(), set()
    n, kills, landed, lost = 0, 0, 0, 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        timer = threading.Timer(random.uniform(0.02, 0.4), daemon.kill)
        timer.start()
        inflight = None
        try:
            while True:
                rpc.call('transact', {'commands': [
                    set_cmd('Bridge', 'a%d' % n, n),
                    set_cmd('Interface', 'c%d' % n, n)]})
                acked.add(n)
                n += 1
        except (ConnectionError, OSError):
            inflight = n
        timer.cancel()
        daemon.kill()
        daemon.wait()
        kills += 1
        rpc = Rpc(daemon.start())
        present = check_state(rpc, acked, absent, inflight)
        if inflight in present:
            landed += 1
            acked.add(inflight)
        else:
            lost += 1
            absent.add(inflight)
        n = inflight + 1
    check_state(rpc, acked, absent, n - 1)
    daemon.stop()
    print('crash-consistency commits: %d commits acknowledged, %d kills '
          'survived (%d in-flight commits landed, %d did not), %d s'
          % (len(acked), kills, landed, lost, seconds))


def count_flows(ft, br):
    out = subprocess.run([ft, 'dump-flows', br], capture_output=True,
                         text=True)
    if out.returncode:
        fail('dump-flows %s: %s' % (br, out.stderr))
    return sum(1 for line in out.stdout.splitlines() if 'actions=' in line)


def run_add_flows(ft, ftd, trials, n_flows):
    path = os.path.join(os.path.dirname(RUNDIR), 'many.flows')
    with open(path, 'w') as f:
        for i in range(n_flows):
            f.write('priority=%d,ip,nw_dst=10.%d.%d.%d,actions=drop\n'
                    % (100 + i % 1000, i >> 16, (i >> 8) & 255, i & 255))
    daemon = Daemon(ftd)
    daemon.start()
    results = []
    for t in range(trials):
        br = 'bf%d' % t
        if subprocess.run([ft, 'add-br', br]).returncode:
            fail('add-br %s' % br)
        before = count_flows(ft, br)
        cli = subprocess.Popen([ft, 'add-flows', br, path],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        start = time.time()
        journal = os.path.join(DBDIR, 'flowtier.db')
        size0 = os.path.getsize(journal)
        if t % 3 == 0:
            # Anywhere in the parse, the dry run, the commit.
            time.sleep(random.uniform(0.2, 8.0))
        else:
            # As the transaction's record reaches the journal (t % 3 == 2),
            # or once it is whole there (t % 3 == 1: the journal grew and
            # then stayed the same for 10 ms).
            last, still = size0, 0
            while cli.poll() is None and time.time() - start < 120:
                size = os.path.getsize(journal)
                if size != size0 and t % 3 == 2:
                    break
                still = still + 1 if size == last and size != size0 else 0
                if still >= 5:
                    break
                last = size
                time.sleep(0.002)
        delay = time.time() - start
        done = cli.poll()
        daemon.kill()
        daemon.wait()
        rc = cli.wait()
        daemon.start()
        after = count_flows(ft, br)
        if after not in (before, before + n_flows):
            fail('add-flows killed after %.1f s left %d of %d flows'
                 % (delay, after - before, n_flows))
        if done == 0 and after != before + n_flows:
            fail('add-flows reported success but %d flows are missing'
                 % (before + n_flows - after))
        results.append('%.1fs:%s' % (delay, 'all' if after > before
                                     else 'none'))
        del rc
    daemon.stop()
    print('crash-consistency add-flows: %d kills during an add-flows of %d '
          'rules, each left all or none (%s)'
          % (trials, n_flows, ' '.join(results)))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == 'commits':
        run_commits(sys.argv[2], float(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == 'add-flows':
        run_add_flows(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                      int(sys.argv[5]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
