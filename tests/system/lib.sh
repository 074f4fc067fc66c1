# Shared part of FlowTier's system tests (tests/system/test-*.sh), sourced
# by each of them.  A test runs in a network namespace of its own (the
# "host"), where flowtierd runs with a private run and database directory.
# Each "VM" is another namespace whose eth0 is one end of a veth pair; the
# other end, in the host namespace, becomes a FlowTier port.  Device names
# are therefore private to the test, and whatever happens, the EXIT trap
# kills the daemons and the processes the test started and deletes the
# namespaces (and with them every veth and tap).
#
# usage, at the top of a test:
#     . "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
#     sys_init "$@"             # FLOWTIER FLOWTIERD from meson
#     sys_start_daemon
#     sys_add_vm vm1 10.0.0.1 vnet0 br0
#
# A test fails (exit 1, message on stderr) when it is not run as root or a
# tool it needs is missing: it never skips.  SYS_KEEP=1 in the environment
# keeps the temporary directory (daemon log, database); SYS_SHOW_ERR=1
# prints every error message a test expects.  A script that changes
# directory before sourcing this file sets SYS_SELF to its own absolute
# path first.

SYS_NAME=$(basename "$0" .sh)
SYS_SELF=${SYS_SELF:-$(readlink -f "$0")}
SYS_PY=/usr/bin/python3

fail() {
    echo "FAIL: $SYS_NAME: $*" >&2
    exit 1
}

n_pass=0
pass() {
    n_pass=$((n_pass + 1))
}

# Ends a test: prints how many checks passed.
sys_done() {
    echo "$SYS_NAME: $n_pass checks passed"
}

# sys_need TOOL...: fails unless every TOOL is on PATH (or is a path to an
# executable).
sys_need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 \
            || fail "'$t' is not installed (tests/lib/deps.sh lists the packages)"
    done
}

# sys_init FLOWTIER FLOWTIERD: checks the environment, then re-runs the
# test inside a new network namespace (once), makes the temporary
# directory and sets the cleanup trap.
sys_init() {
    [ $# -ge 2 ] || fail "usage: $0 FLOWTIER FLOWTIERD"
    FT=$(readlink -f "$1")
    FTD=$(readlink -f "$2")
    [ -x "$FT" ] || fail "$1 is not an executable"
    [ -x "$FTD" ] || fail "$2 is not an executable"
    [ "$(id -u)" = 0 ] || fail "must run as root (network namespaces, veths, taps)"
    sys_need ip ping ethtool socat sha256sum "$SYS_PY"
    [ -e /dev/net/tun ] || fail "/dev/net/tun is missing"

    if [ -z "${FT_SYS_HOST_NS:-}" ]; then
        # Namespace names are global: this run's pid keeps them apart.
        export FT_SYS_HOST_NS=ftsys$$
        ip netns add "$FT_SYS_HOST_NS" || fail "cannot create a network namespace"
        local rc=0
        ip netns exec "$FT_SYS_HOST_NS" "$SYS_SELF" "$@" || rc=$?
        # The test's own trap has cleaned up; make sure of the rest.
        sys_delete_namespaces
        exit $rc
    fi

    SYS_NS_PREFIX=$FT_SYS_HOST_NS-
    SYS_T=$(mktemp -d "/tmp/ft-$SYS_NAME.XXXXXX")
    SYS_PIDS=()
    SYS_RUNDIRS=()
    trap sys_cleanup EXIT
    trap 'exit 130' INT TERM
    ip link set lo up
    sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    export FLOWTIER_RUNDIR=$SYS_T/run FLOWTIER_DBDIR=$SYS_T/db
}

# Deletes the test's host namespace and its VM namespaces.
sys_delete_namespaces() {
    local ns
    for ns in $(ls /run/netns 2>/dev/null); do
        case $ns in
        "$FT_SYS_HOST_NS"-*) ip netns del "$ns" ;;
        esac
    done
    ip netns del "$FT_SYS_HOST_NS" 2>/dev/null
    return 0
}

sys_cleanup() {
    local pid run
    # (bash reports each killed job on stderr; that is no news here.)
    {
        for pid in "${SYS_PIDS[@]}"; do
            kill -9 "$pid"
        done
        for run in "${SYS_RUNDIRS[@]}"; do
            [ -f "$run/flowtierd.pid" ] && kill -9 "$(cat "$run/flowtierd.pid")"
        done
        for pid in "${SYS_PIDS[@]}"; do
            wait "$pid"
        done
    } 2>/dev/null
    local ns
    for ns in $(ls /run/netns 2>/dev/null); do
        case $ns in
        "$SYS_NS_PREFIX"*) ip netns pids "$ns" | xargs -r kill -9 2>/dev/null ;;
        esac
    done
    sys_delete_namespaces
    if [ -n "${SYS_KEEP:-}" ]; then
        echo "kept $SYS_T" >&2
    else
        rm -rf "$SYS_T"
    fi
}

