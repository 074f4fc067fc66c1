# Shared part of the VM tests (tests/vm/test-*.sh), sourced by each.  A
# test is one script that runs twice: on the host it boots the VM test host
# once (tests/vm/run.sh) with itself as the command; inside the guest
# (FT_VM_GUEST=1) it makes its checks.  One boot per script, never one per
# check.  A check that fails prints "FAIL: ..." and ends the script with
# status 1; the guest's status becomes the test's.  Nothing skips: a
# missing tool or package is a failure naming it.
#
# usage, at the top of a test:
#     . "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
#     vm_init "$@"          # boots the guest and exits, on the host
#     ... checks, in the guest ...
#     vm_done

VM_NAME=$(basename "$0" .sh)
VM_LIB_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")

fail() {
    echo "FAIL: $VM_NAME: $*" >&2
    exit 1
}

n_pass=0
pass() {
    n_pass=$((n_pass + 1))
}

vm_done() {
    echo "$VM_NAME: $n_pass checks passed"
}

# vm_init [ARG...]: on the host, boots the guest running this script with
# the same arguments (made absolute when they name files) and exits with
# its status; in the guest, returns.
vm_init() {
    if [ "${FT_VM_GUEST:-}" = 1 ]; then
        return 0
    fi
    [ "$(id -u)" = 0 ] || fail "must run as root (QEMU, kernel modules)"
    local args=() a
    for a in "$@"; do
        if [ -e "$a" ]; then args+=("$(readlink -f "$a")"); else args+=("$a"); fi
    done
    FT_VM_GUEST=1 exec "$VM_LIB_DIR/run.sh" "$(readlink -f "$0")" "${args[@]}"
}

# vm_modprobe MODULE...: loads modules of the guest kernel, failing the
# test with the module's name when one does not load.
vm_modprobe() {
    local m
    for m in "$@"; do
        modprobe "$m" || fail "cannot load the kernel module $m"
    done
}
