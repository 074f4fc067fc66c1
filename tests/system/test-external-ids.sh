#!/bin/bash
# System test: external-ids, the keys a cloud manager hangs on ports
# (vm-id, iface-id, attached-mac), as 'list' and 'get' show them, in text
# and JSON, while the daemon runs and, read from the database, while it
# does not.  Setting them leaves the data path alone.
#
# usage: test-external-ids.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

ft 0 add-br br0
sys_add_vm vm1 10.0.0.1 vnet0 br0
sys_add_vm vm2 10.0.0.2 vnet1 br0
ping_ok vm1 10.0.0.2

ft 0 set Interface vnet0 external-ids:vm-id=vm1 \
    external-ids:iface-id=5f1c-aa external_ids:attached-mac='"02:00:00:00:00:01"'
ft 0 set Interface vnet1 external-ids:vm-id=vm2
ft 0 set Port vnet0 external-ids:owner=alice

check_listed() {
    ft 0 list Interface vnet0
    expect_out '^name +: vnet0$'
    expect_out '^external_ids +: \{attached-mac="02:00:00:00:00:01", iface-id="5f1c-aa", vm-id=vm1\}$'
    ft 0 list Interface
    expect_out '^external_ids +: \{vm-id=vm2\}$'
    expect_out '^name +: br0$'
    ft 0 get Interface vnet0 external-ids:vm-id; [ "$out" = vm1 ] || fail "get vm-id: $out"
    ft 0 get Interface vnet0 external_ids:iface-id
    [ "$out" = '"5f1c-aa"' ] || fail "get iface-id: $out"
    ft 0 get Interface vnet1 external_ids
    [ "$out" = '{vm-id=vm2}' ] || fail "get external_ids: $out"
    ft 0 list Port vnet0; expect_out '^external_ids +: \{owner=alice\}$'
    ft 0 --format json list Interface vnet0
    json_check '
col = d["headings"].index("external_ids")
assert d["data"][0][col] == ["map", [["attached-mac", "02:00:00:00:00:01"],
                                     ["iface-id", "5f1c-aa"],
                                     ["vm-id", "vm1"]]], d'
    ft 0 --format json get Interface vnet0 external-ids:vm-id
    json_check 'assert d == ["vm1"], d'
}
check_listed
ping_ok vm1 10.0.0.2

# Read back from the database with the daemon stopped.
pid=$(sys_daemon_pid)
kill -TERM "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$pid" 2>/dev/null && fail "flowtierd did not stop"
check_listed

# Restarted: still there; removing a key removes only it.
sys_start_daemon
ping_ok vm1 10.0.0.2
ft 0 remove Interface vnet0 external_ids vm-id
ft 0 get Interface vnet0 external_ids
[ "$out" = '{attached-mac="02:00:00:00:00:01", iface-id="5f1c-aa"}' ] \
    || fail "after remove: $out"
ft 1 get Interface vnet0 external-ids:vm-id; expect_err 'vm-id'
ft 1 set Interface nosuchif external-ids:vm-id=x; expect_err 'nosuchif'
ft 0 get Interface vnet1 external_ids
[ "$out" = '{vm-id=vm2}' ] || fail "vnet1 after failures: $out"

sys_done
