#!/bin/bash
# System test: Debian's libvirtd attaches a guest to FlowTier exactly as it
# attaches one to Open vSwitch.  The guest (QEMU TCG, the Debian kernel
# booted directly with a busybox initramfs, no disk) has
#     <interface type='bridge'><source bridge='br0'/>
#       <virtualport type='openvswitch'/></interface>
# so libvirtd runs the real ovs-vsctl from PATH against the default socket,
# /run/openvswitch/db.sock: in this test's mount namespace that path is
# flowtierd's (--ovsdb-socket), and libvirtd's own directories are private
# tmpfs.  Starting the guest must put its tap on br0 with libvirt's
# external-ids, the guest must answer pings through the bridge, libvirt's
# interface statistics must agree with the switch's counters, and
# destroying it must remove the port.
#
# usage: test-ovsdb-libvirt.sh FLOWTIER FLOWTIERD
set -u
. "$(dirname "$(readlink -f "$0")")/lib.sh" || exit 1
sys_init "$@"
sys_need libvirtd virsh qemu-system-x86_64 ovs-vsctl busybox cpio gzip modprobe
KVER=$("$(dirname "$SYS_SELF")/../vm/kernel.sh") || fail "no Debian kernel"
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || fail "$KERNEL is not readable"
[ -x /bin/busybox ] || fail "/bin/busybox is missing (busybox-static)"

# This script runs in a mount namespace of its own (ip netns exec made
# it, with slave propagation): nothing mounted here reaches the host.
for d in /run/openvswitch /run/libvirt /var/lib/libvirt /var/log/libvirt \
         /var/cache/libvirt /etc/libvirt/qemu; do
    mkdir -p "$d" && mount -t tmpfs none "$d" || fail "cannot mount tmpfs on $d"
done
cat >"$SYS_T/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
stdio_handler = "file"
CONF
mount --bind "$SYS_T/qemu.conf" /etc/libvirt/qemu.conf || fail "bind qemu.conf"

# The guest's initramfs: busybox and the virtio network driver.
R=$SYS_T/initrd
mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/mod"
cp /bin/busybox "$R/bin/busybox"
mods=$(for m in virtio_pci virtio_net; do modprobe -S "$KVER" --show-depends "$m"; done \
       | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++')
[ -n "$mods" ] || fail "no virtio modules for $KVER"
: >"$R/mod/order"
for m in $mods; do
    cp "$m" "$R/mod/" && echo "$(basename "$m")" >>"$R/mod/order"
done
cat >"$R/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys
for m in $(cat /mod/order); do insmod /mod/$m; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.0.9/24 dev eth0
echo guest-network-up
while :; do sleep 3600; done
INIT
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$SYS_T/initrd.gz" \
    || fail "cannot build the initramfs"

# FlowTier, serving OVSDB on the default path too, and a namespace on br0.
SYS_RUNDIRS+=("$FLOWTIER_RUNDIR")
"$FTD" --detach --no-fsync --log-file="$SYS_T/flowtierd.log" \
    --ovsdb-socket=/run/openvswitch/db.sock \
    || fail "flowtierd did not start: $(tail -5 "$SYS_T/flowtierd.log")"
[ -S /run/openvswitch/db.sock ] || fail "no /run/openvswitch/db.sock"
ovs-vsctl --timeout=5 add-br br0 || fail "ovs-vsctl add-br br0 (default socket)"
ip link set br0 up
sys_add_vm vm1 10.0.0.1 vnet100 br0

# A private libvirtd.
sys_bg sh -c 'exec libvirtd --pid-file="$1/libvirtd.pid" 2>>"$1/libvirtd.log"' sh "$SYS_T"
for i in $(seq 100); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.1
done
virsh -c qemu:///system version >/dev/null 2>&1 || fail "libvirtd did not start"

cat >"$SYS_T/guest.xml" <<XML
<domain type='qemu'>
  <name>ft-ovsdb-guest</name>
  <uuid>8d3f6c1a-2b4e-4f6a-8c9d-0e1f2a3b4c5d</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$KERNEL</kernel>
    <initrd>$SYS_T/initrd.gz</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <on_reboot>destroy</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='bridge'>
      <mac address='52:54:00:12:34:56'/>
      <source bridge='br0'/>
      <virtualport type='openvswitch'>
        <parameters interfaceid='4a7b6c2e-0d0e-4c2a-9b1d-1f2e3d4c5b6a'/>
      </virtualport>
      <model type='virtio'/>
    </interface>
    <serial type='file'><source path='$SYS_T/console.log'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
XML
V="virsh -c qemu:///system"
start=$(date +%s%N)
$V create "$SYS_T/guest.xml" >"$SYS_T/virsh.out" 2>&1 \
    || fail "virsh create: $(cat "$SYS_T/virsh.out"; tail -5 /var/log/libvirt/qemu/*.log "$SYS_T/libvirtd.log" 2>/dev/null)"
# The guest's QEMU outlives libvirtd: the cleanup kills it too, should a
# check below fail before the guest is destroyed.
qpid=$(cat /run/libvirt/qemu/ft-ovsdb-guest.pid 2>/dev/null) \
    && SYS_PIDS+=("$qpid")
pass
tap=$($V domiflist ft-ovsdb-guest | awk '$2 == "bridge" { print $1 }')
[ -n "$tap" ] || fail "no tap in domiflist: $($V domiflist ft-ovsdb-guest)"

# The tap is on FlowTier's bridge with libvirt's external-ids.
[ "$("$FT" iface-to-br "$tap" 2>&1 || true)" = br0 ] \
    || "$FT" list-ports br0 | grep -qx "$tap" \
    || fail "$tap is not on br0: $("$FT" show)"
pass
ids=$("$FT" get Interface "$tap" external_ids)
for want in 'attached-mac="52:54:00:12:34:56"' \
            'iface-id="4a7b6c2e-0d0e-4c2a-9b1d-1f2e3d4c5b6a"' \
            'iface-status=active' 'vm-id="8d3f6c1a-2b4e-4f6a-8c9d-0e1f2a3b4c5d"'; do
    case $ids in *"$want"*) pass ;; *) fail "external_ids of $tap lack $want: $ids" ;; esac
