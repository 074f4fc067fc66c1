# sw-dpdk.sh - FlowTier and Open vSwitch with two DPDK ports, for the
# DPDK cases (case-dpdk3t.sh, case-megaflows.sh): port 1
# net_pcap0,rx_pcap=CAPTURE[,infinite_rx=1], port 2 net_null0,no-rx=1,
# one datapath core (CPU 1).  The daemons run in the switch namespace
# (for the CPU accounting), although no veth is used.
#
# Switches defined here:
#   flowtier-dpdk  flowtierd, bridge br0 with other_config:pmd-cpu=1 and
#                  other_config:dpdk-extra, ports of type dpdk; with a
#                  replayed capture, port 1's pool (options:n_mbufs) holds
#                  the whole capture plus 8,192 mbufs
#   flowtier-dpdk-alt  the same with the build of run.sh --alt-build
#   ovs-dpdk       a private Open vSwitch with DPDK (Debian's
#                  openvswitch-switch-dpdk, installed on first use:
#                  /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk),
#                  other_config:dpdk-init=true, pmd-cpu-mask=0x2,
#                  dpdk-extra; bridge br0 of datapath_type=netdev and
#                  fail_mode=secure, ports of type dpdk
#
# What a case sets (CASE_NAME_...; the defaults are case 1's):
#   FLOWS      flows in the capture (required)
#   CAPTURE    'fwd': one MAC pair, distinct UDP 5-tuples; 'macs': also a
#              source MAC per flow (case_dpdk_pcap)
#   REPLAY     1: infinite_rx (the capture in mbufs, replayed forever)
#   TABLE      'fwd': the table of case-dpdk3t.sh; 'setup': that table and
#              'priority=200,dl_src=02:ff:ff:ff:ff:ff,actions=drop' (a
#              blocked host: every frame's megaflow then matches its exact
#              source MAC, so each flow of a 'macs' capture makes one)
#   SOURCE     'pcap' (the default): port 1 reads the capture; 'memif':
#              port 1 is net_memif0, the client of bench-memif-gen
#              (tests/bench), which runs on CPU 0 and makes the capture's
#              frames as it sends them (no capture, no mbuf per flow:
#              both switches can take a million flows)
#   MEGAFLOWS  1: room for 2 x FLOWS megaflows that never idle out (both
#              switches: other_config flow-limit, max-idle 600,000 ms;
#              OVS also 'upcall/set-flow-limit', which lifts the limit it
#              otherwise starts at, 10,000, and raises by 1,000 per
#              revalidator round)
#
# Both EALs run without hugepages (none are configured on the benchmark
# machine) with the same memory: 2 GiB, plus 6 KiB per flow for a
# replayed capture (net_pcap's infinite_rx keeps it in mbufs, and
# --no-huge memory costs more than the mbufs themselves).  OVS needs
# --legacy-mem: without it, it adds --in-memory, which the EAL refuses
# together with --no-huge.
#
# Needs BENCH_TMP, BENCH_SW, BENCH_CASE (a DPDK case) and the functions of
# sw-flowtier.sh and sw-ovs.sh.

SW_OVS_DPDK_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
SW_DPDK_FWD_FLOW=priority=50,ip,nw_dst=10.1.0.0/16,
SW_DPDK_FWD_FLOW+=actions=mod_vlan_vid:100,output:2
SW_DPDK_FWD_CHANGED=${SW_DPDK_FWD_FLOW/vid:100/vid:200}

# sw_dpdk_case VAR DEFAULT: the current case's CASE_<case>_VAR.
sw_dpdk_case() {
    eval echo "\${CASE_${BENCH_CASE:-none}_$1:-$2}"
}

