#!/bin/bash
# run-fuzz.sh - builds tests/fuzz/fuzz-ofp-msg.c with clang's libFuzzer
# (and AddressSanitizer, UBSan) against the OpenFlow codec and the flow
# syntax it uses, then fuzzes it for a bounded time from seeds: valid
# OpenFlow 1.0 and 1.3 messages (a FLOW_MOD as ovs-ofctl sends it, stats
# requests, a PACKET_OUT).  Fails on any crash, overread, leak or
# undefined behaviour, printing the input that caused it.
#
# usage: run-fuzz.sh SOURCE_ROOT WORK_DIR [SECONDS]   (meson passes them)

set -u
src=$1
work=$2
secs=${3:-20}
command -v clang >/dev/null \
    || { echo "FAIL: clang is not installed (tests/lib/deps.sh lists it)" >&2; exit 1; }
mkdir -p "$work/seeds" "$work/corpus"
fuzzer=$work/fuzz-ofp-msg

clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$src/include" -I"$src" -o "$fuzzer" \
    "$src/tests/fuzz/fuzz-ofp-msg.c" \
    "$src"/mgmt/openflow/ofp-codec.c "$src"/mgmt/openflow/ofp-match.c \
    "$src"/mgmt/openflow/ofp-actions-wire.c "$src"/mgmt/openflow/ofp-msgs.c \
    "$src"/mgmt/flowsyntax/field.c "$src"/mgmt/flowsyntax/ofp-actions.c \
    "$src"/mgmt/flowsyntax/port-map.c "$src"/mgmt/flowsyntax/ofp-parse.c \
    "$src"/mgmt/flowsyntax/ofp-parse-match.c \
    "$src"/mgmt/flowsyntax/ofp-parse-actions.c \
    "$src"/mgmt/flowsyntax/ofp-print.c \
    || { echo "FAIL: the fuzz target did not build" >&2; exit 1; }

# Seeds: a version byte (odd: 1.3, even: 1.0) then the message.
i=0
for hex in \
    01040e0060000000020000000000000000000000000000000001000000000000000affffffffffffffffffffffff000000000001001280000a020800800018040a000002000000000000000400180000000000000010000000020000000000000000 \
    0104120038000000020001000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000 \
    0104120018000000040004000000000000ffffffff00000000 \
    01040d0030000000050000ffffffff000fffd00100000000000000000100000000000000000000000000000000000000000000000000 \
    00010e005800000002003fff4f00000000000000000000000000000000000008000006000000000000000000000000005000000000000000000000000000008000ffffffffffff000000060008c0a801010000000800010000 \
    00010d001e00000003ffffffff0001000800000008000000ffffffffffffffffffffffff080045 \
    0104000010000000010001000800000012; do
    /usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' \
        "$hex" >"$work/seeds/seed$i"
    i=$((i + 1))
done

"$fuzzer" -max_total_time="$secs" -max_len=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$work/corpus" "$work/seeds" >"$work/log" 2>&1
rc=$?
grep -E 'stat::number_of_executed_units|Done' "$work/log" | tail -2
if [ $rc -ne 0 ]; then
    tail -40 "$work/log" >&2
    echo "FAIL: fuzz-ofp-msg found a problem (input saved under $work/)" >&2
    exit 1
fi
echo "fuzz-ofp-msg: 1 passed, 0 failed"
