#!/bin/bash
# System test: other_config values are checked when written, unknown
# other_config keys are refused with the list of known ones (external_ids
# stays free-form), and a bridge keeps its own port.  These were accepted
# with exit status 0: 'other_config:pmd-cpu=abc', any unknown key, and
# 'clear Bridge br0 ports' (which removed the bridge's local port).
#
# usage: test-rel-config-check.sh FLOWTIER FLOWTIERD
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_start_daemon

ft 0 add-br br0
ft 0 add-port br0 p0 -- set Interface p0 type=internal
ft 1 set Bridge br0 other_config:pmd-cpu=abc
expect_err 'other_config: key pmd-cpu: "abc" is not a valid integer'
ft 1 set Bridge br0 other_config:pmd-cpu=4096
expect_err 'key pmd-cpu: 4096 is not in the valid range 0 to 1023'
ft 1 set Bridge br0 other_config:max_idle=1000
expect_err 'unknown key "max_idle" \(known keys: dpdk-extra, flow-limit, hw-offload, mac-aging-time, mac-table-size, max-idle, pmd-cpu, pmd-cpu-mask, tc-policy, tier-order; free-form data goes in external_ids\)'
ft 1 set Interface p0 other_config:speed=10G
expect_err 'unknown key "speed" \(known keys: hw-offload, tc-policy, tier-order;'
ft 0 set Bridge br0 other_config:pmd-cpu=0 other_config:tier-order=kernel,user external_ids:anything=goes
ft 0 get Bridge br0 other_config:pmd-cpu external_ids:anything
expect_out '^"0"$'
expect_out '^goes$'

ft 1 clear Bridge br0 ports
expect_err "the bridge's own \(local\) port br0 cannot be removed from it \(remove the bridge with del-br\)"
ft 0 list-ports br0
expect_out '^p0$'
ft 0 get Bridge br0 ports
expect_out 'br0'
# Every refusal left the configuration as it was.
ft 0 get Bridge br0 other_config
expect_out '^\{pmd-cpu="0", tier-order="kernel,user"\}$'
sys_done
