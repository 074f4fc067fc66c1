#!/bin/bash
# run.sh - FlowTier's switching benchmark: FlowTier's userspace datapath
# against Open vSwitch's userspace datapath and the Linux bridge, on the
# same veth topology, in one run on this machine.
#
# Installs what it needs (Debian packages), builds a release tree, then
# for each round, each case and each switch (A B C A B C ...): makes the
# namespaces (bench/lib/topo.sh), starts the switch, warms up (ARP and
# MAC learning), measures, and tears everything down again.  Prints a
# table (median, min-max, FlowTier's ratio to each switch) and writes
# every run to a JSON file.  Needs root.
#
# usage: bench/run.sh [OPTION]...
#   --quick            smoke check: 3 s windows, 1 round
#   --rounds N         rounds (default 3)
#   --seconds S        measuring window per run (default 10)
#   --skip S           warm-up time left out of each run (default 2)
#   --cases LIST       comma-separated cases, or 'all' (the default):
#                      dpdk3t,dpdk3t64k,dpdk3t1m,dpdk3tgen,dpdk3tgen1m,
#                      setup,flowmod,flowmod1m,
#                      reval,udp64,tcp,tcptso,mfmem,memory,vxlan64,
#                      vxlan1400,ofmod,pktin,
#                      udp64xdp (afxdp ports, native and generic XDP),
#                      tcins,tcinhw,tcmod,tcdel,tccnt (the TC flower
#                      cases: all in one boot of the VM test host,
#                      bench/tc-vm.sh,
#                      with their own result file; --quick makes them
#                      small: 1,000 and 2,000 filters)
#   --switches LIST    comma-separated switches (default flowtier,
#                      flowtier-flows,ovs,ovs-flows,linux-bridge)
#   --min-idle P       before each run, wait (up to 30 s) for one second in
#                      which P% of the CPU time was idle (default 80)
#   --send-cpu N, --recv-cpu N, --switch-cpu N
#                      pin the sender, the receiver, the switch daemon (all
#                      its threads) to CPU N (default: not pinned)
#   --perf DIR         sample the whole machine with perf during each run
#                      and keep DIR/CASE-SWITCH-ROUND.perf{,.txt} (for
#                      finding where time goes; the sampling slows runs)
#   --max-others P     a run during which other processes took more than
#                      P% of the machine's CPU time is kept in the JSON as
#                      discarded and measured again, at most twice
#                      (default 15)
#   --alt-build DIR    also measure switch 'flowtier-alt': FlowTier
#                      (NORMAL) from another build directory DIR, also in
#                      the cases that name their own switches (flowmod),
#                      and in the DPDK cases 'flowtier-dpdk-alt', for A/B
#                      comparisons of changes in the same run
#   --builddir DIR     release build directory (default build-bench)
#   --commit REV       measure the committed tree REV instead of the work
#                      tree: it is exported to /tmp/ftbench-commit/src and
#                      built in /tmp/ftbench-commit/build (kept for the
#                      next run of the same REV)
#   --output FILE      JSON results (default bench/results/DATE.json)
#
# Adding a case: bench/lib/case-NAME.sh defining CASE_NAME_UNIT,
# CASE_NAME_DESC and case_NAME_run (sets CASE_VALUE, CASE_EXTRA; or
# CASE_REFUSED=1 with a reason logged, for a switch it cannot measure,
# which is then not tried again).  Adding a switch: bench/lib/sw-*.sh
# defining sw_NAME_start, sw_NAME_stop and sw_NAME_report (NAME with '-'
# written as '_').
set -u

BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)

ROUNDS=3
BENCH_SECONDS=10
BENCH_SKIP=2
ALL_CASES=dpdk3t,dpdk3t64k,dpdk3t1m,dpdk3tgen,dpdk3tgen1m,setup,flowmod,flowmod1m,reval,udp64,tcp,tcptso,mfmem,memory,vxlan64,vxlan1400,ofmod,pktin,tcins,tcinhw,tcmod,tcdel,tccnt,udp64xdp
TC_ARGS=()
CASES=all
SWITCHES=flowtier,flowtier-flows,ovs,ovs-flows,linux-bridge
MIN_IDLE=80
MAX_OTHERS=15
BUILDDIR=$REPO/build-bench
OUTPUT=
COMMIT=
PERF_DIR=
BENCH_ALT_BUILD=
BENCH_SEND_CPU= BENCH_RECV_CPU= BENCH_SWITCH_CPU=

