#!/bin/bash
# check-layers.sh ROOT - fails if a layer of the tree at ROOT includes a
# header of a layer above it.  The dependency rule (../shared/DESIGN.md):
#
#     mgmt/ -> offload/, swpath/ -> include/
#
#   - include/flowtier/ includes only system headers and itself;
#   - swpath/ and offload/ include system headers, "flowtier/..." and
#     headers of their own folder by bare name ("dpif.h"): any other quoted
#     path ("mgmt/...", "swpath/..." from offload/, "../x.h") is a breach;
#   - mgmt/ may include anything below it.
#
# The build enforces the same rule through per-folder include paths; this
# check names the offending line even where a header happens to be found.
# Prints one line per breach and exits 1 if there is any.
set -u
root=${1:?usage: check-layers.sh ROOT}
cd "$root" || exit 2

bad=0
report() {
    echo "layers: $1: includes \"$2\" ($3)"
    bad=1
}

# check_folder DIR ALLOWED_PREFIX_REGEX WHY
check_folder() {
    local dir=$1 allowed=$2 why=$3 f line inc
    [ -d "$dir" ] || { echo "layers: no folder $dir in $root"; exit 2; }
    while IFS= read -r f; do
        while IFS= read -r line; do
            inc=${line#*\"}
            inc=${inc%%\"*}
            [[ $inc =~ $allowed ]] || report "$f" "$inc" "$why"
        done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
    done < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' \) | sort)
}

check_folder include '^flowtier/[^/]+\.h$' \
    "include/ may include only itself"
check_folder swpath '^(flowtier/[^/]+|[^/]+)\.h$' \
    "swpath/ may include include/ and itself only"
check_folder offload '^(flowtier/[^/]+|[^/]+)\.h$' \
    "offload/ may include include/ and itself only"
# A bare name in swpath/ or offload/ must be a header of that folder.
for dir in swpath offload; do
    while IFS= read -r f; do
        while IFS= read -r line; do
            inc=${line#*\"}
            inc=${inc%%\"*}
            [[ $inc == */* ]] && continue
            [ -f "$dir/$inc" ] || report "$f" "$inc" "not a header of $dir/"
        done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
    done < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' \) | sort)
done
exit $bad
