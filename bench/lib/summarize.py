#!/usr/bin/env python3
"""summarize.py - turns the benchmark's raw runs into the results table and
the JSON results file.

usage: summarize.py META.json RUNS.tsv OUTPUT.json
       summarize.py --again RESULTS.json   (recompute the summary of a
                                            results file, in place)

RUNS.tsv has one line per measurement: case, switch, round, value (empty
if the run failed), CPU idle percentage just before the run, and
KEY=VALUE words with case-specific extras, the switch's own counters
after the run (one line of text) and "discarded" for a run measured again
because other processes took too much CPU meanwhile (kept in the JSON, left
out of the summary).  META.json holds the machine
and configuration description (written by run.sh) and gets the runs and
the summary added.  The reference switch of the ratios is 'flowtier'
(and 'flowtier-flows' for 'ovs-flows').
"""
import json
import statistics
import sys

# The cases where a lower value is better.
LOWER_IS_BETTER = {"memory", "mfmem", "reval"}

# Goals: case -> (the switch FlowTier is measured against, the least (or,
# for LOWER_IS_BETTER cases, the most) FlowTier/that ratio).
GOALS = {
    "dpdk3t": ("ovs", 1.5), "dpdk3t64k": ("ovs", 1.5),
    "dpdk3t1m": ("ovs", 1.5), "setup": ("ovs", 2.0),
    "flowmod": ("ovs", 2.0), "reval": ("ovs", 0.5),
    "udp64": ("linux-bridge", 1.0), "tcp": ("linux-bridge", 1.0),
    "vxlan64": ("ovs", 1.5), "vxlan1400": ("ovs", 1.5),
    "ofmod": ("ovs", 2.0), "flowmod1m": ("ovs", 5.0),
}


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "pps":
        return "%.1f k" % (value / 1e3)
    if abs(value) >= 1000:
        return "%.0f" % value
    return "%.2f" % value


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--again":
        out_path = sys.argv[2]
        with open(out_path) as f:
            meta = json.load(f)
        runs = meta.pop("runs")
        meta.pop("summary", None)
        return summarize(meta, runs, out_path)
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    meta_path, runs_path, out_path = sys.argv[1:4]
    with open(meta_path) as f:
        meta = json.load(f)
    return summarize(meta, read_runs(runs_path), out_path)