# sw_dpdk_setup: sets SW_DPDK_FLOWS, SW_DPDK_PCAP, SW_DPDK_DEVARGS (port
# 1), SW_DPDK_MEM (MiB), SW_DPDK_REPLAY and
# SW_DPDK_FLOW_LIMIT (empty: the switch's default) for the current case;
# with a memif source, starts bench-memif-gen.
sw_dpdk_setup() {
    SW_DPDK_FLOWS=$(case_dpdk_flows)
    [ -n "$SW_DPDK_FLOWS" ] || {
        bench_log "switch ${BENCH_SWITCH:-?} runs only the DPDK cases"
        return 1
    }
    SW_DPDK_FLOW_LIMIT=
    [ "$(sw_dpdk_case MEGAFLOWS 0)" = 1 ] \
        && SW_DPDK_FLOW_LIMIT=$((2 * SW_DPDK_FLOWS))
    if [ "$(sw_dpdk_case SOURCE pcap)" = memif ]; then
        SW_DPDK_REPLAY=0
        SW_DPDK_MEM=2048
        SW_DPDK_DEVARGS="net_memif0,role=client,socket=$BENCH_TMP/memif.sock"
        SW_DPDK_DEVARGS="$SW_DPDK_DEVARGS,socket-abstract=no"
        sw_dpdk_memif_start
        return
    fi
    SW_DPDK_PCAP=$(case_dpdk_pcap "$SW_DPDK_FLOWS" \
                       "$(sw_dpdk_case CAPTURE fwd)") || {
        bench_log "cannot write the capture"
        return 1
    }
    SW_DPDK_REPLAY=$(sw_dpdk_case REPLAY 1)
    SW_DPDK_DEVARGS="net_pcap0,rx_pcap=$SW_DPDK_PCAP"
    SW_DPDK_MEM=2048
    if [ "$SW_DPDK_REPLAY" = 1 ]; then
        SW_DPDK_DEVARGS="$SW_DPDK_DEVARGS,infinite_rx=1"
        SW_DPDK_MEM=$((2048 + SW_DPDK_FLOWS * 6 / 1024))
    fi
    return 0
}

# sw_dpdk_memif_start: starts bench-memif-gen on CPU 0 as the server of
# $BENCH_TMP/memif.sock, sending the case's flows, and waits for its
# socket.  sw_dpdk_memif_stop, called by the switches' stop, stops it.
sw_dpdk_memif_start() {
    local sock=$BENCH_TMP/memif.sock gen=$BENCH_BUILD/tests/bench/bench-memif-gen
    local i pid
    [ -x "$gen" ] || { bench_log "no $gen"; return 1; }
    rm -f "$sock"
    "$gen" --socket "$sock" --flows "$SW_DPDK_FLOWS" --cpu 0 \
        >"$BENCH_TMP/memif-gen.log" 2>&1 &
    pid=$!
    SW_DPDK_GEN_PID=$pid
    SW_DPDK_GEN_STOP="bench_kill $pid"
    bench_defer "$SW_DPDK_GEN_STOP"
    for i in $(seq 100); do
        [ -S "$sock" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    bench_log "bench-memif-gen did not start:" \
              "$(tail -3 "$BENCH_TMP/memif-gen.log")"
    return 1
}

# sw_dpdk_memif_mark: asks the running generator for its counts and
# prints "T SENT FULL" (seconds since its start, frames sent, bursts the
# switch's ring did not take), or nothing.
sw_dpdk_memif_mark() {
    local n
    [ -n "${SW_DPDK_GEN_PID:-}" ] || return 0
    n=$(grep -c '^at ' "$BENCH_TMP/memif-gen.log")
    kill -USR1 "$SW_DPDK_GEN_PID" 2>/dev/null || return 0
    for _ in $(seq 50); do
        [ "$(grep -c '^at ' "$BENCH_TMP/memif-gen.log")" -gt "$n" ] && break
        sleep 0.02
    done
    awk '/^at / { t = $2; s = $5; f = $7 } END { if (t != "") print t, s, f }' \
        "$BENCH_TMP/memif-gen.log"
}

# sw_dpdk_memif_ticks: the generator's CPU time so far (clock ticks), or
# 0 without one.
sw_dpdk_memif_ticks() {
    [ -n "${SW_DPDK_GEN_PID:-}" ] \
        && awk '{ print $14 + $15; exit }' "/proc/$SW_DPDK_GEN_PID/stat" \
               2>/dev/null \
        || echo 0
}

# sw_dpdk_memif_stop: stops the generator of sw_dpdk_memif_start, if
# any, and keeps the last line of its log (frames sent, and how many
# bursts the switch's ring did not take) in $BENCH_TMP/memif-gen.last.
sw_dpdk_memif_stop() {
    [ -n "${SW_DPDK_GEN_STOP:-}" ] || return 0
    bench_undefer "$SW_DPDK_GEN_STOP"
    SW_DPDK_GEN_STOP= SW_DPDK_GEN_PID=
    tail -1 "$BENCH_TMP/memif-gen.log" >"$BENCH_TMP/memif-gen.last" 2>/dev/null
}

# sw_dpdk_table: prints the current case's OpenFlow table, a rule a line.
sw_dpdk_table() {
    [ "$(sw_dpdk_case TABLE fwd)" = setup ] \
        && echo 'priority=200,dl_src=02:ff:ff:ff:ff:ff,actions=drop'
    echo 'priority=100,udp,tp_dst=53,actions=drop'
    echo "$SW_DPDK_FWD_FLOW"
}

# sw_dpdk_rss PIDFILE: the daemon's VmRSS in kB.
sw_dpdk_rss() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$(cat "$1")/status" 2>/dev/null
}