usage() {
    sed -n '/^# usage:/,/^# Adding a case/p' "$0" | sed '$d' \
        | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case $1 in
        --quick) ROUNDS=1 BENCH_SECONDS=3 BENCH_SKIP=1
                 TC_ARGS=(--n 1000 --m 2000 --sample 100) ;;
        --rounds) ROUNDS=$2; shift ;;
        --seconds) BENCH_SECONDS=$2; shift ;;
        --skip) BENCH_SKIP=$2; shift ;;
        --cases) CASES=$2; shift ;;
        --switches) SWITCHES=$2; shift ;;
        --min-idle) MIN_IDLE=$2; shift ;;
        --max-others) MAX_OTHERS=$2; shift ;;
        --builddir) BUILDDIR=$(readlink -f "$2"); shift ;;
        --output) OUTPUT=$2; shift ;;
        --commit) COMMIT=$2; shift ;;
        --send-cpu) BENCH_SEND_CPU=$2; shift ;;
        --recv-cpu) BENCH_RECV_CPU=$2; shift ;;
        --switch-cpu) BENCH_SWITCH_CPU=$2; shift ;;
        --perf) PERF_DIR=$(readlink -f "$2"); shift ;;
        --alt-build) BENCH_ALT_BUILD=$(readlink -f "$2"); shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift || { usage >&2; exit 2; }
done
case $ROUNDS in ''|*[!0-9]*|0) echo "bad --rounds" >&2; exit 2 ;; esac
[ "$CASES" = all ] && CASES=$ALL_CASES
for cpu in "$BENCH_SEND_CPU" "$BENCH_RECV_CPU" "$BENCH_SWITCH_CPU"; do
    case $cpu in *[!0-9]*) echo "bad CPU number '$cpu'" >&2; exit 2 ;; esac
done

. "$BENCH_DIR/lib/common.sh"
. "$BENCH_DIR/lib/topo.sh"
for f in "$BENCH_DIR"/lib/sw-*.sh "$BENCH_DIR"/lib/case-*.sh; do
    . "$f"
done

[ "$(id -u)" = 0 ] || bench_die "needs root (network namespaces)"

# ---- Dependencies and the release build.
. "$REPO/tests/lib/deps.sh"
ft_install_deps || bench_die "cannot install the build dependencies"
FT_DEB_PACKAGES="iperf3 ethtool iputils-ping python3 procps"
ft_install_deps || bench_die "cannot install iperf3, ethtool, ping, python3"

# build SRCDIR BUILDDIR TARGET...: a release build of TARGETs.
build() {
    local src=$1 dir=$2 bt
    shift 2
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$src" --buildtype=release >/dev/null \
            || bench_die "meson setup $dir failed"
    fi
    bt=$(meson introspect --buildoptions "$dir" | python3 -c '
import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"][0])')
    if [ "$bt" != release ]; then
        meson configure "$dir" -Dbuildtype=release >/dev/null \
            || bench_die "cannot switch $dir to a release build"
    fi
    ninja -C "$dir" -j2 "$@" >"$dir/bench-build.log" 2>&1 \
        || bench_die "build failed (see $dir/bench-build.log)"
}

# The traffic tools come from this work tree; the switch from the work
# tree or from --commit.
build "$REPO" "$BUILDDIR" bench/traffic-send bench/traffic-recv
BENCH_TOOLS=$BUILDDIR/bench
BENCH_BUILD=$BUILDDIR
if [ -n "$COMMIT" ]; then
    sha=$(git -C "$REPO" rev-parse --verify "$COMMIT^{commit}") \
        || bench_die "no commit $COMMIT"
    BENCH_BUILD=/tmp/ftbench-commit/build
    if [ "$(cat /tmp/ftbench-commit/stamp 2>/dev/null)" != "$sha" ]; then
        rm -rf /tmp/ftbench-commit
        mkdir -p /tmp/ftbench-commit/src || bench_die "cannot create /tmp/ftbench-commit"
        # --touch: every file is newer than any earlier build.
        git -C "$REPO" archive "$sha" \
            | tar -x -m -C /tmp/ftbench-commit/src \
            || bench_die "cannot export $COMMIT"
        echo "$sha" >/tmp/ftbench-commit/stamp
    fi
    build /tmp/ftbench-commit/src "$BENCH_BUILD" mgmt/flowtierd mgmt/flowtier
else
    build "$REPO" "$BUILDDIR" mgmt/flowtierd mgmt/flowtier
fi

# ---- The TC flower cases: in the VM test host, apart from the rotation.
tc_cases= host_cases=
IFS=, read -ra case_list <<<"$CASES"
for c in "${case_list[@]}"; do
    case $c in
        tcins|tcinhw|tcmod|tcdel|tccnt) tc_cases=1 ;;
        *) host_cases=$host_cases,$c ;;
    esac
