#!/bin/bash
# selftest.sh ROOT - shows that check-layers.sh catches what it must: on a
# copy of the layer folders of ROOT it passes, then fails for each planted
# breach of the dependency rule, one at a time.  Nothing is planted in
# ROOT itself.
set -eu
root=$(readlink -f "${1:?usage: selftest.sh ROOT}")
check=$(dirname "$(readlink -f "$0")")/check-layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fresh() {
    rm -rf "$tmp/tree"
    mkdir -p "$tmp/tree"
    cp -r "$root/include" "$root/swpath" "$root/offload" "$root/mgmt" \
        "$tmp/tree/"
}

fresh
"$check" "$tmp/tree" >/dev/null || {
    echo "selftest: the clean tree fails the check:"
    "$check" "$tmp/tree"
    exit 1
}

# plant FILE LINE WHAT: the check must fail and name FILE.
plant() {
    local file=$1 line=$2 what=$3 out
    fresh
    printf '%s\n' "$line" >> "$tmp/tree/$file"
    if out=$("$check" "$tmp/tree"); then
        echo "selftest: not caught: $what ($file: $line)"
        exit 1
    fi
    grep -qF "$file" <<<"$out" || {
        echo "selftest: caught, but the report does not name $file: $out"
        exit 1
    }
    echo "caught: $what"
}

plant swpath/dpif.c '#include "mgmt/bridge/bridge.h"' "swpath includes mgmt"
plant offload/offload.c '#include "swpath/dpif.h"' "offload includes swpath"
plant offload/offload.c '#include "mgmt/db/db.h"' "offload includes mgmt"
plant include/flowtier/flow.h '#include "swpath/packet.h"' \
    "include includes swpath"
plant swpath/netdev.c '#include "../mgmt/ofproto/xlate.h"' \
    "swpath reaches up by a relative path"
plant offload/offload.c '#include "dpif.h"' \
    "offload names a header of another folder by bare name"
echo "selftest: every planted breach was caught"
