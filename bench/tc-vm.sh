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
#           flows' first packets from VF0 (pktgen, 5,000 a second), from
#           the first packet sent until the model holds all N (its rule
#           count polled every 0.1 s without starting a process; resends
#           of lost first packets included),
#           against 'tc -batch' of the very same filters (FlowTier's
#           --explain lines) on a fresh representor, over the command's
#           wall time, with flowtierd stopped (SIGSTOP) meanwhile so that
#           the peer has the guest's vCPU to itself; R rounds of each,
#           alternated (FlowTier, tc, FlowTier, tc...), medians reported
#           with every round;
#   tcmod   seconds until all N filters carry new actions after one
#           mod-flows changed the rule of each (revalidation: N replaces),
#           in each FlowTier round;
#   tcdel   seconds until all N filters are gone after one del-flows
#           (revalidation: N deletes), in each FlowTier round;
#   tcinhw  seconds from the first packet until all N of FlowTier's
#           filters show in_hw in 'tc -s filter show', against the batch's
#           time until all of its filters show in_hw;
#   tccnt   counters of M filters read in one pass: FlowTier's revalidator
#           pass (one batched dump per port, as dpif-show reports it)
#           against one 'filter get' per filter, a sample of S gets in one
#           'tc -batch', extrapolated to M.
#
# usage: sudo bench/tc-vm.sh [--builddir DIR] [--output FILE]
#                            [--n N] [--m M] [--sample S] [--rounds R]
#                            [--only-tccnt] [--profile-tccnt F] [--cpus C]
#   --cpus C        the guest's vCPUs, 1 or 2 (default 2 where the host
#                   has two cores or more: each vCPU takes a host core).
#                   With two the traffic (pktgen, and the model's path of
#                   its packets, which runs in pktgen's context) runs on
#                   vCPU 1, flowtierd and tc on vCPU 0, so that FlowTier's
#                   side does not share its vCPU with the traffic source
#                   while tc's runs alone; with one, everything shares it
#   --builddir DIR  build holding mgmt/flowtier, mgmt/flowtierd and
#                   tests/ftnic/ftnic.ko (default build/)
#   --output FILE   JSON results (default bench/results/DATE-tc.json)
#   --n N           megaflows of tcins and tcinhw (default 10000)
#   --m M           filters of tccnt (default 20000)
#   --sample S      'filter get's timed for tccnt (default 1000)
#   --rounds R      rounds of tcins (and tcmod, tcdel) each (default 2)
#   --no-tcmod      rounds without tcmod (tcins, then tcdel to start the
#                   next round afresh)
#   --profile-tccnt F  as --profile, for tccnt's fill burst that starts
#                   at F filters in hw (a multiple of the burst, 3,072
#                   with the default ring) instead of round 1's insertion
#   --only-tccnt    tccnt alone: no rounds of tcins, tcmod, tcdel, tcinhw
#                   (the daemon still starts with the N rules of tcins,
#                   whose destinations are the first N of tccnt's M)
#   --gap NS        pktgen's gap between two first packets (default
#                   200000: 5,000 a second, which caps FlowTier's tcins
#                   rate; a smaller gap lets FlowTier's insertion, not
#                   the source, set the pace, and fills the ring faster)
#   --cap S         seconds tcmod or tcdel may take (default 900); past
#                   it the run reports how far it got and ends there
#   --alt-builddir DIR  a second FlowTier build, for a same-boot A/B: each
#                   round runs tcins (and tcmod, tcdel) with both builds,
#                   in alternating order, each daemon started afresh (new
#                   database, no filter left on the representors), then
#                   tc; tccnt runs with --builddir's build
#   --rx-ring-frames N  options:rx_ring_frames=N on ftnic0r0, the
#                   representor whose first packets FlowTier handles
#                   (default: none, the port's default ring of 4,096)
#   --alt-rx-ring-frames N  a same-boot A/B of the ring: the second side
#                   of each round (as with --alt-builddir, whose build it
#                   uses if given, --builddir's otherwise) sets
#                   options:rx_ring_frames=N on ftnic0r0 instead
#   --profile       where the guest's vCPU goes during round 1's FlowTier
#                   insertion: CPU time of flowtierd, ksoftirqd and the
#                   whole guest (user, system, softirq,
#                   idle), the daemon's revalidator passes, and 'perf
#                   record -a -g' of the insertion (perf report's top
#                   entries), printed to standard error (perf starts
#                   with its events off; the first packet waits until
#                   perf has them on: under TCG it takes tens of seconds
#                   to start)
set -u
here=$(dirname "$(readlink -f "$0")")
repo=$(cd "$here/.." && pwd)