done

# The guest's traffic is switched.
for i in $(seq 60); do
    grep -q guest-network-up "$SYS_T/console.log" 2>/dev/null && break
    sleep 0.5
done
grep -q guest-network-up "$SYS_T/console.log" \
    || fail "guest did not come up: $(tail -5 "$SYS_T/console.log")"
ok=
for i in $(seq 20); do
    in_vm vm1 ping -c 1 -W 1 10.0.0.9 >/dev/null 2>&1 && { ok=1; break; }
done
[ -n "$ok" ] || fail "the guest does not answer pings through br0"
pass
# virsh domifstat agrees with the switch: the guest sent at least what
# the switch received from its tap and received at least what the switch
# sent it.  (For a tap, libvirt reads the device's counters from the
# kernel; the OVSDB Interface statistics, checked in system-ovsdb-vsctl,
# are what it reads for vhost-user ports.)
sw_rx=$(port_stat br0 "$tap" rx pkts) sw_tx=$(port_stat br0 "$tap" tx pkts)
for i in $(seq 70); do
    $V domifstat ft-ovsdb-guest "$tap" >"$SYS_T/stat.out" 2>&1
    g_tx=$(awk '$2 == "tx_packets" { print $3 }' "$SYS_T/stat.out")
    g_rx=$(awk '$2 == "rx_packets" { print $3 }' "$SYS_T/stat.out")
    [ "${g_tx:-0}" -ge "$sw_rx" ] && [ "${g_rx:-0}" -ge "$sw_tx" ] && break
    sleep 0.1
done
[ "${g_tx:-0}" -ge "$sw_rx" ] && [ "${g_rx:-0}" -ge "$sw_tx" ] \
    && [ "$sw_rx" -ge 1 ] && [ "$sw_tx" -ge 1 ] \
    || fail "virsh domifstat: $(cat "$SYS_T/stat.out"); dump-ports rx $sw_rx tx $sw_tx"
pass

# Destroying the guest removes the port.
$V destroy ft-ovsdb-guest >/dev/null || fail "virsh destroy"
for i in $(seq 50); do
    "$FT" list-ports br0 | grep -qx "$tap" || break
    sleep 0.1
done
"$FT" list-ports br0 | grep -qx "$tap" && fail "$tap still on br0 after destroy"
pass
echo "$SYS_NAME: guest started, switched and removed in $(( ($(date +%s%N) - start) / 1000000 )) ms"
sys_done
