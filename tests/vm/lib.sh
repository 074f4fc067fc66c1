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
    # Stop a hung guest before meson's 300 s do, to get its console.
    FT_VM_GUEST=1 FT_VM_TIMEOUT=${FT_VM_TIMEOUT:-240} \
        exec "$VM_LIB_DIR/run.sh" "$(readlink -f "$0")" "${args[@]}"
}

# vm_modprobe MODULE...: loads modules of the guest kernel, failing the
# test with the module's name when one does not load.
vm_modprobe() {
    local m
    for m in "$@"; do
        modprobe "$m" || fail "cannot load the kernel module $m"
    done
}

# The SmartNIC model (tests/ftnic/) ------------------------------------

# ftnic_load KO [PARAM=VALUE...]: loads the TC modules the tests use and
# the model.  IPv6 is off in the guest so that autoconfiguration and MLD
# packets do not move the counters the tests read.
ftnic_load() {
    local ko=$1
    shift
    [ -f "$ko" ] || fail "no module at '$ko' (it is built by the normal build)"
    sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 || fail "cannot turn IPv6 off"
    vm_modprobe sch_ingress cls_flower cls_matchall act_mirred act_gact \
        act_vlan act_pedit act_csum act_skbedit act_tunnel_key 8021q
    dmesg -C
    insmod "$ko" "$@" || fail "insmod ftnic $* failed"
}

# ftnic_ns NS DEV ADDR/LEN: moves DEV into a new namespace NS, with ADDR.
ftnic_ns() {
    ip netns add "$1" || fail "cannot create namespace $1"
    ip link set "$2" netns "$1" || fail "cannot move $2 into $1"
    ip -n "$1" addr add "$3" dev "$2" || fail "cannot address $2"
    ip -n "$1" link set "$2" up || fail "cannot bring $2 up"
}

# ftnic_pkts DEV rx|tx [NS]: DEV's packet counter.
ftnic_pkts() {
    if [ -n "${3:-}" ]; then
        ip netns exec "$3" cat "/sys/class/net/$1/statistics/$2_packets"
    else
        cat "/sys/class/net/$1/statistics/$2_packets"
    fi
}

# ftnic_hw_pkts DEV PREF: packets TC reports for the rule at priority PREF
# of DEV's ingress as counted in hardware (the model).
ftnic_hw_pkts() {
    tc -s filter show dev "$1" ingress pref "$2" \
        | awk '/Sent hardware/ { print $5; exit }'
}

# ftnic_sw_pkts DEV PREF: packets the software rule at priority PREF of
# DEV's ingress matched (the host's count, for skip_hw rules).
ftnic_sw_pkts() {
    tc -s filter show dev "$1" ingress pref "$2" \
        | awk '/Sent [0-9]+ bytes/ { print $4; exit }'
}

# ftnic_unload_clean: deletes the test's namespaces, removes the model and
# fails on any kernel warning, bug or leak report since it was loaded.
ftnic_unload_clean() {
    local ns
    for ns in $(ip netns list | awk '{print $1}'); do
        ip netns del "$ns"
    done
    [ "$(cat /sys/module/ftnic/refcnt)" = 0 ] \
        || fail "ftnic still has users: $(cat /sys/module/ftnic/refcnt)"
    rmmod ftnic || fail "rmmod ftnic failed"
    [ -e /sys/module/ftnic ] && fail "ftnic still loaded after rmmod"
    ip link show | grep -q ftnic && fail "ftnic netdevs left after unload"
    if dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|rules left|unregister_netdevice: waiting|leak' >&2; then
        fail "the kernel log has warnings (above)"
    fi
    pass
}