if [ "${FT_VM_GUEST:-}" != 1 ]; then
    build=$repo/build output= args=() alt=
    cpus=$(( $(nproc) >= 2 ? 2 : 1 ))
    while [ $# -gt 0 ]; do
        case $1 in
            --builddir) build=$(readlink -f "$2"); shift ;;
            --alt-builddir) alt=$(readlink -f "$2"); args+=("$1" "$alt"); shift ;;
            --output) output=$(readlink -f "$(dirname "$2")")/$(basename "$2"); shift ;;
            --n|--m|--sample|--rounds|--cap|--gap|--rx-ring-frames|--alt-rx-ring-frames|--profile-tccnt)
                args+=("$1" "$2"); shift ;;
            --profile|--no-tcmod|--only-tccnt) args+=("$1" 1) ;;
            --cpus) cpus=$2; shift ;;
            *) sed -n '/^# usage:/,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
               exit 2 ;;
        esac
        shift || exit 2
    done
    for f in mgmt/flowtier mgmt/flowtierd tests/ftnic/ftnic.ko; do
        for b in "$build" ${alt:+"$alt"}; do
            [ -e "$b/$f" ] || { echo "tc-vm: no $b/$f: build first" >&2; exit 1; }
        done
    done
    date=$(date -u +%Y-%m-%dT%H%M%SZ)
    [ -n "$output" ] || output=$here/results/$date-tc.json
    out=$(mktemp /tmp/ftbench-tc.XXXXXX) || exit 1
    case $cpus in 1|2) ;; *) echo "tc-vm: --cpus $cpus: 1 or 2" >&2; exit 2 ;; esac
    export FT_VM_CPUS=$cpus
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
    "guest": "VM under emulation (QEMU TCG, ${FT_VM_CPUS:-1} vCPU(s), 1 GiB), Debian 12 kernel",
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
n=10000 m=20000 sample=1000 rounds=2 cap=900 profile= alt= rx_ring= alt_ring=
gap=200000
no_tcmod= only_tccnt= profile_cnt=
shift 2
while [ $# -gt 0 ]; do
    case $1 in
        --n) n=$2 ;;
        --m) m=$2 ;;
        --sample) sample=$2 ;;
        --rounds) rounds=$2 ;;
        --cap) cap=$2 ;;
        --gap) gap=$2 ;;
        --profile) profile=1 ;;
        --no-tcmod) no_tcmod=1 ;;
        --only-tccnt) only_tccnt=1 ;;
        --profile-tccnt) profile_cnt=$2 ;;
        --alt-builddir) alt=$2 ;;
        --rx-ring-frames) rx_ring=$2 ;;
        --alt-rx-ring-frames) alt_ring=$2 ;;
    esac
    shift 2
done
[ -n "$alt_ring" ] && [ -z "$alt" ] && alt=$build
VM_NAME=tc-vm
. "$repo/tests/vm/lib.sh" || exit 1
# tcdel tells the rules' filters from strays by their 10.1.x.x destination.
[ "$n" -le 65536 ] || fail "--n $n: at most 65,536 (one 10.1.x.x destination each)"
export FLOWTIER_RUNDIR=/tmp/ftb/run
mkdir -p "$FLOWTIER_RUNDIR"
# nap S: waits S seconds (fractions too) without starting a process: a
# read with a timeout on a FIFO nobody writes.
rm -f /tmp/ftb/nap.fifo
mkfifo /tmp/ftb/nap.fifo || { echo "tc-vm: no FIFO" >&2; exit 1; }
exec 7<>/tmp/ftb/nap.fifo
nap() { read -r -t "$1" -u 7 _ || true; }
COOKIE=466c6f7754696572
span=$repo/bench/lib/tc-span.py
# With two vCPUs: pktgen's thread on the second, flowtierd and tc pinned
# to the first.
PG_CPU=0 PIN0=
if [ "$(nproc)" -ge 2 ]; then
    PG_CPU=1 PIN0="taskset 1"
    echo "tc-vm: two vCPUs: traffic on vCPU 1, flowtierd and tc on vCPU 0" >&2
fi
# pktgen's gap between two first packets (ns): at the default 200 us,
# 5,000 a second, the most tcins can show for FlowTier.
SEND_DELAY_NS=$gap
# tccnt's first packets a burst: three quarters of the main side's ring.
FILL_CHUNK=$((${rx_ring:-4096} * 3 / 4))
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