# sw_dpdk_counts: prints port 1's rx packets and port 2's tx packets from
# dump-ports output (OVS's format, which FlowTier's follows) on stdin.
sw_dpdk_counts() {
    awk '/port +[0-9A-Z]+:/ { p = $2; sub(":", "", p) }
         { for (i = 1; i <= NF; i++) {
               if ($i ~ /^pkts=/ && $(i - 1) == "rx") rx[p] = $i
               if ($i ~ /^pkts=/ && $(i - 1) == "tx") tx[p] = $i } }
         END { gsub(/[^0-9]/, "", rx[1]); gsub(/[^0-9]/, "", tx[2])
               print rx[1], tx[2] }'
}

sw_flowtier_dpdk_start() {
    local eal mbufs= other=
    sw_dpdk_setup || return 1
    sw_flowtier_env
    SW_FLOWTIER_BUILD=${SW_FLOWTIER_DPDK_BUILD:-$BENCH_BUILD}
    rm -rf "$BENCH_TMP/ft"
    mkdir -p "$FLOWTIER_RUNDIR" "$FLOWTIER_DBDIR" || return 1
    eal="--no-huge --no-pci -m $SW_DPDK_MEM --no-shconf --no-telemetry"
    eal="$eal --file-prefix=ftbench-ft-$$"
    [ "$SW_DPDK_REPLAY" = 1 ] \
        && mbufs="options:n_mbufs=$((SW_DPDK_FLOWS + 8192))"
    [ -n "$SW_DPDK_FLOW_LIMIT" ] \
        && other="other_config:flow-limit=$SW_DPDK_FLOW_LIMIT"
    [ -n "$SW_DPDK_FLOW_LIMIT" ] \
        && other="$other other_config:max-idle=600000"
    bench_defer "bench_kill_pidfile $FLOWTIER_RUNDIR/flowtierd.pid"
    ip netns exec "$BENCH_SW" "$SW_FLOWTIER_BUILD/mgmt/flowtierd" --detach \
        --no-fsync --log-file="$BENCH_TMP/ft/flowtierd.log" || {
        bench_log "flowtierd did not start:" \
                  "$(tail -3 "$BENCH_TMP/ft/flowtierd.log")"
        return 1
    }
    # $other and $mbufs are unquoted on purpose: each is zero or more
    # words without spaces inside.
    sw_flowtier_ctl add-br br0 -- set Bridge br0 \
            "other_config:dpdk-extra=\"$eal\"" other_config:pmd-cpu=1 \
            $other \
        && sw_flowtier_ctl del-flows br0 \
        && sw_flowtier_dpdk_table \
        && sw_flowtier_ctl add-port br0 dpdk1 -- set Interface dpdk1 \
               type=dpdk ofport_request=2 \
               'options:dpdk-devargs="net_null0,no-rx=1"' \
        && sw_flowtier_ctl add-port br0 dpdk0 -- set Interface dpdk0 \
               type=dpdk ofport_request=1 \
               "options:dpdk-devargs=\"$SW_DPDK_DEVARGS\"" $mbufs || {
        bench_log "flowtier-dpdk: $(tail -3 "$BENCH_TMP/ft/flowtierd.log")"
        return 1
    }
}