# sys_start_daemon: starts flowtierd (detached) on $FLOWTIER_RUNDIR and
# $FLOWTIER_DBDIR, logging to $SYS_T/flowtierd.log.
sys_start_daemon() {
    SYS_RUNDIRS+=("$FLOWTIER_RUNDIR")
    "$FTD" --detach --no-fsync --log-file="$SYS_T/flowtierd.log" \
        || fail "flowtierd did not start: $(tail -5 "$SYS_T/flowtierd.log")"
    [ -S "$FLOWTIER_RUNDIR/flowtierd.sock" ] || fail "flowtierd has no socket"
}

# sys_daemon_pid: prints the running daemon's pid.
sys_daemon_pid() {
    cat "$FLOWTIER_RUNDIR/flowtierd.pid"
}

# sys_kill9_daemon: kill -9 of the running daemon, returning once it is
# gone (a process killed in the middle of a large write may take a while
# to exit, and until then its pid file is still locked).
sys_kill9_daemon() {
    local pid i
    pid=$(sys_daemon_pid)
    kill -9 "$pid"
    for i in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
    fail "flowtierd (pid $pid) still there 10 s after kill -9"
}

# ft STATUS ARG...: runs 'flowtier ARG...' and checks its exit status;
# stdout is left in $out, stderr in $err.
ft() {
    local want=$1 rc
    shift
    out=$("$FT" "$@" 2>"$SYS_T/err")
    rc=$?
    err=$(cat "$SYS_T/err")
    [ "$rc" = "$want" ] \
        || fail "flowtier $* exited $rc, expected $want (stderr: $err)"
    pass
}

# expect_out REGEX: the last command's stdout has a line matching REGEX.
expect_out() {
    grep -qE -- "$1" <<<"$out" || fail "expected /$1/ in:
$out"
    pass
}

# expect_err REGEX: the last command's stderr is one line,
# 'flowtier: ...REGEX...'.
expect_err() {
    [ -n "${SYS_SHOW_ERR:-}" ] && echo "$err" >&2
    [ "$(wc -l <<<"$err")" = 1 ] || fail "error must be one line, got: $err"
    grep -qE -- "^flowtier: .*$1" <<<"$err" \
        || fail "expected 'flowtier: ...$1' on stderr, got: $err"
    pass
}

# in_vm VM CMD...: runs CMD in VM's namespace.
in_vm() {
    local vm=$1
    shift
    ip netns exec "$SYS_NS_PREFIX$vm" "$@"
}

# sys_add_vm VM IP PORT BRIDGE [ADD-PORT-ARGS...]: creates namespace VM
# with eth0 at IP/24 (MAC 02:00:00:00:00:XX, XX the last byte of IP in
# hex), its peer PORT in the host namespace, and adds PORT to BRIDGE with
# 'flowtier add-port BRIDGE PORT ADD-PORT-ARGS...'.
sys_add_vm() {
    local vm=$1 ip=$2 port=$3 br=$4 ns=$SYS_NS_PREFIX$1
    shift 4
    local mac
    mac=$(printf '02:00:00:00:00:%02x' "${ip##*.}")
    ip netns add "$ns" || fail "cannot create namespace $ns"
    ip link add "$port" type veth peer name eth0 netns "$ns" \
        || fail "cannot create veth $port"
    in_vm "$vm" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
    in_vm "$vm" ip link set eth0 address "$mac"
    in_vm "$vm" ip addr add "$ip/24" dev eth0
    in_vm "$vm" ip link set lo up
    in_vm "$vm" ip link set eth0 up
    # The switch forwards frames as they are, so the sender must fill in
    # its TCP checksums.
    in_vm "$vm" ethtool -K eth0 tx off >/dev/null \
        || fail "ethtool -K eth0 tx off failed in $vm"
    sysctl -qw "net.ipv6.conf.$port.disable_ipv6=1"
    ip link set "$port" up
    "$FT" add-port "$br" "$port" "$@" \
        || fail "add-port $br $port $* failed"
    pass
}

# sys_tcp_transfer FROM_VM DST_IP DST_PORT TO_VM LISTEN_PORT MIB: MIB MiB
# over TCP, compared by SHA-256 (the test sys_needs socat and sha256sum).
sys_tcp_transfer() {
    local from=$1 dst=$2 dport=$3 to=$4 lport=$5 mib=$6 f=$SYS_T/xfer
    head -c $((mib * 1024 * 1024)) /dev/urandom >"$f.in"
    rm -f "$f.out"
    in_vm "$to" timeout 30 socat -u "TCP-LISTEN:$lport,reuseaddr" \
        "CREATE:$f.out" &
    local spid=$!
    local i
    for i in $(seq 50); do
        in_vm "$to" ss -ltn 2>/dev/null | grep -q ":$lport " && break
        sleep 0.1
    done
    in_vm "$from" timeout 30 socat -u "OPEN:$f.in" "TCP:$dst:$dport" \
        || fail "TCP $from -> $dst:$dport failed"
    wait "$spid" || fail "TCP receiver in $to failed"
    [ "$(sha256sum <"$f.in")" = "$(sha256sum <"$f.out")" ] \
        || fail "TCP $from -> $dst:$dport: data differs ($(stat -c %s \
                "$f.out") of $((mib * 1024 * 1024)) bytes)"
    pass
}