ft() { out=$("$FT" "$@" 2>&1) || fail "flowtier $*: $out"; }
# One exact rule a destination: each flow's first packet makes a megaflow
# of its own (nw_dst exact), offloaded as one filter.
dst() { echo "10.$((1 + $1 / 65536)).$(($1 / 256 % 256)).$(($1 % 256))"; }
# ftd_start SIDE: the side's (main: --builddir and --rx-ring-frames; alt:
# --alt-builddir and --alt-rx-ring-frames) flowtierd, started with a
# database of its own, bridge br0 over the two representors and the N
# rules of tcins; sets FT, FTD, FTD_BUILD, FTD_SIDE and ftd_pid.
ftd_start() {
    local ring=$rx_ring
    FTD_SIDE=$1 FTD_BUILD=$build
    [ "$1" = alt ] && FTD_BUILD=$alt ring=$alt_ring
    FT=$FTD_BUILD/mgmt/flowtier FTD=$FTD_BUILD/mgmt/flowtierd
    export FLOWTIER_DBDIR=/tmp/ftb/db-$((++ftd_starts))
    mkdir -p "$FLOWTIER_DBDIR"
    "$FTD" --detach --no-fsync --log-file=/tmp/ftb/ftd.log \
        || fail "flowtierd did not start: $(tail -3 /tmp/ftb/ftd.log)"
    ftd_pid=$(pidof flowtierd) || fail "no flowtierd process"
    [ -n "$PIN0" ] && { taskset -a -p 1 "$ftd_pid" >/dev/null || fail "cannot pin flowtierd"; }
    # No megaflow may idle out while the cases run (TCG's clock jumps).
    ft add-br br0 -- set Bridge br0 other_config:hw-offload=true \
        other_config:max-idle=3600000
    ft add-port br0 ftnic0r0 ${ring:+-- set Interface ftnic0r0 options:rx_ring_frames=$ring}
    log "flowtierd ($FTD_SIDE: $FTD_BUILD, receive ring ${ring:-default})"
    ft add-port br0 ftnic0r1
    p1=$("$FT" get Interface ftnic0r1 ofport)
    # tcins's N rules; tccnt adds the M - N others when it runs (fewer
    # rules to add at each daemon start and after each tcdel).
    rules_of 0 "$n" >/tmp/ftb/rules.of
    rules_of "$n" "$m" >/tmp/ftb/rules-cnt.of
    ft add-flows br0 /tmp/ftb/rules.of
}
# rules_of FROM TO: the rules of destinations FROM..TO-1 (ofport in p1).
rules_of() {
    awk -v a="$1" -v b="$2" -v p="$p1" 'BEGIN {
        for (i = a; i < b; i++)
            printf "priority=5,ip,nw_dst=10.%d.%d.%d,actions=output:%d\n",
                   1 + int(i / 65536), int(i / 256) % 256, i % 256, p
    }'
}
# ftd_stop: the daemon gone and the representors' filters with it (a
# daemon keeps its filters over a restart; the next build starts clean).
ftd_stop() {
    kill "$ftd_pid"
    while kill -0 "$ftd_pid" 2>/dev/null; do sleep 0.1; done
    for d in ftnic0r0 ftnic0r1; do
        tc qdisc del dev $d ingress 2>/dev/null
        tc qdisc del dev $d clsact 2>/dev/null
    done
    [ "$(tc filter show dev ftnic0r0 ingress | grep -c .)" = 0 ] \
        || fail "filters left on ftnic0r0 after the daemon stopped"
}
ftd_starts=0
ftd_start main

