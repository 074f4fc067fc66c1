#!/bin/sh
# Builds ftnic.ko, the SmartNIC model module for the VM tests, against the
# headers of the kernel the VM test host boots (tests/vm/kernel.sh), not
# the host's.  Kbuild writes next to the sources, so they are copied into
# a work directory in the build tree first.
#
# usage: build.sh OUTPUT.ko SOURCE...
set -eu
out=$1
shift
here=$(dirname "$(readlink -f "$0")")
kver=$("$here/../vm/kernel.sh" --headers)
work=$(dirname "$(readlink -f "$out")")/ftnic-kbuild
mkdir -p "$work"
for f in "$@"; do
    cp -p "$f" "$work/"
done
jobs=${FT_KBUILD_JOBS:-2}
if ! make -s -j"$jobs" -C "/usr/src/linux-headers-$kver" M="$work" modules \
        >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    exit 1
fi
# Warnings are errors: the model must build clean.
if grep -q 'warning:' "$work/build.log"; then
    cat "$work/build.log" >&2
    echo "ftnic: the build printed warnings" >&2
    exit 1
fi
cp "$work/ftnic.ko" "$out"
