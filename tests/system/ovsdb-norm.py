#!/usr/bin/python3
# Normalizes ovs-vsctl output so that FlowTier's and Open vSwitch's answers
# to the same command compare equal where they may legitimately differ:
# UUIDs (each server makes its own), the order of rows and of ports (OVS
# prints them in UUID order), and the OpenFlow port numbers FlowTier
# assigns where a bare ovsdb-server, with no switch behind it, leaves
# 'ofport' empty, and the Interface status columns the running switch
# fills (STATUS) where a bare ovsdb-server leaves them empty.  Reads
# stdin, writes stdout.
import json
import re
import sys

STATUS = ('admin_state', 'ifindex', 'link_state', 'mac_in_use', 'mtu',
          'statistics', 'status')
UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')


def tree_sort(lines):
    """Sorts sibling blocks (a line and the more indented lines below it)."""
    blocks, cur = [], None
    for line in lines:
        if cur is not None and line.startswith(' ' * (indent + 1)):
            cur.append(line)
            continue
        indent = len(line) - len(line.lstrip(' '))
        cur = [line]
        blocks.append(cur)
    out = []
    for b in blocks:
        head, rest = b[0], b[1:]
        out.append([head] + tree_sort(rest))
    out.sort()
    return [line for b in out for line in b]


def main():
    text = UUID.sub('<uuid>', sys.stdin.read())
    text = re.sub(r'(?m)^(ofport +: ).*$', r'\1<ofport>', text)
    text = re.sub(r'(?m)^((?:%s) +: ).*$' % '|'.join(STATUS), r'\1<status>',
                  text)
    try:
        d = json.loads(text)
        if isinstance(d, dict) and 'data' in d:
            heads = d.get('headings', [])
            for row in d['data']:
                for i, h in enumerate(heads):
                    if h in STATUS and i < len(row):
                        row[i] = '<status>'
            d['data'].sort(key=lambda r: json.dumps(r, sort_keys=True))
        print(json.dumps(d, sort_keys=True))
        return
    except ValueError:
        pass
    blocks = [b for b in text.split('\n\n') if b.strip()]
    blocks = ['\n'.join(tree_sort(b.strip('\n').split('\n'))) for b in blocks]
    blocks.sort()
    print('\n\n'.join(blocks))


main()
