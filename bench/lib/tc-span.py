#!/usr/bin/env python3
"""tc-span.py DEV [PREFIX]: seconds from the first to the last insert of the
flower filters on DEV's ingress (only those whose dst_ip starts with
PREFIX, if given: a filter the benchmark's rules did not make, such as a
stray packet's, may be older or newer than all of theirs), from the kernel's own install times (the
'installed' age of each filter's first action, in whole seconds as tc 6.1
prints it, so the span is +-1 s).

Part of the TC flower benchmark (bench/tc-vm.sh), run in the VM test host
as root; reads filters with tc, changes nothing.  A full dump computes
each age at a different moment, so the oldest and the newest filter found
in it are read again with two 'filter get's in one tc batch, whose ages
are taken a few milliseconds apart.  Prints "SECONDS FILTERS"; exits 1
with the reason when DEV has fewer than two filters."""
import json
import subprocess
import sys


def tc_json(args, stdin=None):
    out = subprocess.run(["tc", "-s", "-j"] + args, input=stdin, text=True,
                         capture_output=True, check=True).stdout
    # A batch prints one JSON array per command, one after another.
    dec, pos, items = json.JSONDecoder(), 0, []
    while pos < len(out):
        while pos < len(out) and out[pos].isspace():
            pos += 1
        if pos == len(out):
            break
        obj, pos = dec.raw_decode(out, pos)
        items += obj if isinstance(obj, list) else [obj]
    return items


def installed(f):
    acts = f.get("options", {}).get("actions", [])
    for a in acts:
        t = a.get("stats", {}).get("installed", a.get("installed"))
        if t is not None:
            return t
    return None


def main():
    dev = sys.argv[1]
    prefix = sys.argv[2] if len(sys.argv) > 2 else ""
    filters = [f for f in tc_json(["filter", "show", "dev", dev, "ingress"])
               if "handle" in f.get("options", {})
               and installed(f) is not None
               and str(f["options"].get("keys", {}).get("dst_ip", "")
                       ).startswith(prefix)]
    if len(filters) < 2:
        sys.exit("tc-span: %s has %d filters with an install time%s"
                 % (dev, len(filters),
                    " and dst_ip %s..." % prefix if prefix else ""))
    first = max(filters, key=installed)
    last = min(filters, key=installed)
    batch = "".join("filter get dev %s ingress protocol %s pref %d "
                    "handle %s flower\n" % (dev, f["protocol"], f["pref"],
                                            hex(f["options"]["handle"])
                                            if isinstance(f["options"]["handle"], int)
                                            else f["options"]["handle"])
                    for f in (first, last))
    again = tc_json(["-batch", "-"], stdin=batch)
    if len(again) != 2:
        sys.exit("tc-span: the two gets returned %d filters" % len(again))
    span = installed(again[0]) - installed(again[1])
    if span == -1:
        # Ages are whole seconds and the dump's ages were taken at
        # different moments, so among filters made within one second the
        # oldest and the newest it names may be either way round: every
        # insert fell within about a second, which a span of 0 (+-1 s)
        # says.
        span = 0
    if span < 0:
        # The oldest filter of the dump was replaced before the get (a
        # megaflow modified meanwhile): its time is not the first insert.
        sys.exit("tc-span: %s: the oldest filter was made again between "
                 "the dump and the get (span %d s): no span" % (dev, span))
    print("%d %d" % (span, len(filters)))


main()
