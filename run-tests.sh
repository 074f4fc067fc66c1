#!/bin/bash
# Builds FlowTier and runs every test: unit tests (also under
# AddressSanitizer and UBSan) and the differential test against Open
# vSwitch.  Installs the Debian packages it needs first.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
. tests/lib/deps.sh
ft_install_deps

jobs=$(nproc)

if [ ! -f build/build.ninja ]; then
    meson setup build >/dev/null
fi
ninja -C build -j "$jobs"

if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
        >/dev/null
fi
ninja -C build-asan -j "$jobs"

status=0
meson test -C build --print-errorlogs --num-processes "$jobs" || status=1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs \
    --num-processes "$jobs" || status=1

# One summary line over both runs.
/usr/bin/python3 - build/meson-logs/testlog.json \
    build-asan/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)
        res = r.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
