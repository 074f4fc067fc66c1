#!/bin/bash
# TC flower benchmark: FlowTier's hw tier (TC flower filters on the
# representors of the SmartNIC model, tests/ftnic/) against tc itself, in
# one boot of the VM test host (tests/vm/run.sh: Debian 12's 6.1 kernel
# under QEMU TCG, one vCPU).  The NIC is a software model and the guest is
# emulated: no figure here is a hardware figure; only the ratio of FlowTier
# to tc, measured in the same boot, means anything.
#
# Cases (bench/NOTES.md says how each is measured):
#   tcins   filters inserted per second: N megaflows made by N distinct
#           flows' first packets from VF0 (pktgen), from FlowTier's first
#           filter in hw to its Nth (the kernel's install times, +-1 s),
#           against 'tc -batch' of the very same filters (FlowTier's
#           --explain lines) on a fresh representor, over the command's
#           wall time;
#   tcinhw  seconds from the first packet until all N of FlowTier's
#           filters show in_hw in 'tc -s filter show', against the batch's
#           time until all of its filters show in_hw;
#   tccnt   counters of M filters read in one pass: FlowTier's revalidator
#           pass (one batched dump per port, as dpif-show reports it)
#           against one 'filter get' per filter, a sample of S gets in one
#           'tc -batch', extrapolated to M.
#
# usage: sudo bench/tc-vm.sh [--builddir DIR] [--output FILE]
#                            [--n N] [--m M] [--sample S]
#   --builddir DIR  build holding mgmt/flowtier, mgmt/flowtierd and
#                   tests/ftnic/ftnic.ko (default build/)
#   --output FILE   JSON results (default bench/results/DATE-tc.json)
#   --n N           megaflows of tcins and tcinhw (default 10000)
#   --m M           filters of tccnt (default 20000)
#   --sample S      'filter get's timed for tccnt (default 1000)
set -u
here=$(dirname "$(readlink -f "$0")")
repo=$(cd "$here/.." && pwd)

if [ "${FT_VM_GUEST:-}" != 1 ]; then
    build=$repo/build output= args=()
    while [ $# -gt 0 ]; do
        case $1 in
            --builddir) build=$(readlink -f "$2"); shift ;;
            --output) output=$(readlink -f "$(dirname "$2")")/$(basename "$2"); shift ;;
            --n|--m|--sample) args+=("$1" "$2"); shift ;;
            *) sed -n '/^# usage:/,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
               exit 2 ;;
        esac
        shift || exit 2
    done
    for f in mgmt/flowtier mgmt/flowtierd tests/ftnic/ftnic.ko; do
        [ -e "$build/$f" ] || { echo "tc-vm: no $build/$f: build first" >&2; exit 1; }
    done
    date=$(date -u +%Y-%m-%dT%H%M%SZ)
    [ -n "$output" ] || output=$here/results/$date-tc.json
    out=$(mktemp /tmp/ftbench-tc.XXXXXX) || exit 1
    FT_VM_GUEST=1 FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-1500} "$repo/tests/vm/run.sh" \
        "$(readlink -f "$0")" --builddir "$build" "${args[@]}" | tee "$out"
    rc=${PIPESTATUS[0]}
    [ "$rc" = 0 ] || { echo "tc-vm: the guest failed ($rc)" >&2; rm -f "$out"; exit 1; }
    json=$(sed -n 's/^RESULT-JSON //p' "$out")
    rm -f "$out"
    [ -n "$json" ] || { echo "tc-vm: the guest reported no results" >&2; exit 1; }
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    cat >"$output" <<JSON
{
  "date": "$date",
  "machine": {
    "host": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), nproc $(nproc), load average $load at the end",
    "guest": "VM under emulation (QEMU TCG, 1 vCPU, 1 GiB), Debian 12 kernel",
    "nic": "ftnic model (tests/ftnic/): a software model, not hardware"
  },
  "flowtier": "$(git -C "$repo" describe --always --dirty 2>/dev/null)",
  "cases": $json
}
JSON
    echo "results: $output"
    exit 0
fi

