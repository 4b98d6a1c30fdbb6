#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is
# missing, builds, runs `meson test`, and ends with "N passed, N failed".
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CROSSING_BUILD_DIR:-$top/build}
cd "$top"

scripts/deps.sh all

# The browser tests drive Debian's chromium with playwright-core.
if [[ -f tests/page/package-lock.json ]]; then
  (cd tests/page && npm ci --no-audit --no-fund --loglevel=error)
fi

if [[ -f $build/meson-private/coredata.dat ]]; then
  meson setup --reconfigure "$build" >/dev/null
else
  rm -rf "$build"
  meson setup "$build" >/dev/null
fi
meson compile -C "$build"

status=0
meson test -C "$build" --print-errorlogs "$@" || status=$?
logs=("$build/meson-logs/testlog.json")

# The protocol and companion suites once more under AddressSanitizer and
# UndefinedBehaviorSanitizer, leak checking on (CROSSING_SANITIZE=0 skips).
if [[ ${CROSSING_SANITIZE:-1} != 0 ]]; then
  asan=${build}-asan
  if [[ ! -f $asan/meson-private/coredata.dat ]]; then
    rm -rf "$asan"
    meson setup "$asan" -Dclient=false -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
  fi
  meson compile -C "$asan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$asan" --suite protocol --suite companion --print-errorlogs || status=$?
  logs+=("$asan/meson-logs/testlog.json")
fi

python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as log:
        for line in log:
            result = json.loads(line)["result"]
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
