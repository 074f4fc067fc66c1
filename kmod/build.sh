#!/bin/sh
# Builds flowtier.ko with Kbuild.  Against KDIR if it is set (any kernel
# build tree, e.g. /lib/modules/$(uname -r)/build), else against the
# headers of the kernel the VM test host boots (tests/vm/kernel.sh).
# Kbuild writes next to the sources, so they and include/flowtier/ are
# copied into a work directory in the build tree first.  Warnings fail the
# build.
#
# usage: build.sh OUTPUT.ko SOURCE...
set -eu
out=$1
shift
here=$(dirname "$(readlink -f "$0")")
if [ -z "${KDIR:-}" ]; then
    KDIR=/usr/src/linux-headers-$("$here/../tests/vm/kernel.sh" --headers)
fi
work=$(dirname "$(readlink -f "$out")")/flowtier-kbuild
mkdir -p "$work/include/flowtier"
for f in "$@"; do
    cp -p "$f" "$work/"
done
cp -p "$here"/../include/flowtier/flow-key.h "$here"/../include/flowtier/kdp.h \
    "$here"/../include/flowtier/port.h "$work/include/flowtier/"
if ! make -s -j"${FT_KBUILD_JOBS:-2}" -C "$KDIR" M="$work" modules \
        >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    exit 1
fi
if grep -q 'warning:' "$work/build.log"; then
    cat "$work/build.log" >&2
    echo "flowtier.ko: the build printed warnings" >&2
    exit 1
fi
cp "$work/flowtier.ko" "$out"