done
CASES=${host_cases#,}
if [ -n "$tc_cases" ]; then
    build "$([ -n "$COMMIT" ] && echo /tmp/ftbench-commit/src || echo "$REPO")" \
        "$BENCH_BUILD" tests/ftnic/ftnic.ko
    "$BENCH_DIR/tc-vm.sh" --builddir "$BENCH_BUILD" "${TC_ARGS[@]}" \
        || bench_die "the TC flower cases failed"
    [ -n "$CASES" ] || exit 0
fi

# ---- Scratch space and cleanup.
BENCH_TMP=$(mktemp -d /tmp/ftbench.XXXXXX) || bench_die "mktemp failed"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP
bench_defer "rm -rf $BENCH_TMP"
topo_names "ftb$$"

DATE=$(date -u +%Y-%m-%dT%H%M%SZ)
[ -n "$OUTPUT" ] || OUTPUT=$BENCH_DIR/results/$DATE.json
mkdir -p "$(dirname "$OUTPUT")" || bench_die "cannot create $(dirname "$OUTPUT")"

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
LOAD_START=$(bench_loadavg)
bench_log "$DATE, $CPU, nproc $(nproc), load average $LOAD_START"
bench_log "cases $CASES; switches $SWITCHES; $ROUNDS round(s) of" \
          "${BENCH_SECONDS} s (+${BENCH_SKIP} s warm-up)"

if [ -n "$PERF_DIR" ]; then
    command -v perf >/dev/null || bench_die "--perf needs perf (linux-perf)"
    mkdir -p "$PERF_DIR" || bench_die "cannot create $PERF_DIR"
fi

RUNS=$BENCH_TMP/runs.tsv
: >"$RUNS"

# run_one CASE SWITCH ROUND: one measurement, appended to $RUNS.  Sets
# RUN_OTHERS to the CPU share other processes took meanwhile.
run_one() {
    local c=$1 sw=$2 r=$3 fn=${2//-/_} idle value= ok=1 report= started=0
    local stat0 stat1 swpids sw0 sw1 ours
    CASE_VALUE= CASE_EXTRA= CASE_REFUSED= RUN_OTHERS=0
    BENCH_CASE=$c BENCH_SWITCH=$sw
    idle=$(bench_wait_quiet "$MIN_IDLE" 30)
    if ! topo_create; then
        bench_log "$c/$sw: cannot create the namespaces"
        ok=0
    elif started=1 && ! "sw_${fn}_start" >>"$BENCH_TMP/switch.log" 2>&1; then
        bench_log "$c/$sw: switch did not start: $(tail -3 "$BENCH_TMP/switch.log")"
        ok=0
    elif [ "$(eval echo \${CASE_${c}_WARMUP:-yes})" = yes ] \
         && ! topo_warmup; then
        bench_log "$c/$sw: ns2 unreachable through the switch"
        ok=0
    elif ! bench_pin_switch "$sw"; then
        bench_log "$c/$sw: cannot pin the switch to CPU $BENCH_SWITCH_CPU"
        ok=0
    else
        [ -n "$PERF_DIR" ] && bench_perf_start "$PERF_DIR/$c-$sw-$r.perf"
        # CPU use: the switch's daemons are whatever runs in its
        # namespace; the case reports its own processes' (CASE_CPU).
        swpids=$(ip netns pids "$BENCH_SW")
        stat0=$(bench_stat)
        sw0=$(bench_pids_ticks $swpids)
        CASE_CPU=0
        if "case_${c}_run"; then
            value=$CASE_VALUE
            report=$("sw_${fn}_report" | tr -s '\t\n ' ' ')
        fi
        stat1=$(bench_stat)
        sw1=$(bench_pids_ticks $swpids)
        ours=$(awk -v a="$sw0" -v b="$sw1" \
                   -v c="$CASE_CPU" -v hz="$(getconf CLK_TCK)" \
                   'BEGIN { printf "%.0f", b - a + c * hz }')
        RUN_OTHERS=$(bench_others_pct "$stat0" "$stat1" "$ours")
        CASE_EXTRA="$CASE_EXTRA others_cpu_pct=$RUN_OTHERS steal_pct=$(bench_steal_pct \
            "$stat0" "$stat1") load1_after=$(cut -d' ' -f1 /proc/loadavg)"
        CASE_EXTRA="$CASE_EXTRA switch_cpu_s=$(awk -v a="$sw0" -v b="$sw1" \
            -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')"
        [ -n "$PERF_DIR" ] && bench_perf_stop "$PERF_DIR/$c-$sw-$r.perf"
    fi
    # Also after a failed start: what did start (a daemon that then
    # refused a port, say) must not run on through the next runs.
    [ $started = 1 ] && "sw_${fn}_stop" >/dev/null 2>&1
    topo_destroy
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$sw" "$r" "$value" \
        "$idle" "$CASE_EXTRA" "$report" >>"$RUNS"
    bench_log "round $r $c $sw: ${value:-FAILED} $(eval echo \$CASE_${c}_UNIT)" \
              "(idle before: ${idle}%)"
}

if [ -n "$BENCH_ALT_BUILD" ]; then
    [ -x "$BENCH_ALT_BUILD/mgmt/flowtierd" ] \
        || bench_die "no mgmt/flowtierd in $BENCH_ALT_BUILD"
    case ,$SWITCHES, in
        *,flowtier-alt,*) ;;
        *) SWITCHES=$SWITCHES,flowtier-alt ;;
    esac