# hw_count: FlowTier's megaflows in the hw tier (dpif-show).
hw_count() {
    "$FT" dpif-show br0 | sed -nE 's/.*flows per tier: hw:([0-9]+) .*/\1/p'
}
# send FROM TO: one UDP packet VF0 -> VF1 to each destination FROM..TO-1,
# paced so that the representor's upcall queue keeps up.
send() {
    ip netns exec vm0 sh -c "
        pg=/proc/net/pktgen
        echo rem_device_all > \$pg/kpktgend_$PG_CPU
        echo add_device ftnic0vf0 > \$pg/kpktgend_$PG_CPU
        for c in 'count $(($2 - $1))' 'clone_skb 0' 'pkt_size 60' \
                 'delay $SEND_DELAY_NS' 'dst_min $(dst $1)' 'dst_max $(dst $(($2 - 1)))' \
                 'dst_mac $vf1_mac' 'udp_src_min 9' 'udp_src_max 9' \
                 'udp_dst_min 9' 'udp_dst_max 9'; do
            echo \$c > \$pg/ftnic0vf0
        done
        echo start > \$pg/pgctrl"
}
# drops: where first packets were dropped so far, as "SOFTNET PORT LOST":
# the kernel's backlog queues (/proc/net/softnet_stat, all CPUs), FlowTier's
# port ftnic0r0 (dump-ports drop: its AF_PACKET ring's kernel drops and its
# own), the datapath's lost misses (dpif-show).
drops() {
    local s=0 d no
    while read -r _ d _; do s=$((s + 0x$d)); done </proc/net/softnet_stat
    no=$("$FT" get Interface ftnic0r0 ofport)
    echo "$s $("$FT" dump-ports br0 | sed -nE "s/^  port +$no: rx pkts=.*drop=([0-9]+),.*/\1/p") \
$("$FT" dpif-show br0 | sed -nE 's/.*missed:[0-9]+ lost:([0-9]+).*/\1/p')"
}
# model_rules: the rules in the SmartNIC model's tables now, read from its
# parameter file by the shell itself: polling it starts no process, so it
# costs the guest's vCPU (which FlowTier's insertion shares) nothing worth
# counting, where a 'flowtier dpif-show' costs it a tenth of a second.
model_rules() {
    local v
    read -r v </sys/module/ftnic/parameters/rules || v=0
    echo "$v"
}
# fill FROM TO: FlowTier holds FROM filters in hw; sends until it holds TO
# (lost upcalls are sent again, at most 5 rounds); sets ROUNDS, FIRST_HW
# (in hw after the first round), FIRST_DROPS (drops in the first round,
# as drops()) and T_ALL_HW (now() when the model first held all TO).
# After each send the model's rule count is polled every 0.1 s, without
# starting a process, until it holds the TO - FROM new rules or stops
# moving for a second; dpif-show then says what FlowTier holds.
fill() {
    local c round d0 m0 want last still
    d0=$(drops)
    m0=$(model_rules)
    want=$((m0 + $2 - $1))
    FIRST_HW=$2 FIRST_DROPS= T_ALL_HW=
    for round in 1 2 3 4 5; do
        ROUNDS=$round
        # No polling while pktgen sends: under emulation each 'flowtier'
        # and 'sed' process costs the guest's one vCPU tens of
        # milliseconds, which FlowTier's insertion (and not tc's) paid.
        send "$1" "$2"
        last=-1 still=0
        while [ "$still" -lt 10 ]; do
            c=$(model_rules)
            if [ "$c" -ge "$want" ]; then
                T_ALL_HW=$(now)
                break
            fi
            if [ "$c" = "$last" ]; then
                still=$((still + 1))
            else
                still=0 last=$c
            fi
            nap 0.1
        done
        last=$(hw_count)
        last=${last:-0}
        if [ "$round" = 1 ]; then
            FIRST_HW=$last
            # No process substitution: the guest has no /dev/fd.
            local a0 b0 c0 a1 b1 c1
            read -r a0 b0 c0 <<<"$d0"
            read -r a1 b1 c1 <<<"$(drops)"
            FIRST_DROPS="$((${a1:-0} - ${a0:-0})) $((${b1:-0} - ${b0:-0})) $((${c1:-0} - ${c0:-0}))"
            log "first round: $last of $2 in hw; dropped (softnet port lost): $FIRST_DROPS"
        fi
        if [ "$last" -ge "$2" ]; then
            [ -n "$T_ALL_HW" ] || T_ALL_HW=$(now)
            return 0
        fi
        T_ALL_HW=
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

# ---- --profile: where the vCPU goes during an insertion.
# ticks PID: the process's user and system CPU time (clock ticks).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpu_ticks: the guest's user+nice, system, softirq+irq and idle ticks.
cpu_ticks() { awk '/^cpu / { print $2 + $3, $4, $7 + $8, $5 + $6 }' /proc/stat; }
# profile_start / profile_stop: CPU time of the parties (pktgen's kernel
# thread's shows in perf's per-command shares) and a perf record
# of the whole guest between the two, reported to standard error.
profile_start() {
    command -v perf >/dev/null || fail "--profile: no perf in the guest"
    # Started with its events off, and on once it says so: under TCG perf
    # takes tens of seconds to start, and the insertion may be shorter.
    rm -f /tmp/ftb/perf.ctl /tmp/ftb/perf.ack
    mkfifo /tmp/ftb/perf.ctl /tmp/ftb/perf.ack || fail "--profile: no fifo"
    perf record -e cpu-clock -F 499 -a -g -D -1 \
        --control fifo:/tmp/ftb/perf.ctl,/tmp/ftb/perf.ack \
        -o /tmp/ftb/perf.data >/tmp/ftb/perf.log 2>&1 &
    PROF_PID=$!
    exec 8>/tmp/ftb/perf.ctl 9</tmp/ftb/perf.ack
    echo enable >&8
    read -r -t 300 ack <&9 || fail "--profile: perf did not start: $(tail -3 /tmp/ftb/perf.log)"
    log "profile: perf recording"
    PROF_SI=$(pgrep -x ksoftirqd/0)
    PROF_T0="$(ticks "$ftd_pid") $(ticks "$PROF_SI") $(cpu_ticks)"
    PROF_DP0=$("$FT" dpif-show br0)
}
profile_stop() {
    kill -INT "$PROF_PID"; wait "$PROF_PID"
    exec 8>&- 9<&-
    local t1 dp1
    t1="$(ticks "$ftd_pid") $(ticks "$PROF_SI") $(cpu_ticks)"
    dp1=$("$FT" dpif-show br0)
    awk -v a="$PROF_T0" -v b="$t1" 'BEGIN {
        split(a, x); split(b, y); hz = 100
        split("flowtierd ksoftirqd/0 guest-user guest-system guest-softirq+irq guest-idle", name)
        for (i = 1; i <= 6; i++)
            printf "tc-vm: profile: %-18s %8.2f s\n", name[i], (y[i] - x[i]) / hz > "/dev/stderr"
    }'
    log "profile: dpif-show before: $(grep -E 'revalidator|last pass|missed' <<<"$PROF_DP0" | tr -s ' \n' ' ')"
    log "profile: dpif-show after: $(grep -E 'revalidator|last pass|missed' <<<"$dp1" | tr -s ' \n' ' ')"
    perf report -i /tmp/ftb/perf.data --no-children --sort comm,dso,sym \
        --stdio -g none --percent-limit 0.7 2>/dev/null | grep -v '^$' | head -70 >&2
    perf report -i /tmp/ftb/perf.data --no-children --sort comm,dso \
        --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20 >&2
    perf report -i /tmp/ftb/perf.data --children --sort sym --comm flowtierd \
        --stdio -g none --percent-limit 3 2>/dev/null | grep -v '^$' | head -60 >&2
}

