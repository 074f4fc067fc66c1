#!/bin/bash
# The VM test host itself (tests/vm/run.sh): the guest runs Debian's 6.1
# kernel, sees the host's files read-only with writes kept in memory, has
# the kernel modules the other VM tests need, and hands back standard
# output, standard error and the exit status separately.
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1

if [ "${FT_VM_GUEST:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || fail "must run as root"
    want=$("$VM_LIB_DIR/kernel.sh") || fail "no kernel for the VM"
    t=$(mktemp -d /tmp/ft-vm-boot.XXXXXX)
    trap 'rm -rf "$t"' EXIT
    rc=0
    FT_VM_WANT_KERNEL=$want FT_VM_WANT_PWD=$PWD FT_VM_MARK=$t/mark FT_VM_GUEST=1 \
        "$VM_LIB_DIR/run.sh" "$(readlink -f "$0")" >"$t/out" 2>"$t/err" || rc=$?
    cat "$t/out"
    [ "$rc" = 3 ] || { cat "$t/err" >&2; fail "exit status $rc, want 3"; }
    grep -qx "guest checks passed" "$t/out" || fail "no report on standard output"
    grep -qx "on standard error" "$t/err" || fail "standard error lost"
    grep -q "on standard error" "$t/out" && fail "standard error mixed into output"
    [ -e "$t/mark" ] && fail "a write in the guest reached the host's files"
    echo "$VM_NAME: all checks passed"
    exit 0
fi

[ "$(uname -r)" = "$FT_VM_WANT_KERNEL" ] \
    || fail "guest runs $(uname -r), want $FT_VM_WANT_KERNEL"
[ "$(id -u)" = 0 ] || fail "command does not run as root"
[ "$PWD" = "$FT_VM_WANT_PWD" ] || fail "runs in $PWD, not in $FT_VM_WANT_PWD"
findmnt -n -o FSTYPE / | grep -qx overlay || fail "root is not the overlay"
echo x >"$FT_VM_MARK" || fail "cannot write under the host's /tmp path"
echo x >/etc/ft-vm-write || fail "cannot write to /etc"
vm_modprobe cls_flower act_mirred act_gact act_vlan act_pedit act_csum \
    act_tunnel_key vxlan
ip link add ftb0 type veth peer name ftb1 || fail "no veth"
echo "guest checks passed"
echo "on standard error" >&2
exit 3
