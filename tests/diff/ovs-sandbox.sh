#!/bin/sh
# ovs-sandbox.sh - a private Open vSwitch (ovsdb-server + ovs-vswitchd) for
# the differential test, with no systemd, no kernel module and no host
# network devices.
#
# Usage:
#   ovs-sandbox.sh start DIR NPORTS   start OVS with its state under DIR
#                                     (created if needed), bridge br0
#                                     (datapath_type=dummy) and dummy
#                                     ports p1..pN with OpenFlow ports 1..N
#   ovs-sandbox.sh stop DIR           kill both daemons started in DIR
#   ovs-sandbox.sh env DIR            print the environment (sh syntax)
#                                     that points OVS's tools at DIR
#   ovs-sandbox.sh run NPORTS CMD...  start in a fresh temporary
#                                     directory, run CMD with that
#                                     environment, then stop and remove
#                                     the directory, whatever CMD did
#
# All of OVS's tools find the sandbox through OVS_RUNDIR (db.sock,
# ovs-vswitchd.pid and its control socket, br0.mgmt), so with the
# environment of 'env' plain 'ovs-vsctl show', 'ovs-ofctl dump-flows br0'
# and 'ovs-appctl ofproto/trace br0 FLOW' talk to the sandbox.
#
# ovs-vswitchd runs with --enable-dummy and every bridge has
# datapath_type=dummy: the datapath is OVS's userspace one (dpif-netdev)
# under another name, whose bridge ports are "dummy-internal" devices, and
# every other port is type=dummy, so nothing appears in the host's network
# namespace and several sandboxes (and a separately running OVS) never
# collide on device names.  Unlike --enable-dummy=override, which would
# turn VXLAN ports into plain dummies too, tunnel ports stay real tunnel
# ports of the userspace datapath (which creates no device either).
# Translation (ofproto/trace) is the same as with real devices: it sees
# only port numbers and the flow tables.
#
# Exit status: 0 on success, 1 on failure (with a message on stderr),
# 77 when Open vSwitch is not installed (the automake/meson "skip" code is
# deliberately not used by the callers: they report a missing OVS as a
# failure with this message).

set -u

me=ovs-sandbox.sh

die() {
    echo "$me: $*" >&2
    exit 1
}

need_ovs() {
    for prog in ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl ovs-ofctl \
                ovs-appctl; do
        if ! command -v "$prog" >/dev/null 2>&1 \
           && ! [ -x "/usr/sbin/$prog" ]; then
            echo "$me: Open vSwitch is not installed ($prog not found;" \
                 "the Debian package is openvswitch-switch)" >&2
            exit 77
        fi
    done
    schema=
    for s in /usr/share/openvswitch/vswitch.ovsschema \
             /usr/local/share/openvswitch/vswitch.ovsschema; do
        if [ -r "$s" ]; then
            schema=$s
            break
        fi
    done
    [ -n "$schema" ] || {
        echo "$me: Open vSwitch is not installed" \
             "(vswitch.ovsschema not found)" >&2
        exit 77
    }
}

# Some of the daemons live in /usr/sbin, which is not on every PATH.
PATH=$PATH:/usr/sbin:/sbin
export PATH

print_env() {
    d=$1
    echo "OVS_RUNDIR=$d; export OVS_RUNDIR"
    echo "OVS_DBDIR=$d; export OVS_DBDIR"
    echo "OVS_LOGDIR=$d; export OVS_LOGDIR"
    echo "OVS_SYSCONFDIR=$d; export OVS_SYSCONFDIR"
}

set_env() {
    eval "$(print_env "$1")"
}

kill_pidfile() {
    pidfile=$1
    [ -r "$pidfile" ] || return 0
    pid=$(cat "$pidfile" 2>/dev/null)
    case $pid in
        ''|*[!0-9]*) return 0 ;;
    esac
    kill "$pid" 2>/dev/null || return 0
    # Wait up to ~5 s for it to go, then force it.
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 50 ]; then
            kill -9 "$pid" 2>/dev/null
            break
        fi
        sleep 0.1
    done
    rm -f "$pidfile"
}

