# Installs the Debian packages FlowTier needs to build and test.  Sourced by
# run-tests.sh and run-demo.sh.  Installs only what is missing, so a
# machine that has everything pays one dpkg query.
#
# The VM tests (tests/vm/) boot Debian's own kernel under QEMU and build the
# SmartNIC model module (tests/ftnic/) against its headers:
# linux-image-amd64 and linux-headers-amd64 move together, so the newest
# kernel in /boot always has its headers (tests/vm/kernel.sh checks).

FT_DEB_PACKAGES="gcc pkg-config meson ninja-build libcmocka-dev libjansson-dev
openvswitch-switch iproute2 libdpdk-dev iputils-ping ethtool socat valgrind
qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static kmod make
cpio python3 libnl-3-dev libnl-route-3-dev libnl-genl-3-dev
libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu
python3-os-ken clang python3-scapy passwd time
libibverbs-dev ibverbs-providers libxdp-dev libbpf-dev"

ft_install_deps() {
    local missing=() p
    for p in $FT_DEB_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    # Another apt-get (unattended upgrades, a second build) may hold the
    # lock: wait for it rather than fail, and fail loudly if apt does.
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq \
        || { echo "apt-get update failed" >&2; return 1; }
    DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 \
        install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { echo "apt-get install ${missing[*]} failed" >&2; return 1; }
    # Debian starts Open vSwitch's system instance on install; the tests run
    # their own instances in private directories and need it off.
    $sudo systemctl stop openvswitch-switch >/dev/null 2>&1 || true
}