def read_runs(runs_path):
    runs = []
    with open(runs_path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            case, switch, rnd, value, idle = fields[:5]
            extra = {}
            for word in (fields[5].split() if len(fields) > 5 else []):
                k, _, v = word.partition("=")
                try:
                    extra[k] = float(v) if "." in v else int(v)
                except ValueError:
                    extra[k] = v
            runs.append({"case": case, "switch": switch, "round": int(rnd),
                         "value": float(value) if value else None,
                         "cpu_idle_before": int(idle) if idle else None,
                         "extra": extra,
                         "switch_report": (fields[6].strip()
                                           if len(fields) > 6 else ""),
                         "discarded": len(fields) > 7
                                      and fields[7] == "discarded"})
    return runs


def summarize(meta, runs, out_path):
    units = meta.get("units", {})
    summary = []
    medians = {}
    order = []
    kept = [r for r in runs if not r["discarded"]]
    for r in kept:
        key = (r["case"], r["switch"])
        if key not in order:
            order.append(key)
    for case, switch in order:
        vals = [r["value"] for r in kept
                if r["case"] == case and r["switch"] == switch
                and r["value"] is not None]
        n_failed = sum(1 for r in kept if r["case"] == case
                       and r["switch"] == switch and r["value"] is None)
        s = {"case": case, "switch": switch, "unit": units.get(case, ""),
             "n": len(vals), "failed": n_failed,
             "median": statistics.median(vals) if vals else None,
             "min": min(vals) if vals else None,
             "max": max(vals) if vals else None}
        others = [r["extra"]["others_cpu_pct"] for r in kept
                  if r["case"] == case and r["switch"] == switch
                  and "others_cpu_pct" in r["extra"]]
        s["others_cpu_pct_max"] = max(others) if others else None
        limit = meta.get("config", {}).get("max_others")
        clean = [r["value"] for r in kept
                 if r["case"] == case and r["switch"] == switch
                 and r["value"] is not None and limit is not None
                 and r["extra"].get("others_cpu_pct", 0) <= limit]
        s["n_clean"] = len(clean)
        s["median_clean"] = statistics.median(clean) if clean else None
        s["discarded"] = sum(1 for r in runs if r["discarded"]
                             and r["case"] == case
                             and r["switch"] == switch)
        medians[(case, switch)] = s["median"]
        summary.append(s)
    for s in summary:
        ref = {"ovs-flows": "flowtier-flows",
               "ovs-dpdk": "flowtier-dpdk",
               "flowtier-dpdk": "flowtier-dpdk"}.get(s["switch"],
                                                     "flowtier")
        ft = medians.get((s["case"], ref))
        s["reference"] = ref
        s["ratio"] = (ft / s["median"]
                      if ft is not None and s["median"] else None)

    meta["runs"] = runs
    meta["summary"] = summary
    with open(out_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    print("%-7s %-15s %12s %25s %3s %7s %14s  %s" % (
        "case", "switch", "median", "min-max", "n", "others",
        "undisturbed", "FlowTier/this"))
    for s in summary:
        unit = s["unit"]
        rng = ("%s - %s" % (fmt(s["min"], unit), fmt(s["max"], unit))
               if s["n"] else "-")
        ratio = "%.2f" % s["ratio"] if s["ratio"] is not None else "-"
        if s["switch"] == s["reference"]:
            ratio = ""
        elif s["reference"] != "flowtier":
            ratio += " (vs %s)" % s["reference"]
        failed = " (%d failed)" % s["failed"] if s["failed"] else ""
        if s["discarded"]:
            failed += " (%d discarded)" % s["discarded"]
        others = ("%.0f%%" % s["others_cpu_pct_max"]
                  if s["others_cpu_pct_max"] is not None else "-")
        clean = ("%s (%d)" % (fmt(s["median_clean"], unit), s["n_clean"])
                 if s["n_clean"] else "-")
        print("%-7s %-15s %12s %25s %3d %7s %14s  %s%s" % (
            s["case"], s["switch"], fmt(s["median"], unit) + " " +
            ("pps" if unit == "pps" else unit), rng, s["n"], others, clean,
            ratio, failed))
    print("\nothers: the most CPU time (percent of the machine) that other "
          "processes took\nduring one of the runs kept; undisturbed: the "
          "median (and number) of the\nruns during which others took at "
          "most --max-others percent.")
    compare(summary)
    return 0


def compare(summary):
    """Prints one line per case: FlowTier, Open vSwitch and (where it ran)
    the Linux bridge side by side, with FlowTier's ratios and its goal."""
    by = {(s["case"], s["switch"]): s for s in summary}
    cases = []
    for s in summary:
        if s["case"] not in cases:
            cases.append(s["case"])

    def pick(case, names):
        for n in names:
            if (case, n) in by and by[(case, n)]["n"]:
                return by[(case, n)]
        for n in names:
            if (case, n) in by:
                return by[(case, n)]
        return None

    def cell(s):
        if s is None:
            return "-"
        if not s["n"]:
            return "failed"
        unit = s["unit"]
        return "%s (%s-%s)" % (fmt(s["median"], unit), fmt(s["min"], unit),
                               fmt(s["max"], unit))

    def ratio(a, b):
        if a is None or b is None or not a["n"] or not b["n"] \
           or not b["median"]:
            return None
        return a["median"] / b["median"]

    print("\nFlowTier against Open vSwitch (medians, min-max; ratio = "
          "FlowTier / the other)")
    print("%-10s %-12s %-30s %-30s %7s %-26s %7s  %s" % (
        "case", "unit", "FlowTier", "Open vSwitch", "ratio", "Linux bridge",
        "ratio", "goal"))
    for case in cases:
        ft = pick(case, ["flowtier", "flowtier-dpdk", "flowtier-vxlan"])
        ovs = pick(case, ["ovs", "ovs-dpdk", "ovs-vxlan"])
        br = pick(case, ["linux-bridge"])
        if ft is None:
            continue
        r_ovs, r_br = ratio(ft, ovs), ratio(ft, br)
        goal = ""
        if case in GOALS:
            against, target = GOALS[case]
            r = r_br if against == "linux-bridge" else r_ovs
            sign = "<=" if case in LOWER_IS_BETTER else ">="
            who = "bridge" if against == "linux-bridge" else "OVS"
            met = (r is not None
                   and (r <= target if case in LOWER_IS_BETTER
                        else r >= target))
            goal = "%s %.2gx %s: %s" % (sign, target, who,
                                        "met" if met else
                                        ("not met" if r is not None
                                         else "no ratio"))
        elif case in LOWER_IS_BETTER:
            goal = "(lower is better)"
        print("%-10s %-12s %-30s %-30s %7s %-26s %7s  %s" % (
            case, ft["unit"], cell(ft), cell(ovs),
            "%.2f" % r_ovs if r_ovs is not None else "-",
            cell(br), "%.2f" % r_br if r_br is not None else "-", goal))


if __name__ == "__main__":
    sys.exit(main())