fi

IFS=, read -ra case_list <<<"$CASES"
IFS=, read -ra switch_list <<<"$SWITCHES"
for c in "${case_list[@]}"; do
    declare -F "case_${c}_run" >/dev/null || bench_die "no case '$c'"
done
for sw in "${switch_list[@]}"; do
    declare -F "sw_${sw//-/_}_start" >/dev/null || bench_die "no switch '$sw'"
done

for r in $(seq "$ROUNDS"); do
    for c in "${case_list[@]}"; do
        # A case may name its own switches (CASE_NAME_SWITCHES).
        IFS=, read -ra case_switches \
            <<<"$(eval echo \${CASE_${c}_SWITCHES:-$SWITCHES})"
        # With --alt-build, the cases measure the other build too (those
        # that name their own switches, as flowmod does, included).
        if [ -n "$BENCH_ALT_BUILD" ]; then
            case " ${case_switches[*]} " in
                *" flowtier-dpdk "*) case_switches+=(flowtier-dpdk-alt) ;;
            esac
            case " ${case_switches[*]} " in
                *" flowtier-alt "*) ;;
                *" flowtier "*) case_switches+=(flowtier-alt) ;;
            esac
        fi
        for sw in "${case_switches[@]}"; do
            for try in 1 2 3; do
                run_one "$c" "$sw" "$r"
                # A case that refused the switch (CASE_REFUSED, with its
                # reason logged) would refuse it again.
                [ -z "$CASE_REFUSED" ] || break
                awk -v o="$RUN_OTHERS" -v m="$MAX_OTHERS" \
                    'BEGIN { exit !(o > m) }' || break
                [ $try = 3 ] && break
                bench_log "others took $RUN_OTHERS% of the CPU: discarded," \
                          "measuring again"
                sed -i '$s/$/\tdiscarded/' "$RUNS"
            done
        done
    done
done

# ---- Results.
units=
for c in "${case_list[@]}"; do
    units="$units\"$c\": \"$(eval echo \$CASE_${c}_UNIT)\", "
done
cat >"$BENCH_TMP/meta.json" <<JSON
{
  "date": "$DATE",
  "machine": {
    "cpu": "$CPU",
    "nproc": $(nproc),
    "kernel": "$(uname -r)",
    "loadavg_start": "$LOAD_START",
    "loadavg_end": "$(bench_loadavg)"
  },
  "software": {
    "flowtier": "$(if [ -n "$COMMIT" ]; then echo "$sha"; else
                   git -C "$REPO" describe --always --dirty 2>/dev/null; fi)",
    "buildtype": "release",
    "compiler": "$(cc --version | head -1)",
    "ovs": "$(PATH=$PATH:/usr/sbin ovs-vswitchd --version | head -1)"
  },
  "config": {
    "rounds": $ROUNDS,
    "seconds": $BENCH_SECONDS,
    "skip": $BENCH_SKIP,
    "min_idle": $MIN_IDLE,
    "max_others": $MAX_OTHERS,
    "cases": "$CASES",
    "switches": "$SWITCHES",
    "alt_build": "$BENCH_ALT_BUILD",
    "send_cpu": "$BENCH_SEND_CPU",
    "recv_cpu": "$BENCH_RECV_CPU",
    "switch_cpu": "$BENCH_SWITCH_CPU",
    "perf": $([ -n "$PERF_DIR" ] && echo true || echo false)
  },
  "units": { ${units%, } }
}
JSON
echo
echo "FlowTier switching benchmark, $DATE"
echo "$CPU, nproc $(nproc), kernel $(uname -r)," \
     "load average $LOAD_START (start) / $(bench_loadavg) (end)"
for c in "${case_list[@]}"; do
    echo "  $c: $(eval echo \$CASE_${c}_DESC)"
done
echo
python3 "$BENCH_DIR/lib/summarize.py" "$BENCH_TMP/meta.json" "$RUNS" \
    "$OUTPUT" || bench_die "summary failed"
echo
echo "results: $OUTPUT"
