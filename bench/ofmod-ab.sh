#!/bin/bash
# ofmod-ab.sh - the daemon's CPU and memory for a load of OpenFlow rules,
# two FlowTier builds taking turns (A B A B ...), for same-run A/B
# comparisons of changes to the flow table path (bench/NOTES.md, "FLOW_MOD
# cost and bytes per rule").
#
# Each run starts a fresh flowtierd of one build in its own network
# namespace (unshare -n: no port of any other bridge on the machine is
# touched), with bridge br0 and no ports, and loads it:
#   ofmod      bench/lib/ofbench.py flowmod: N pipelined FLOW_MODs, then a
#              barrier (the bench case 'ofmod')
#   add-flows  'flowtier add-flows' of the 'flowmod'/'memory' cases' file
#              of N rules
# and prints one line: the daemon's CPU over the load (utime + stime from
# /proc/PID/stat), the growth of its VmRSS per rule, the rate the client
# saw, and the rules in the table afterwards (which must be N + 1: the
# bridge's default rule).  Needs root.
#
# usage: bench/ofmod-ab.sh BUILD_A BUILD_B [ofmod|add-flows] [ROUNDS] [N]
#        (defaults: ofmod, 3 rounds, 100000 rules)
set -u
BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
A=${1:?usage: $0 BUILD_A BUILD_B [ofmod|add-flows] [ROUNDS] [N]}
B=${2:?usage: $0 BUILD_A BUILD_B [ofmod|add-flows] [ROUNDS] [N]}
MODE=${3:-ofmod}
ROUNDS=${4:-3}
N=${5:-100000}
TMP=$(mktemp -d /tmp/ofmod-ab.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT

case $MODE in
    ofmod|add-flows) ;;
    *) echo "$0: mode must be ofmod or add-flows, not '$MODE'" >&2; exit 1 ;;
esac
for b in "$A" "$B"; do
    [ -x "$b/mgmt/flowtierd" ] && [ -x "$b/mgmt/flowtier" ] || {
        echo "$0: $b has no mgmt/flowtierd and mgmt/flowtier" >&2
        exit 1
    }
done

if [ "$MODE" = add-flows ]; then
    # The very file bench/lib/case-flowmod.sh writes.
    BENCH_TMP=$TMP
    BENCH_FLOWMOD_RULES=$N
    # shellcheck source=lib/case-flowmod.sh
    . "$BENCH_DIR/lib/case-flowmod.sh"
    FLOWS=$(case_flowmod_file) || exit 1
fi

# one_run BUILD: prints "cpu=S bytes_per_rule=B rate=R rules=N".
one_run() {
    local build=$1 run=$TMP/run.$RANDOM pid c0 c1 r0 r1 rate n t0 t1
    export FLOWTIER_RUNDIR=$run/run FLOWTIER_DBDIR=$run/db
    mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR"
    unshare -n "$build/mgmt/flowtierd" --detach --log-file="$run/log" || {
        echo "flowtierd did not start: $(tail -3 "$run/log")"
        return 1
    }
    pid=$(cat "$FLOWTIER_RUNDIR/flowtierd.pid")
    "$build/mgmt/flowtier" --timeout=120 add-br br0 >/dev/null || return 1
    sleep 0.3
    c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    r0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    if [ "$MODE" = ofmod ]; then
        rate=$(python3 "$BENCH_DIR/lib/ofbench.py" flowmod \
                   "$FLOWTIER_RUNDIR/br0.mgmt" "$N") || return 1
    else
        t0=$(date +%s.%N)
        "$build/mgmt/flowtier" --timeout=300 add-flows br0 "$FLOWS" \
            >/dev/null || return 1
        t1=$(date +%s.%N)
        rate=$(awk -v n="$N" -v a="$t0" -v b="$t1" \
                   'BEGIN { printf "%.0f", n / (b - a) }')
        sleep 1     # as the 'memory' case: the daemon done with the request
    fi
    c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
    r1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
    n=$(ovs-ofctl -O OpenFlow13 dump-aggregate \
            "unix:$FLOWTIER_RUNDIR/br0.mgmt" \
            | sed -n 's/.*flow_count=\([0-9]*\).*/\1/p')
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    awk -v c0="$c0" -v c1="$c1" -v r0="$r0" -v r1="$r1" -v n="$N" \
        -v rate="$rate" -v rules="$n" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "cpu=%.2fs bytes_per_rule=%.0f rate=%s/s rules=%s\n",
                 (c1 - c0) / hz, (r1 - r0) * 1024 / n, rate, rules }'
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "$(date -u +%FT%TZ) $MODE of $N rules, load average $(load)"
for round in $(seq "$ROUNDS"); do
    echo "round $round A $(one_run "$A")"
    echo "round $round B $(one_run "$B")"
done
echo "$(date -u +%FT%TZ) done, load average $(load)"
