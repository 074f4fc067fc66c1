#!/bin/bash
# The VM test host: runs COMMAND as root inside Debian 12's own 6.1 kernel
# (package linux-image-amd64) under QEMU, and returns COMMAND's standard
# output, standard error and exit status as its own.
#
# usage: tests/vm/run.sh COMMAND [ARG...]
#
# Why a VM: the host kernel these tests run on loads no modules and has no
# cls_flower; Debian's 6.1 kernel has both, and loads the SmartNIC model
# (tests/ftnic/).  What the guest sees:
#   - the host's root file system, read-only over virtio-9p, with a tmpfs
#     overlay on top: every host binary and the build tree are there at the
#     same paths, and writes land in guest memory and vanish at power-off;
#   - COMMAND runs in the current directory, as root, with every FT_*
#     variable of this environment, no network but loopback;
#   - a second, writable 9p share carries the command in and its output
#     and status out.
# The guest boots a tiny initramfs (static busybox plus the virtio, 9p and
# overlay modules) and the uncompressed kernel (the ELF inside the bzImage,
# entered through PVH), built once per kernel release into a cache
# directory.  TCG only: KVM hangs on the machines this runs on.  One vCPU
# (unless FT_VM_CPUS says more), 1 GiB.  A boot costs about 2-3 s.
#
# Environment:
#   FT_VM_CACHE    cache directory (default /var/cache/flowtier-vm)
#   FT_VM_TIMEOUT  seconds before the VM is killed (default 600)
#   FT_VM_CONSOLE  1: copy the guest's console (kernel log) to stderr
#   FT_VM_CPUS     vCPUs (default 1; more run as threads of their own,
#                  QEMU's multi-threaded TCG, each wanting a host core)
#
# Exit status: COMMAND's; 125 when the VM stopped without reporting one
# (kernel panic, timeout, QEMU failure), with the console's tail on stderr.
set -euo pipefail

VM_DIR=$(dirname "$(readlink -f "$0")")
VM_CACHE=${FT_VM_CACHE:-/var/cache/flowtier-vm}
VM_TIMEOUT=${FT_VM_TIMEOUT:-600}
VM_CPUS=${FT_VM_CPUS:-1}
case $VM_CPUS in
    [1-8]) ;;
    *) echo "run.sh: FT_VM_CPUS=$VM_CPUS: 1 to 8" >&2; exit 125 ;;
esac

die() {
    echo "vm/run.sh: $*" >&2
    exit 125
}

[ $# -ge 1 ] || die "usage: $0 COMMAND [ARG...]"
[ "$(id -u)" = 0 ] || die "must run as root (QEMU reads the whole root file system)"
command -v qemu-system-x86_64 >/dev/null \
    || die "qemu-system-x86_64 is not installed (tests/lib/deps.sh lists the packages)"
[ -x /bin/busybox ] || die "/bin/busybox is missing: install busybox-static"

KVER=$("$VM_DIR/kernel.sh") || exit 125

# Modules the stub loads, in dependency order (modprobe resolves them
# against the guest kernel's modules.dep, not the host's).
VM_STUB_MODULES="virtio_pci 9pnet_virtio 9p overlay"

# The stub's /init: mounts the host root read-only under a tmpfs overlay,
# the I/O share inside it, and hands over to the per-run script there.
vm_stub_init() {
    cat <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules); do insmod "/lib/mod/$m" || echo "stub: insmod $m failed"; done
opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro,cache=loose" hostroot /lower || echo "stub: no host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work \
    overlay /newroot || echo "stub: no overlay"
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mkdir -p /newroot/run/ftvm
mount -t 9p -o "$opts,cache=none" ftio /newroot/run/ftvm || echo "stub: no I/O share"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/sh /run/ftvm/stage2
echo "stub: switch_root failed"
echo o > /proc/sysrq-trigger
EOF
}

# PID 1 after switch_root: finishes the guest's setup, runs the command,
# writes its status, powers off.
vm_stage2() {
    cat <<'EOF'
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ip link set lo up 2>/dev/null
bash /run/ftvm/cmd </dev/null >/run/ftvm/stdout 2>/run/ftvm/stderr
echo $? >/run/ftvm/status
sync
/bin/busybox poweroff -f
echo o >/proc/sysrq-trigger; sleep 10
EOF
}