# sw_flowtier_dpdk_table: loads the case's table into br0 (emptied).
sw_flowtier_dpdk_table() {
    sw_dpdk_table >"$BENCH_TMP/table.txt" \
        && sw_flowtier_ctl add-flows br0 "$BENCH_TMP/table.txt"
}

# sw_flowtier_dpdk_dpif: prints FIELD... of 'dpif-show --format json'.
sw_flowtier_dpdk_dpif() {
    sw_flowtier_env
    sw_flowtier_ctl --format json dpif-show br0 | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(*(d[k] for k in sys.argv[1:]))' "$@"
}

sw_flowtier_dpdk_megaflows() {
    sw_flowtier_dpdk_dpif flows
}

sw_flowtier_dpdk_rss() {
    sw_dpdk_rss "$FLOWTIER_RUNDIR/flowtierd.pid"
}

# sw_flowtier_dpdk_change: the one rule change of the revalidation case.
sw_flowtier_dpdk_change() {
    sw_flowtier_ctl add-flow br0 "$SW_DPDK_FWD_CHANGED"
}

# sw_flowtier_dpdk_dp_count STRING: megaflows whose line has STRING.
sw_flowtier_dpdk_dp_count() {
    sw_flowtier_ctl dump-dp-flows br0 | grep -cF -- "$1"
}

sw_flowtier_dpdk_stop() {
    sw_flowtier_stop
    sw_dpdk_memif_stop
}

sw_flowtier_dpdk_report() {
    sw_flowtier_report
}

sw_flowtier_dpdk_counts() {
    sw_flowtier_env
    sw_flowtier_ctl dump-ports br0 | sw_dpdk_counts
}

# flowtier-dpdk-alt: flowtier-dpdk with the programs of BENCH_ALT_BUILD
# (run.sh --alt-build), for A/B comparisons in the same run.
sw_flowtier_dpdk_alt_start() {
    [ -n "${BENCH_ALT_BUILD:-}" ] || { bench_log "no --alt-build"; return 1; }
    SW_FLOWTIER_DPDK_BUILD=$BENCH_ALT_BUILD sw_flowtier_dpdk_start
}

for f in table dpif megaflows rss change dp_count stop report counts; do
    eval "sw_flowtier_dpdk_alt_$f() { sw_flowtier_dpdk_$f \"\$@\"; }"
done
unset f

# Installs Debian's openvswitch-switch-dpdk if its ovs-vswitchd is missing
# (this leaves the ovs-vswitchd alternative, used by sw-ovs.sh, alone:
# the plain build has the higher priority).
sw_ovs_dpdk_install() {
    [ -x "$SW_OVS_DPDK_VSWITCHD" ] && return 0
    bench_log "installing openvswitch-switch-dpdk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        openvswitch-switch-dpdk >"$BENCH_TMP/apt-ovs-dpdk.log" 2>&1 \
        && [ -x "$SW_OVS_DPDK_VSWITCHD" ]
}