# ---- In the guest.
build=$2
n=10000 m=20000 sample=1000
shift 2
while [ $# -gt 0 ]; do
    case $1 in
        --n) n=$2 ;;
        --m) m=$2 ;;
        --sample) sample=$2 ;;
    esac
    shift 2
done
VM_NAME=tc-vm
. "$repo/tests/vm/lib.sh" || exit 1
FT=$build/mgmt/flowtier FTD=$build/mgmt/flowtierd
export FLOWTIER_RUNDIR=/tmp/ftb/run FLOWTIER_DBDIR=/tmp/ftb/db
mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR"
COOKIE=466c6f7754696572
span=$repo/bench/lib/tc-span.py
# pktgen's gap between two first packets (ns).
SEND_DELAY_NS=200000
now() { date +%s.%N; }
# elapsed T0 T1: seconds between two now()s.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
log() { echo "tc-vm: $*" >&2; }

# Room for FlowTier's M filters and the peer's N on another representor.
ftnic_load "$build/tests/ftnic/ftnic.ko" max_rules=$((m + n + 1000))
vm_modprobe tun pktgen
ftnic_ns vm0 ftnic0vf0 10.0.0.1/24
ftnic_ns vm1 ftnic0vf1 10.0.0.2/24
for d in ftnic0r0 ftnic0r1 ftnic0r2; do
    ip link set $d up || fail "$d does not come up"
done
vf1_mac=$(ip -n vm1 -br link show ftnic0vf1 | awk '{print $3}')

"$FTD" --detach --no-fsync --log-file=/tmp/ftb/ftd.log \
    || fail "flowtierd did not start: $(tail -3 /tmp/ftb/ftd.log)"
ft() { out=$("$FT" "$@" 2>&1) || fail "flowtier $*: $out"; }
# No megaflow may idle out while the cases run (TCG's clock jumps).
ft add-br br0 -- set Bridge br0 other_config:hw-offload=true \
    other_config:max-idle=3600000
ft add-port br0 ftnic0r0
ft add-port br0 ftnic0r1
p1=$("$FT" get Interface ftnic0r1 ofport)

# One exact rule a destination: each flow's first packet makes a megaflow
# of its own (nw_dst exact), offloaded as one filter.
dst() { echo "10.$((1 + $1 / 65536)).$(($1 / 256 % 256)).$(($1 % 256))"; }
awk -v m=$m -v p=$p1 'BEGIN {
    for (i = 0; i < m; i++)
        printf "priority=5,ip,nw_dst=10.%d.%d.%d,actions=output:%d\n",
               1 + int(i / 65536), int(i / 256) % 256, i % 256, p
}' >/tmp/ftb/rules.of
ft add-flows br0 /tmp/ftb/rules.of

# hw_count: FlowTier's megaflows in the hw tier (dpif-show).
hw_count() {
    "$FT" dpif-show br0 | sed -nE 's/.*flows per tier: hw:([0-9]+) .*/\1/p'
}
# send FROM TO: one UDP packet VF0 -> VF1 to each destination FROM..TO-1,
# paced so that the representor's upcall queue keeps up.
send() {
    ip netns exec vm0 sh -c "
        pg=/proc/net/pktgen
        echo rem_device_all > \$pg/kpktgend_0
        echo add_device ftnic0vf0 > \$pg/kpktgend_0
        for c in 'count $(($2 - $1))' 'clone_skb 0' 'pkt_size 60' \
                 'delay $SEND_DELAY_NS' 'dst_min $(dst $1)' 'dst_max $(dst $(($2 - 1)))' \
                 'dst_mac $vf1_mac' 'udp_src_min 9' 'udp_src_max 9' \
                 'udp_dst_min 9' 'udp_dst_max 9'; do
            echo \$c > \$pg/ftnic0vf0
        done
        echo start > \$pg/pgctrl"
}
# fill FROM TO: sends until FlowTier holds TO filters in hw (lost upcalls
# are sent again, at most 5 rounds); sets ROUNDS.
fill() {
    local c round
    for round in 1 2 3 4 5; do
        ROUNDS=$round
        send "$1" "$2" &
        local pg=$!
        while :; do
            c=$(hw_count)
            if [ "${c:-0}" -ge "$2" ]; then
                wait $pg
                return 0
            fi
            kill -0 $pg 2>/dev/null || break
            sleep 1
        done
        wait $pg
        # Upcalls still being handled: wait until the count stops moving.
        local last=-1
        while [ "$(hw_count)" != "$last" ]; do
            last=$(hw_count)
            sleep 1
        done
        [ "$last" -ge "$2" ] && return 0
        log "round $round: $last of $2 in hw, sending again"
    done
    fail "only $(hw_count) of $2 megaflows in hw after 5 rounds: $("$FT" dpif-show br0)"
}
# in_hw DEV: FlowTier's filters on DEV's ingress that tc shows in_hw.
in_hw() {
    tc -s filter show dev "$1" ingress | awk -v c="cookie $COOKIE" '
        /^filter / && / handle / { hw = 0 }
        /in_hw/ && !/not_in_hw/ { hw = 1 }
        index($0, c) && hw { n++ } END { print n + 0 }'
}