# ---- tcins, tcinhw, tcmod, tcdel: N megaflows, R rounds of each side.
# wait_settled COUNTER TARGET: waits until dpif-show's COUNTER ("modified",
# "deleted") reaches TARGET and a revalidator pass (which commits every
# answer outstanding) has ended after that.
counter() {
    local v
    v=$("$FT" dpif-show br0 | sed -nE "s/.*revalidator: ([0-9]+) passes, ([0-9]+) megaflows expired, ([0-9]+) modified, ([0-9]+) deleted.*/\\$1/p")
    echo "${v:-0}"      # A daemon too busy to answer has done nothing more.
}
# capped WHAT DONE: the case WHAT did DONE of N in the cap: reports that
# alone (with tcins's first round) and ends the run.
capped() {
    log "$1: $2 of $n in $cap s (capped); the run ends here"
    cat <<EOF | tr -d '\n'; echo
RESULT-JSON {
"tcins": {"unit": "rules/s", "n": $n, "flowtier_rounds": [$(echo $ft_rates | sed 's/ /, /g')]},
"$1": {"unit": "s", "n": $n, "capped_at_seconds": $cap, "done_in_cap": $2,
"per_second": $(awk -v d="$2" -v c="$cap" 'BEGIN { printf "%.1f", d / c }')}
}
EOF
    exit 0
}
wait_settled() {
    local col=$1 target=$2 p end=$(($(date +%s) + cap))
    while [ "$(counter "$col")" -lt "$target" ]; do
        if [ "$(date +%s)" -ge "$end" ]; then
            CAPPED_AT=$(($(counter "$col") - target + n))
            return 1
        fi
        sleep 0.2
    done
    p=$(counter 1)
    while [ "$(counter 1)" -le "$p" ]; do sleep 0.2; done
}
# ours_with DEV PATTERN: FlowTier's filters on DEV whose text has PATTERN.
ours_with() {
    tc filter show dev "$1" ingress | awk -v c="cookie $COOKIE" -v p="$2" '
        /^filter / && / handle / { hit = 0 }
        index($0, p) { hit = 1 }
        index($0, c) && hit { n++ } END { print n + 0 }'
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
    printf "%s", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# ft_tcmod: one mod-flows changing every rule's actions; sets R_MOD.
ft_tcmod() {
    local t0 t1 mod0 n_mod
    mod0=$(counter 3)
    t0=$(now)
    ft mod-flows br0 "ip,actions=drop"
    wait_settled 3 $((mod0 + n)) || capped tcmod "$CAPPED_AT"
    t1=$(now)
    n_mod=$(ours_with ftnic0r0 "gact action drop")
    [ "$n_mod" -ge "$n" ] || fail "after mod-flows tc shows $n_mod of $n filters with the new action"
    R_MOD=$(elapsed "$t0" "$t1")
}
# ft_round R: round R of FlowTier's side with the running daemon: tcins,
# then tcmod and tcdel; sets R_RATE, R_MOD, R_DEL, ROUNDS, FIRST_HW and
# FIRST_DROPS, and (the first time) the peer's batch and tcinhw.
ft_round() {
    local r=$1 t0 t1 span_r t_ins n_ins t_fill left
    log "round $r: FlowTier ($FTD_BUILD), $n megaflows by traffic"
    [ -n "$profile" ] && [ "$r" = 1 ] && [ "$FTD_SIDE" = main ] && profile_start
    t0=$(now)
    fill 0 "$n"
    t_fill=$(elapsed "$t0" "$T_ALL_HW")
    [ -n "$profile" ] && [ "$r" = 1 ] && [ "$FTD_SIDE" = main ] && profile_stop
    # The rules' filters only (10.1.x.x): not a stray packet's.
    # The rate: N over the time from the first packet sent to the model
    # holding all N (+-0.1 s; pktgen's pace, 1 / SEND_DELAY_NS, bounds
    # it).  The kernel's install times, whole seconds and read by a dump
    # that itself takes seconds at this size, are kept for the record.
    span_r=$("$span" ftnic0r0 10.1.) || span_r="null $n"
    read -r t_ins n_ins <<<"$span_r"
    R_RATE=$(awk -v n="$n" -v t="$t_fill" 'BEGIN { printf "%.0f", n / t }')
    log "FlowTier: $n filters in hw $t_fill s after the first packet ($R_RATE rules/s; first to last insert by the kernel's install times $t_ins s)"
    if [ "$r" = 1 ] && [ "$FTD_SIDE" = main ]; then
        t_inhw=$t_fill
        ours_hw=$(in_hw ftnic0r0)
        [ "$ours_hw" -ge "$n" ] || fail "tc shows $ours_hw of FlowTier's $n filters in_hw"
    fi
    if [ ! -s /tmp/ftb/peer.batch ]; then
        # The peer: the same filters (FlowTier's --explain lines) on a
        # fresh representor, in one tc -batch.
        ft dump-dp-flows --explain br0 type=offloaded
        sed -n 's/^  tc: tc //p' <<<"$out" | sed 's/ dev ftnic0r0 / dev ftnic0r2 /' \
            >/tmp/ftb/peer.batch
        n_peer=$(grep -c ' dev ftnic0r2 ' /tmp/ftb/peer.batch)
        [ "$n_peer" -ge "$n" ] || fail "only $n_peer explained lines on ftnic0r0 for $n megaflows"
    fi
    # tcmod: every rule's actions changed, so every megaflow's.
    R_MOD=null
    [ -z "$no_tcmod" ] && ft_tcmod
    # tcdel: every rule gone, so every megaflow.
    del0=$(counter 4)
    # Megaflows no rule made (a stray packet's table-miss drop, which may
    # come at any time) outlive del-flows: only the N of the rules, whose
    # destinations are 10.1.x.x (N <= 65,536), must go.
    t0=$(now)
    ft del-flows br0
    wait_settled 4 $((del0 + n)) || capped tcdel "$CAPPED_AT"
    t1=$(now)
    left=$(ours_with ftnic0r0 "dst_ip 10.1.")
    [ "$left" = 0 ] || fail "after del-flows tc still shows $left of FlowTier's $n filters: $(tc filter show dev ftnic0r0 ingress | grep -m3 'dst_ip 10\.1\.')"
    R_DEL=$(elapsed "$t0" "$t1")
    log "FlowTier: $n filters modified in $R_MOD s, deleted in $R_DEL s"
    ft add-flows br0 /tmp/ftb/rules.of
}
ft_rates= tc_rates= mod_s= del_s= ins_rounds_all= first_hw_all= first_drops_all=
alt_rates= alt_mod_s= alt_del_s= alt_rounds_all= alt_first_hw_all= alt_first_drops_all=
tc_ins_all= tc_cmd_all=
rm -f /tmp/ftb/peer.batch
tc qdisc del dev ftnic0r2 clsact 2>/dev/null
[ -n "$only_tccnt" ] && rounds=0
for r in $(seq 1 "$rounds"); do
    # With a second build: A B in odd rounds, B A in even ones.
    sides=main
    if [ -n "$alt" ]; then
        [ $((r % 2)) = 1 ] && sides="main alt" || sides="alt main"
    fi
    for side in $sides; do
        if [ "$FTD_SIDE" != "$side" ]; then
            ftd_stop
            ftd_start "$side"
        fi
        ft_round "$r"
        if [ "$side" = main ]; then
            ft_rates="$ft_rates $R_RATE" mod_s="$mod_s $R_MOD" del_s="$del_s $R_DEL"
            ins_rounds_all="$ins_rounds_all $ROUNDS" first_hw_all="$first_hw_all $FIRST_HW"
            first_drops_all="$first_drops_all,\"${FIRST_DROPS:-none}\""
        else
            alt_rates="$alt_rates $R_RATE" alt_mod_s="$alt_mod_s $R_MOD" alt_del_s="$alt_del_s $R_DEL"
            alt_rounds_all="$alt_rounds_all $ROUNDS" alt_first_hw_all="$alt_first_hw_all $FIRST_HW"
            alt_first_drops_all="$alt_first_drops_all,\"${FIRST_DROPS:-none}\""
        fi
    done
    # The peer, alone on the vCPU: flowtierd stopped while tc runs.
    log "round $r: tc -batch of $n_peer filters, flowtierd stopped"
    tc qdisc add dev ftnic0r2 clsact || fail "no clsact on ftnic0r2"
    kill -STOP "$ftd_pid"
    t0=$(now)
    $PIN0 tc -batch /tmp/ftb/peer.batch >/tmp/ftb/peer.out 2>&1
    rc=$?
    t1=$(now)
    kill -CONT "$ftd_pid"
    [ "$rc" = 0 ] || fail "tc -batch refused FlowTier's explained filters: $(tail -3 /tmp/ftb/peer.out)"
    peer_hw=$(tc -s filter show dev ftnic0r2 ingress | grep -c 'in_hw in_hw_count 1')
    t2=$(now)
    [ "$peer_hw" = "$n_peer" ] || fail "tc shows $peer_hw of the batch's $n_peer filters in_hw"
    [ "$r" = 1 ] && tc_inhw=$(elapsed "$t0" "$t2")
    # The span is for the record only (the rate is over the command's
    # time): a dump of many filters takes seconds, so its ages may name
    # the wrong oldest filter; then the count is tc's in_hw count.
    span_r=$("$span" ftnic0r2 10.1.) || span_r="null $peer_hw"
    read -r tc_ins_s n_tc <<<"$span_r"
    tc_cmd_s=$(elapsed "$t0" "$t1")
    rate=$(awk -v n="$n_tc" -v t="$tc_cmd_s" 'BEGIN { printf "%.0f", n / t }')
    tc_rates="$tc_rates $rate" tc_ins_all="$tc_ins_all $tc_ins_s" tc_cmd_all="$tc_cmd_all $tc_cmd_s"
    tc qdisc del dev ftnic0r2 clsact
    log "tc -batch: $n_tc filters, command $tc_cmd_s s ($rate rules/s), first to last insert $tc_ins_s s"
done
if [ -z "$only_tccnt" ]; then
ft_ins_rate=$(median <<<"$ft_rates")
tc_ins_rate=$(median <<<"$tc_rates")
ft_mod_s=$([ -n "$no_tcmod" ] && echo null || median <<<"$mod_s")
ft_del_s=$(median <<<"$del_s")
fi
# json_list "a b c": [a, b, c]
json_list() { echo "[$(echo $1 | sed 's/ /, /g')]"; }
# The megaflows again, for tccnt, with --builddir's build.
if [ "$FTD_SIDE" != main ]; then
    ftd_stop
    ftd_start main
fi
# ---- tccnt: M filters, counters read in one pass.
log "$m megaflows by traffic, in bursts of $FILL_CHUNK"
ft add-flows br0 /tmp/ftb/rules-cnt.of
t0=$(now)
cnt_rounds=0
# In bursts the receive ring holds (the filling is not what is timed):
# one burst of M first packets overruns it and needs send rounds.
# Each burst's line says where the guest's time went meanwhile: the
# daemon's CPU seconds, the guest's idle seconds, and the revalidator's
# last pass and period (one 'flowtier' call a burst, after its send).
b_t=$t0 b_ftd=$(ticks "$ftd_pid") b_idle=$(cpu_ticks | cut -d' ' -f4)
for ((c = 0; c < m; c += FILL_CHUNK)); do
    [ "$c" = "$profile_cnt" ] && profile_start
    fill "$c" $((c + FILL_CHUNK < m ? c + FILL_CHUNK : m))
    [ "$c" = "$profile_cnt" ] && profile_stop
    cnt_rounds=$((cnt_rounds + ROUNDS))
    e_t=$(now) e_ftd=$(ticks "$ftd_pid") e_idle=$(cpu_ticks | cut -d' ' -f4)
    s=$("$FT" dpif-show br0)
    log "tccnt fill: $(sed -nE 's/.*flows per tier: hw:([0-9]+) .*/\1/p' <<<"$s") in hw, burst $(elapsed "$b_t" "$e_t") s (flowtierd CPU $(((e_ftd - b_ftd))) ticks, guest idle $((e_idle - b_idle)) ticks, 100/s); $(grep -E 'revalidator:|last pass|period' <<<"$s" | tr -s ' \n' ' ')"
    b_t=$e_t b_ftd=$e_ftd b_idle=$e_idle
done
t_fill_cnt=$(elapsed "$t0" "$(now)")
log "$m megaflows in hw after $t_fill_cnt s, $cnt_rounds send rounds"
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
r_cnt=$(ratio "$tc_cnt_ms" "$ft_pass_ms")
tccnt_json="\"tccnt\": {\"unit\": \"ms\", \"m\": $m, \"flowtier\": $ft_pass_ms, \"flowtier_megaflows\": $ft_pass_n,
\"tc\": $tc_cnt_ms, \"tc_extrapolated_from_gets\": $sample, \"tc_sample_seconds\": $tc_get_s,
\"ratio_tc_to_flowtier\": $r_cnt, \"flowtier_send_rounds\": $cnt_rounds, \"fill_burst\": $FILL_CHUNK,
\"fill_seconds\": $t_fill_cnt}"
if [ -n "$only_tccnt" ]; then
    echo
    echo "TC flower benchmark (VM under emulation: QEMU TCG, 1 vCPU; ftnic model, not hardware)"
    printf '%-7s %-12s %14s %14s %8s  %s\n' case unit flowtier tc ratio goal
    printf '%-7s %-12s %14s %14s %8s  %s\n' tccnt ms "$ft_pass_ms" "~$tc_cnt_ms" "$r_cnt" 'tc/flowtier; tc extrapolated from a sample'
    echo "RESULT-JSON {$(tr -d '\n' <<<"$tccnt_json")}"
    exit 0
fi
r_ins=$(ratio "$ft_ins_rate" "$tc_ins_rate")
r_inhw=$(ratio "$tc_inhw" "$t_inhw")
echo
echo "TC flower benchmark (VM under emulation: QEMU TCG, 1 vCPU; ftnic model, not hardware)"
printf '%-7s %-12s %14s %14s %8s  %s\n' case unit flowtier tc ratio goal
printf '%-7s %-12s %14s %14s %8s  %s\n' tcins rules/s "$ft_ins_rate" "$tc_ins_rate" "$r_ins" '>= 0.8 (flowtier/tc)'
if [ -n "$alt" ]; then
    alt_ins_rate=$(median <<<"$alt_rates")
    r_alt=$(ratio "$alt_ins_rate" "$tc_ins_rate")
    printf '%-7s %-12s %14s %14s %8s  %s\n' tcins rules/s "$alt_ins_rate" "$tc_ins_rate" "$r_alt" "--alt-builddir (rounds:$alt_rates; main:$ft_rates; tc:$tc_rates)"
fi
printf '%-7s %-12s %14s %14s %8s  %s\n' tcinhw s "$t_inhw" "$tc_inhw" "$r_inhw" 'tc/flowtier, higher is better for FlowTier'
printf '%-7s %-12s %14s %14s %8s  %s\n' tcmod s "$ft_mod_s" - - "$n filters' actions changed (rounds:$mod_s)"
printf '%-7s %-12s %14s %14s %8s  %s\n' tcdel s "$ft_del_s" - - "$n filters removed (rounds:$del_s)"
printf '%-7s %-12s %14s %14s %8s  %s\n' tccnt ms "$ft_pass_ms" "~$tc_cnt_ms" "$r_cnt" 'tc/flowtier; tc extrapolated from a sample'
cat <<EOF | tr -d '\n'; echo
RESULT-JSON {
"tcins": {"unit": "rules/s", "n": $n, "flowtier": $ft_ins_rate, "tc": $tc_ins_rate,
"rx_ring_frames": "${rx_ring:-default}",
"ratio_flowtier_to_tc": $r_ins, "goal": ">= 0.8", "medians_of_rounds": $rounds, "order": "ABAB: FlowTier then tc each round, flowtierd SIGSTOPped while tc runs",
"flowtier_rounds": $(json_list "$ft_rates"), "tc_rounds": $(json_list "$tc_rates"), "flowtier_seconds_resolution": 0.1, "flowtier_rate_over": "first packet sent to all N in the model",
"flowtier_send_rounds": $(json_list "$ins_rounds_all"), "send_gap_ns": $SEND_DELAY_NS,
"flowtier_first_round_in_hw": $(json_list "$first_hw_all"),
"flowtier_first_round_dropped_softnet_port_lost": [${first_drops_all#,}],
"tc_insert_span_seconds": $(json_list "$tc_ins_all"), "tc_filters": $n_tc, "tc_command_seconds": $(json_list "$tc_cmd_all")},
$([ -n "$alt" ] && echo "\"tcins_alt\": {\"unit\": \"rules/s\", \"n\": $n, \"builddir\": \"$alt\", \"flowtier\": $alt_ins_rate,
\"ratio_flowtier_to_tc\": $r_alt, \"flowtier_rounds\": $(json_list "$alt_rates"),
\"order\": \"main then alt in odd rounds, alt then main in even ones, tc after both\",
\"rx_ring_frames\": \"${alt_ring:-${rx_ring:-default}}\",
\"flowtier_send_rounds\": $(json_list "$alt_rounds_all"), \"flowtier_first_round_in_hw\": $(json_list "$alt_first_hw_all"),
\"flowtier_first_round_dropped_softnet_port_lost\": [${alt_first_drops_all#,}],
\"tcmod_rounds\": $(json_list "$alt_mod_s"), \"tcdel_rounds\": $(json_list "$alt_del_s")},")
"tcmod": {"unit": "s", "n": $n, "flowtier": $ft_mod_s, "flowtier_rounds": $(json_list "$mod_s")},
"tcdel": {"unit": "s", "n": $n, "flowtier": $ft_del_s, "flowtier_rounds": $(json_list "$del_s")},
"tcinhw": {"unit": "s", "n": $n, "flowtier": $t_inhw, "tc": $tc_inhw,
"ratio_tc_to_flowtier": $r_inhw},
$tccnt_json
}
EOF
