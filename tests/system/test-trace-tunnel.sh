#!/bin/bash
# System test: 'flowtier trace --flows' with VXLAN ports given on the
# command line (--port NAME=NUMBER,type=vxlan,options:KEY=VALUE...).
# Output into a remote_ip=flow/key=flow port carries the flow's tun_id and
# tun_dst in set(tunnel(...)); a port with a fixed remote_ip and key uses
# those; a packet received from a tunnel port matches on its tunnel
# fields; bad tunnel options and other port types are refused with the
# reason.  Offline: no daemon, no root needed.
#
# usage: test-trace-tunnel.sh FLOWTIER
set -u
ft=${1:?usage: test-trace-tunnel.sh FLOWTIER}
dir=$(mktemp -d /tmp/ft-trace-tnl.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
fail=0

cat >"$dir/flows" <<'FLOWS'
priority=100,in_port=1,actions=set_tunnel:0x64,set_field:172.31.1.9->tun_dst,output:5
priority=90,in_port=2,actions=output:6
priority=80,tun_id=0x64,tun_src=172.31.1.9,in_port=5,actions=output:1
priority=70,in_port=5,actions=output:2
FLOWS
ports=(--port p1=1 --port p2=2
       --port vx1=5,type=vxlan,options:remote_ip=flow,options:key=flow
       --port vx2=6,type=vxlan,options:remote_ip=192.168.50.2,options:key=100)

# expect FLOW ACTIONS: the trace's datapath actions are ACTIONS.
expect() {
    local got
    got=$("$ft" trace --flows "$dir/flows" "${ports[@]}" "$1" \
          | sed -n 's/^Datapath actions: //p' | tail -n 1)
    if [ "$got" != "$2" ]; then
        echo "FAIL: $1: expected '$2', got '$got'"
        fail=1
    else
        echo "ok: $1 -> $got"
    fi
}

# refuse PORT-ARG TEXT: the trace fails, saying TEXT.
refuse() {
    local out rc
    out=$("$ft" trace --flows "$dir/flows" --port "$1" in_port=1 2>&1)
    rc=$?
    if [ $rc -eq 0 ] || ! grep -qF -- "$2" <<<"$out"; then
        echo "FAIL: --port $1: expected a refusal saying '$2'," \
             "got status $rc: $out"
        fail=1
    else
        echo "ok: --port $1 refused: $out"
    fi
}

expect 'ip,in_port=1' \
    'set(tunnel(tun_id=0x64,dst=172.31.1.9,ttl=64,tp_dst=4789,flags(df|key))),5'
expect 'ip,in_port=2' \
    'set(tunnel(tun_id=0x64,dst=192.168.50.2,ttl=64,tp_dst=4789,flags(df|key))),6'
expect 'ip,tun_id=0x64,tun_src=172.31.1.9,tun_dst=172.31.1.1,in_port=5' '1'
expect 'ip,tun_id=0x65,tun_src=172.31.1.9,tun_dst=172.31.1.1,in_port=5' '2'

refuse 'vx=5,type=vxlan,options:key=x' "options:key 'x'"
refuse 'vx=5,type=vxlan,options:key=1' 'remote_ip'
refuse 'vx=5,type=gre,options:remote_ip=flow' "'type=gre'"
refuse 'vx=5,options:remote_ip=flow' 'type=vxlan'
refuse 'vx=5x' 'port number must be'

exit $fail