# ---- tcins and tcinhw: N megaflows.
log "$n megaflows by traffic"
t0=$(now)
fill 0 "$n"
ours_hw=$(in_hw ftnic0r0)
t_inhw=$(elapsed "$t0" "$(now)")
r=$("$span" ftnic0r0) || fail "no install times on ftnic0r0"
read -r t_ins n_ins <<<"$r"
ft_ins_rate=$(awk -v n="$n_ins" -v t="$t_ins" 'BEGIN { printf "%.0f", (n - 1) / (t > 0 ? t : 1) }')
[ "$ours_hw" -ge "$n" ] || fail "tc shows $ours_hw of FlowTier's $n filters in_hw"
ins_rounds=$ROUNDS
log "FlowTier: $n_ins filters, first to last insert ${t_ins} s, all in_hw ${t_inhw} s after the first packet"

# The peer: the same filters (FlowTier's --explain lines) on a fresh
# representor, in one tc -batch.
ft dump-dp-flows --explain br0 type=offloaded
sed -n 's/^  tc: tc //p' <<<"$out" | sed 's/ dev ftnic0r0 / dev ftnic0r2 /' \
    >/tmp/ftb/peer.batch
n_peer=$(grep -c ' dev ftnic0r2 ' /tmp/ftb/peer.batch)
[ "$n_peer" -ge "$n" ] || fail "only $n_peer explained lines on ftnic0r0 for $n megaflows"
tc qdisc add dev ftnic0r2 clsact || fail "no clsact on ftnic0r2"
t0=$(now)
tc -batch /tmp/ftb/peer.batch >/tmp/ftb/peer.out 2>&1 \
    || fail "tc -batch refused FlowTier's explained filters: $(tail -3 /tmp/ftb/peer.out)"
t1=$(now)
peer_hw=$(tc -s filter show dev ftnic0r2 ingress | grep -c 'in_hw in_hw_count 1')
t2=$(now)
[ "$peer_hw" = "$n_peer" ] || fail "tc shows $peer_hw of the batch's $n_peer filters in_hw"
tc_inhw=$(elapsed "$t0" "$t2")
r=$("$span" ftnic0r2) || fail "no install times on ftnic0r2"
read -r tc_ins_s n_tc <<<"$r"
tc_ins_rate=$(awk -v n="$n_tc" -v t="$(elapsed "$t0" "$t1")" 'BEGIN { printf "%.0f", n / t }')
tc qdisc del dev ftnic0r2 clsact
tc_cmd_s=$(elapsed "$t0" "$t1")
log "tc -batch: $n_tc filters, first to last insert $tc_ins_s s (command $tc_cmd_s s), all in_hw after $tc_inhw s"

# ---- tccnt: M filters, counters read in one pass.
log "$m megaflows by traffic"
fill "$n" "$m"
cnt_rounds=$ROUNDS
# Two revalidator passes after the last install: the second reads M.
sleep 1
pass0=$("$FT" dpif-show br0 | sed -nE 's/.*revalidator: ([0-9]+) passes.*/\1/p')
while :; do
    s=$("$FT" dpif-show br0)
    p=$(sed -nE 's/.*revalidator: ([0-9]+) passes.*/\1/p' <<<"$s")
    [ "$p" -ge $((pass0 + 2)) ] && break
    sleep 1