do_stop() {
    d=$1
    kill_pidfile "$d/ovs-vswitchd.pid"
    kill_pidfile "$d/ovsdb-server.pid"
}

do_start() {
    d=$1
    n=$2
    case $n in
        ''|*[!0-9]*) die "NPORTS must be a number, not '$n'" ;;
    esac
    need_ovs
    mkdir -p "$d" || die "cannot create $d"
    d=$(cd "$d" && pwd) || die "cannot enter $d"
    # A unix socket path is limited to about 100 bytes.
    [ ${#d} -lt 80 ] || die "directory name too long for unix sockets: $d"
    set_env "$d"

    rm -f "$d/conf.db"
    ovsdb-tool create "$d/conf.db" "$schema" >"$d/setup.log" 2>&1 \
        || die "ovsdb-tool create failed: $(cat "$d/setup.log")"
    ovsdb-server "$d/conf.db" \
        --remote="punix:$d/db.sock" \
        --pidfile="$d/ovsdb-server.pid" \
        --log-file="$d/ovsdb-server.log" \
        --no-chdir --detach >>"$d/setup.log" 2>&1 || {
        do_stop "$d"
        die "ovsdb-server did not start: $(tail -n 5 "$d/ovsdb-server.log" \
             2>/dev/null)"
    }
    ovs-vsctl --no-wait --db="unix:$d/db.sock" init >>"$d/setup.log" 2>&1 \
        || { do_stop "$d"; die "ovs-vsctl init failed"; }
    ovs-vswitchd "unix:$d/db.sock" \
        --enable-dummy --disable-system --disable-system-route \
        --pidfile="$d/ovs-vswitchd.pid" \
        --log-file="$d/ovs-vswitchd.log" \
        -vconsole:off \
        --no-chdir --detach >>"$d/setup.log" 2>&1 || {
        do_stop "$d"
        die "ovs-vswitchd did not start: $(tail -n 5 "$d/ovs-vswitchd.log" \
             2>/dev/null)"
    }

    # One transaction: the bridge and all its ports.
    set -- --db="unix:$d/db.sock" --timeout=20 \
        add-br br0 -- set bridge br0 datapath_type=dummy \
        fail-mode=secure other-config:hwaddr=02:00:00:00:00:fe
    i=1
    while [ $i -le "$n" ]; do
        set -- "$@" -- add-port br0 "p$i" \
            -- set interface "p$i" type=dummy "ofport_request=$i"
        i=$((i + 1))
    done
    ovs-vsctl "$@" >>"$d/setup.log" 2>&1 || {
        do_stop "$d"
        die "creating br0 failed: $(tail -n 5 "$d/setup.log")"
    }
    # The bridge answers OpenFlow on its management socket once it exists.
    i=0
    until ovs-ofctl -O OpenFlow13 show br0 >/dev/null 2>&1; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            do_stop "$d"
            die "br0 does not answer on $d/br0.mgmt"
        fi
        sleep 0.1
    done
    return 0
}

cmd=${1:-}
case $cmd in
    start)
        [ $# -eq 3 ] || die "usage: $me start DIR NPORTS"
        do_start "$2" "$3"
        ;;
    stop)
        [ $# -eq 2 ] || die "usage: $me stop DIR"
        do_stop "$2"
        ;;
    env)
        [ $# -eq 2 ] || die "usage: $me env DIR"
        d=$(cd "$2" && pwd) || die "no directory $2"
        print_env "$d"
        ;;
    run)
        [ $# -ge 3 ] || die "usage: $me run NPORTS CMD [ARG...]"
        n=$2
        shift 2
        need_ovs
        dir=$(mktemp -d /tmp/ovs-sb.XXXXXX) || die "mktemp failed"
        trap 'do_stop "$dir"; rm -rf "$dir"' EXIT
        trap 'exit 130' INT TERM HUP
        do_start "$dir" "$n" || exit 1
        set_env "$dir"
        "$@"
        exit $?
        ;;
    *)
        die "usage: $me start DIR NPORTS | stop DIR | env DIR | run NPORTS CMD..."
        ;;
esac