# Finds the XZ stream inside the bzImage and writes the ELF it holds.
vm_extract_vmlinux() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import lzma, sys
data = open(sys.argv[1], "rb").read()
off = data.find(b"\xfd7zXZ\x00")
while off >= 0:
    try:
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[off:])
    except lzma.LZMAError:
        elf = b""
    if elf[:4] == b"\x7fELF":
        open(sys.argv[2], "wb").write(elf)
        sys.exit(0)
    off = data.find(b"\xfd7zXZ\x00", off + 1)
sys.exit("no XZ-compressed ELF in " + sys.argv[1])
PY
}

# Builds (once per kernel release and stub version) the cache directory
# holding vmlinux and the stub initramfs; prints its path.
vm_prepare() {
    local stamp dir tmp m f
    stamp=$( (vm_stub_init; echo "$VM_STUB_MODULES"; sha256sum /bin/busybox \
              "/boot/vmlinuz-$KVER") | sha256sum | cut -c1-16)
    dir=$VM_CACHE/$KVER-$stamp
    if [ -f "$dir/ready" ]; then
        echo "$dir"
        return 0
    fi
    mkdir -p "$VM_CACHE"
    exec 9>"$VM_CACHE/lock"
    flock 9
    if [ ! -f "$dir/ready" ]; then
        tmp=$(mktemp -d "$VM_CACHE/build.XXXXXX")
        vm_extract_vmlinux "/boot/vmlinuz-$KVER" "$tmp/vmlinux" >&2
        mkdir -p "$tmp/root"/{bin,proc,sys,dev,lib/mod,lower,rw,newroot}
        cp /bin/busybox "$tmp/root/bin/busybox"
        vm_stub_init >"$tmp/root/init"
        chmod +x "$tmp/root/init"
        : >"$tmp/root/modules"
        for m in $VM_STUB_MODULES; do
            modprobe -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
        done | awk '!seen[$0]++' | while read -r f; do
            cp "$f" "$tmp/root/lib/mod/"
            basename "$f" >>"$tmp/root/modules"
        done
        (cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$tmp/initrd.cpio"
        rm -rf "$tmp/root"
        touch "$tmp/ready"
        rm -rf "$dir"
        mv "$tmp" "$dir"
    fi
    exec 9>&-
    echo "$dir"
}

cache=$(vm_prepare)

run=$(mktemp -d /tmp/ft-vm.XXXXXX)
trap 'rm -rf "$run"' EXIT
trap 'exit 143' TERM INT HUP
mkdir "$run/io"
vm_stage2 >"$run/io/stage2"
{
    export -p | grep '^declare -x FT_' || true
    printf 'cd %q || exit 126\n' "$PWD"
    printf 'exec'
    printf ' %q' "$@"
    printf '\n'
} >"$run/io/cmd"

append="console=ttyS0 quiet loglevel=4 panic=-1 oops=panic mitigations=off"
append+=" tsc=reliable no_timer_check i8042.noaux i8042.nokbd 8250.nr_uarts=1"
append+=" random.trust_cpu=on"
rc=0
timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 \
    -M pc,accel=tcg -cpu max -smp "$VM_CPUS" -m 1024 \
    -nodefaults -no-reboot -display none -monitor none \
    -serial "file:$run/console" \
    -kernel "$cache/vmlinux" -initrd "$cache/initrd.cpio" -append "$append" \
    -fsdev local,id=root,path=/,security_model=passthrough,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=root,mount_tag=hostroot \
    -fsdev "local,id=io,path=$run/io,security_model=passthrough,multidevs=remap" \
    -device virtio-9p-pci,fsdev=io,mount_tag=ftio \
    </dev/null >"$run/qemu.log" 2>&1 || rc=$?

[ -f "$run/io/stdout" ] && cat "$run/io/stdout"
[ -f "$run/io/stderr" ] && cat "$run/io/stderr" >&2
[ "${FT_VM_CONSOLE:-0}" = 1 ] && cat "$run/console" >&2
if [ -s "$run/io/status" ]; then
    exit "$(cat "$run/io/status")"
fi
{
    if [ "$rc" = 124 ]; then
        echo "vm/run.sh: killed the VM after $VM_TIMEOUT s"
    else
        echo "vm/run.sh: the VM stopped without an exit status (QEMU status $rc)"
    fi
    tail -n 20 "$run/qemu.log"
    echo "--- console (last 40 lines) ---"
    tail -n 40 "$run/console"
} >&2
exit 125
