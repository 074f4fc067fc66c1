#!/bin/sh
# Prints the release of the Debian 6.1 kernel the VM test host boots
# (tests/vm/run.sh) and the SmartNIC model module is built against
# (tests/ftnic/build.sh): the newest /boot/vmlinuz-6.1.*, as installed by
# linux-image-amd64.  Not `uname -r`: the host runs a different kernel.
# Exits 1 with a message when none is installed or its headers are missing.
set -eu
v=$(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-\(6\.1\..*\)$/\1/p' | sort -V | tail -n 1)
if [ -z "$v" ]; then
    echo "no Debian 6.1 kernel in /boot: install linux-image-amd64" \
         "(tests/lib/deps.sh lists the packages)" >&2
    exit 1
fi
if [ "${1:-}" = --headers ] && [ ! -f "/usr/src/linux-headers-$v/Makefile" ]; then
    echo "headers for $v missing: install linux-headers-$v" \
         "(linux-headers-amd64 matches linux-image-amd64)" >&2
    exit 1
fi
echo "$v"