done
ft_pass_ms=$(sed -nE 's/.*last pass: ([0-9.]+) ms, ([0-9]+) megaflows.*/\1/p' <<<"$s")
ft_pass_n=$(sed -nE 's/.*last pass: ([0-9.]+) ms, ([0-9]+) megaflows.*/\2/p' <<<"$s")
[ "$ft_pass_n" -ge "$m" ] || fail "the last pass read $ft_pass_n megaflows, not $m"
# The peer: 'filter get' of S of FlowTier's own filters, one request each.
tc filter show dev ftnic0r0 ingress | awk -v s=$sample -v m=$m '
    /^filter protocol ip pref [0-9]+ flower chain 0 handle / {
        if (n++ % int(m / s) == 0 && k++ < s)
            print "filter get dev ftnic0r0 ingress protocol ip pref " $5 " handle " $10 " flower"
    }' >/tmp/ftb/get.batch
n_get=$(grep -c . /tmp/ftb/get.batch)
[ "$n_get" = "$sample" ] || fail "sampled $n_get filters, not $sample"
t0=$(now)
tc -s -batch /tmp/ftb/get.batch >/tmp/ftb/get.out 2>&1 \
    || fail "filter get failed: $(tail -3 /tmp/ftb/get.out)"
t1=$(now)
[ "$(grep -c 'Action statistics' /tmp/ftb/get.out)" -ge "$sample" ] \
    || fail "the gets returned no counters: $(head -20 /tmp/ftb/get.out)"
tc_get_s=$(elapsed "$t0" "$t1")
tc_cnt_ms=$(awk -v t="$tc_get_s" -v s=$sample -v m=$m 'BEGIN { printf "%.0f", t / s * m * 1000 }')
log "FlowTier: pass over $ft_pass_n megaflows $ft_pass_ms ms; tc: $sample gets $tc_get_s s, x$((m / sample)) = $tc_cnt_ms ms (extrapolated)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
r_ins=$(ratio "$ft_ins_rate" "$tc_ins_rate")
r_inhw=$(ratio "$tc_inhw" "$t_inhw")
r_cnt=$(ratio "$tc_cnt_ms" "$ft_pass_ms")
echo
echo "TC flower benchmark (VM under emulation: QEMU TCG, 1 vCPU; ftnic model, not hardware)"
printf '%-7s %-12s %14s %14s %8s  %s\n' case unit flowtier tc ratio goal
printf '%-7s %-12s %14s %14s %8s  %s\n' tcins rules/s "$ft_ins_rate" "$tc_ins_rate" "$r_ins" '>= 0.8 (flowtier/tc)'
printf '%-7s %-12s %14s %14s %8s  %s\n' tcinhw s "$t_inhw" "$tc_inhw" "$r_inhw" 'tc/flowtier, higher is better for FlowTier'
printf '%-7s %-12s %14s %14s %8s  %s\n' tccnt ms "$ft_pass_ms" "~$tc_cnt_ms" "$r_cnt" 'tc/flowtier; tc extrapolated from a sample'
cat <<EOF | tr -d '\n'; echo
RESULT-JSON {
"tcins": {"unit": "rules/s", "n": $n, "flowtier": $ft_ins_rate, "tc": $tc_ins_rate,
"ratio_flowtier_to_tc": $r_ins, "goal": ">= 0.8", "flowtier_seconds": $t_ins, "flowtier_seconds_resolution": 1,
"flowtier_send_rounds": $ins_rounds, "send_gap_ns": $SEND_DELAY_NS,
"tc_seconds": $tc_ins_s, "tc_filters": $n_tc, "tc_command_seconds": $tc_cmd_s},
"tcinhw": {"unit": "s", "n": $n, "flowtier": $t_inhw, "tc": $tc_inhw,
"ratio_tc_to_flowtier": $r_inhw},
"tccnt": {"unit": "ms", "m": $m, "flowtier": $ft_pass_ms, "flowtier_megaflows": $ft_pass_n,
"tc": $tc_cnt_ms, "tc_extrapolated_from_gets": $sample, "tc_sample_seconds": $tc_get_s,
"ratio_tc_to_flowtier": $r_cnt, "flowtier_send_rounds": $cnt_rounds}
}
EOF