# sys_port_avg_rx BRIDGE PORT: average size of the frames PORT received.
sys_port_avg_rx() {
    ft 0 dump-ports "$1" "$2"
    sed -n 's/.*rx pkts=\([0-9]*\), bytes=\([0-9]*\),.*/\1 \2/p' \
        <<<"$out" | awk '{ print int($2 / ($1 ? $1 : 1)); exit }'
}

# sys_bg CMD...: runs CMD in the background; the cleanup kills it.
sys_bg() {
    "$@" &
    SYS_PIDS+=($!)
}

# ping_ok VM IP [COUNT]: COUNT (default 3) pings from VM to IP all answered.
ping_ok() {
    local n=${3:-3} o
    o=$(in_vm "$1" ping -n -q -c "$n" -i 0.2 -W 2 "$2" 2>&1) \
        || fail "ping $1 -> $2 failed:
$o"
    grep -q " $n received" <<<"$o" || fail "ping $1 -> $2 lost packets:
$o"
    pass
}

# ping_fails VM IP: no answer to 2 pings from VM to IP.
ping_fails() {
    local o
    o=$(in_vm "$1" ping -n -q -c 2 -i 0.2 -W 1 "$2" 2>&1) \
        && fail "ping $1 -> $2 succeeded, expected no reply:
$o"
    grep -q " 0 received" <<<"$o" || fail "ping $1 -> $2: $o"
    pass
}

# tcp_listen VM PORT: in VM, a TCP server on PORT that answers each
# connection with the SHA-256 of everything the client sent.
tcp_listen() {
    sys_bg in_vm "$1" socat "TCP-LISTEN:$2,reuseaddr,fork" \
        "SYSTEM:sha256sum | cut -c1-64"
    local i
    for i in $(seq 50); do
        in_vm "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
        sleep 0.05
    done
    fail "TCP listener on $1:$2 did not start"
}

# tcp_try VM IP PORT: sends 256 KiB from VM to IP:PORT; succeeds if the
# server's SHA-256 of them is right.
tcp_try() {
    local data=$SYS_T/tcp-data got
    [ -f "$data" ] || head -c 262144 /dev/urandom >"$data"
    got=$(in_vm "$1" timeout 10 socat -t 5 -T 5 \
        - "TCP:$2:$3,connect-timeout=2" <"$data" 2>/dev/null)
    [ "$got" = "$(sha256sum <"$data" | cut -c1-64)" ]
}

# tcp_ok VM IP PORT: a TCP exchange from VM to IP:PORT works.
tcp_ok() {
    tcp_try "$@" || fail "TCP $1 -> $2:$3 failed"
    pass
}

# tcp_fails VM IP PORT: a TCP connection from VM to IP:PORT does not get
# through.
tcp_fails() {
    tcp_try "$@" && fail "TCP $1 -> $2:$3 got through, expected it blocked"
    pass
}

# port_stat BRIDGE PORT rx|tx pkts|bytes: prints that counter of PORT from
# 'flowtier dump-ports'.
port_stat() {
    local o
    o=$("$FT" dump-ports "$1" "$2") || fail "dump-ports $1 $2 failed"
    grep -E "^ .* $3 pkts=" <<<"$o" | sed -nE "s/.*[ ,]$4=([0-9]+),.*/\\1/p"
}

# flow_stat BRIDGE REGEX n_packets|n_bytes: prints that counter of the one
# 'flowtier dump-flows BRIDGE' line matching REGEX.
flow_stat() {
    local o
    o=$("$FT" dump-flows "$1" | grep -E -- "$2")
    [ "$(grep -c . <<<"$o")" = 1 ] \
        || fail "expected one flow matching /$2/ on $1, got: $o"
    sed -nE "s/.* $3=([0-9]+),.*/\\1/p" <<<"$o"
}

# ofport PORT: prints PORT's OpenFlow port number.
ofport() {
    "$FT" get Interface "$1" ofport || fail "no ofport for $1"
}

# json_check PYTHON: runs PYTHON with 'd' bound to the last command's
# stdout parsed as JSON; fails if it raises (an assert, say).
json_check() {
    local msg
    msg=$("$SYS_PY" -c "import json, sys
d = json.load(sys.stdin)
$1" <<<"$out" 2>&1) || fail "JSON check failed: $msg
on: $out"
    pass
}