sw_ovs_dpdk_start() {
    local eal i other=
    sw_dpdk_setup || return 1
    sw_ovs_dpdk_install || {
        bench_log "cannot install openvswitch-switch-dpdk"
        return 1
    }
    eal="--no-huge --legacy-mem -m $SW_DPDK_MEM --no-pci --no-shconf"
    eal="$eal --file-prefix=ftbench-ovs-$$"
    [ -n "$SW_DPDK_FLOW_LIMIT" ] \
        && other="other_config:flow-limit=$SW_DPDK_FLOW_LIMIT"
    [ -n "$SW_DPDK_FLOW_LIMIT" ] \
        && other="$other other_config:max-idle=600000"
    # $other is unquoted on purpose: zero or more words without spaces.
    sw_ovs_launch "$SW_OVS_DPDK_VSWITCHD" \
        -- set Open_vSwitch . other_config:dpdk-init=true \
               other_config:pmd-cpu-mask=0x2 \
               "other_config:dpdk-extra=\"$eal\"" $other || return 1
    # The bridge first, its table next, the ports last: frames that
    # arrive before the table would make drop megaflows.
    sw_ovs_vsctl add-br br0 -- set bridge br0 datapath_type=netdev \
        fail_mode=secure || return 1
    for i in $(seq 100); do
        ovs-ofctl show br0 >/dev/null 2>&1 && break
        sleep 0.1
    done
    ovs-ofctl del-flows br0 \
        && sw_ovs_dpdk_table \
        || { bench_log "OVS br0 does not take the flows"; return 1; }
    if [ -n "$SW_DPDK_FLOW_LIMIT" ]; then
        sw_ovs_dpdk_appctl upcall/set-flow-limit "$SW_DPDK_FLOW_LIMIT" >/dev/null \
            || { bench_log "OVS refuses upcall/set-flow-limit"; return 1; }
    fi
    if ! sw_ovs_vsctl add-port br0 dpdk1 -- set interface dpdk1 type=dpdk \
               ofport_request=2 'options:dpdk-devargs="net_null0,no-rx=1"' \
        -- add-port br0 dpdk0 -- set interface dpdk0 type=dpdk \
               ofport_request=1 \
               "options:dpdk-devargs=\"$SW_DPDK_DEVARGS\"" \
        || [ "$(sw_ovs_vsctl get interface dpdk0 ofport)" != 1 ]; then
        bench_log "OVS dpdk0 is not up:" \
                  "$(sw_ovs_vsctl get interface dpdk0 error)"
        if [ "$SW_DPDK_REPLAY" = 1 ] && [ "$SW_DPDK_FLOWS" -gt 250000 ]; then
            bench_log "(infinite_rx needs an mbuf per captured frame," \
                      "$SW_DPDK_FLOWS here, and OVS's shared pool has" \
                      "262,144)"
        fi
        return 1
    fi
}

# sw_ovs_dpdk_appctl ARG...: ovs-appctl to the running ovs-vswitchd-dpdk
# (its control socket is named after the program, not ovs-vswitchd).
sw_ovs_dpdk_appctl() {
    local d=$BENCH_TMP/ovs
    ovs-appctl -t "$d/ovs-vswitchd-dpdk.$(cat "$d/ovs-vswitchd.pid").ctl" \
        "$@"
}

sw_ovs_dpdk_table() {
    sw_dpdk_table >"$BENCH_TMP/table.txt" \
        && ovs-ofctl add-flows br0 "$BENCH_TMP/table.txt"
}

sw_ovs_dpdk_megaflows() {
    sw_ovs_env
    sw_ovs_dpdk_appctl dpctl/show | awk '$1 == "flows:" { print $2; exit }'
}

sw_ovs_dpdk_rss() {
    sw_dpdk_rss "$BENCH_TMP/ovs/ovs-vswitchd.pid"
}

sw_ovs_dpdk_change() {
    ovs-ofctl add-flow br0 "$SW_DPDK_FWD_CHANGED"
}

sw_ovs_dpdk_dp_count() {
    sw_ovs_dpdk_appctl dpctl/dump-flows | grep -cF -- "$1"
}

# sw_ovs_dpdk_upcall FIELD: from 'sw_ovs_dpdk_appctl upcall/show': 'duration'
# (the last revalidator dump, ms) or 'limit' (the current flow limit).
sw_ovs_dpdk_upcall() {
    sw_ovs_env
    sw_ovs_dpdk_appctl upcall/show | awk -v f="$1" '
        f == "duration" && /dump duration/ { sub(/ms/, "", $4); print $4; exit }
        f == "limit" && /\(limit/ { v = $0; sub(/.*\(limit /, "", v)
                                   sub(/\).*/, "", v); print v; exit }'
}

sw_ovs_dpdk_stop() {
    sw_ovs_stop
    sw_dpdk_memif_stop
}

sw_ovs_dpdk_report() {
    sw_ovs_report
}

sw_ovs_dpdk_counts() {
    sw_ovs_env
    ovs-ofctl dump-ports br0 | sw_dpdk_counts
}
