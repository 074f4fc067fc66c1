#!/bin/bash
# run.sh - fuzzes one of FlowTier's parsers with clang's libFuzzer under
# AddressSanitizer and UndefinedBehaviorSanitizer, for a bounded time,
# starting from the seed corpus in the tree (tests/fuzz/corpus/TARGET/).
# Fails on any crash, overread, leak, undefined behaviour or broken check
# of the target, printing the input that caused it (saved under WORK_DIR).
#
# usage: run.sh TARGET SECONDS [WORK_DIR]
#   TARGET    packet, flow-syntax, rpc, journal, ofp-msg, ovsdb, tc-dump,
#             kdp-upcall
#             (tests/fuzz/fuzz-TARGET.c)
#   SECONDS   how long to fuzz (the meson suite 'fuzz' runs 20 s; a
#             campaign runs as long as it is given)
#   WORK_DIR  where the instrumented build, the corpus grown by earlier
#             runs and crash inputs are kept (default /tmp/flowtier-fuzz)
#
# The instrumented tree is built once per WORK_DIR (tests/fuzz/fuzz.mk, at
# most 2 compile jobs, niced) and rebuilt when sources change.  The last
# line of a run reports inputs executed and CPU seconds used; run.sh also
# appends it to WORK_DIR/campaigns.log.

set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
target=${1:?usage: run.sh TARGET SECONDS [WORK_DIR]}
secs=${2:?usage: run.sh TARGET SECONDS [WORK_DIR]}
work=${3:-/tmp/flowtier-fuzz}

[ -f "$here/fuzz-$target.c" ] \
    || { echo "FAIL: no fuzz target $target (tests/fuzz/fuzz-$target.c)" >&2
         exit 1; }
[ -d "$here/corpus/$target" ] \
    || { echo "FAIL: no seed corpus tests/fuzz/corpus/$target/" >&2
         exit 1; }
command -v clang >/dev/null \
    || { echo "FAIL: clang is not installed (tests/lib/deps.sh lists it)" >&2
         exit 1; }
mkdir -p "$work/build" "$work/corpus/$target" "$work/crashes"

# One build at a time per work directory (targets may run side by side).
fuzzer=$work/build/fuzz-$target
if ! flock "$work/build.lock" nice -n 10 make -s -j2 -f "$here/fuzz.mk" \
        SRC="$src" OUT="$work/build" "$fuzzer" >"$work/build.log" 2>&1; then
    grep -E 'error|Error' "$work/build.log" | head -20 >&2
    echo "FAIL: the fuzz target $target did not build ($work/build.log)" >&2
    exit 1
fi

# Inputs larger than the targets read are of no use.
case $target in
    journal) max_len=2048 ;;
    rpc|ovsdb) max_len=8192 ;;
    *) max_len=4096 ;;
esac

# The first corpus directory receives what libFuzzer finds; the tree's
# seeds are only read.  Every seed is run first, so this also replays the
# seed corpus.
log=$work/$target.log
TIMEFORMAT='%U %S'
# A unit stuck for a minute is a hang (10 s is reached by mere CPU
# starvation on a loaded machine).
cpu=$( { time nice -n 10 "$fuzzer" -max_total_time="$secs" \
             -max_len="$max_len" -timeout=60 -rss_limit_mb=2048 \
             -print_final_stats=1 -artifact_prefix="$work/crashes/$target-" \
             "$work/corpus/$target" "$here/corpus/$target" \
             >"$log" 2>&1; echo "rc=$?" >"$work/$target.rc"; } 2>&1 )
rc=$(sed 's/rc=//' "$work/$target.rc")
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
cpu_s=$(echo "$cpu" | awk '{printf "%.0f", $1 + $2}')
summary="$(date -u +%FT%TZ) $target: ${runs:-?} inputs, ${cpu_s} CPU s, \
exit $rc, corpus $(ls "$work/corpus/$target" | wc -l) files"
echo "$summary" >>"$work/campaigns.log"
if [ "$rc" -ne 0 ]; then
    tail -40 "$log" >&2
    echo "FAIL: fuzz-$target found a problem; the input is under" \
         "$work/crashes/ (replay: $fuzzer FILE)" >&2
    exit 1
fi
echo "$summary"
echo "fuzz-$target: 1 passed, 0 failed"
