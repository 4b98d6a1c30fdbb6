#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is
# missing, builds, runs `meson test`, and ends with "N passed, N failed".
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CROSSING_BUILD_DIR:-$top/build}
cd "$top"

scripts/deps.sh all

# The browser tests drive Debian's chromium with playwright-core; the
# interop tests run the stock Better Auth client.
for dir in tests/page tests/interop; do
  if [[ -f $dir/package-lock.json ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

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

# The whole suite once more, client included, under AddressSanitizer and
# UndefinedBehaviorSanitizer with leak checking on (CROSSING_SANITIZE=0
# skips). The programs the tests start (crossing-companion, crossing) are
# the instrumented ones and must exit 0, so LeakSanitizer checks them too;
# chromium, node, Xvfb and dbus are not instrumented.
#   intercept_tls_get_addr=0  GCC 12's runtime misreads glibc's dynamic TLS
#       blocks (its "glibc 2.19 header" guess), and LeakSanitizer's tracer
#       then crashes at exit of anything that loaded glib-networking/gnutls.
#   suppressions  leaks inside system libraries only, each explained there.
#   G_SLICE=always-malloc  GLib 2.74's slice allocator hides GObjects from
#       both (a freed object is not poisoned, a leaked one stays reachable
#       in its magazine); fast_unwind_on_malloc=0 then gives those leaks
#       whole stacks (glib has no frame pointers), for the report and the
#       suppressions.
#   GDK_DEBUG=gl-glx  GTK goes straight to GLX on Xvfb: its EGL probe loads
#       and unloads mesa's driver, whose one-time 128 bytes then has no owner
#       and no module name to suppress it by.
# Whole stacks on every malloc make GTK drawing far too slow, so the 'gtk'
# suite runs second with fast unwinding and GLib's own slices.
if [[ ${CROSSING_SANITIZE:-1} != 0 ]]; then
  asan=${build}-asan
  asan_options=(-Dclient=true -Db_sanitize=address,undefined -Db_lundef=false)
  if [[ -f $asan/meson-private/coredata.dat ]]; then
    meson configure "$asan" "${asan_options[@]}" >/dev/null
  else
    rm -rf "$asan"
    meson setup "$asan" "${asan_options[@]}" >/dev/null
  fi
  meson compile -C "$asan"
  export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  export GDK_DEBUG=gl-glx
  asan_env=detect_leaks=1:abort_on_error=1:intercept_tls_get_addr=0
  ASAN_OPTIONS=$asan_env:fast_unwind_on_malloc=0 G_SLICE=always-malloc \
    meson test -C "$asan" --no-suite gtk --print-errorlogs --timeout-multiplier 3 || status=$?
  logs+=("$asan/meson-logs/testlog.json")
  ASAN_OPTIONS=$asan_env \
    meson test -C "$asan" --suite gtk --logbase gtk --print-errorlogs --timeout-multiplier 3 ||
    status=$?
  logs+=("$asan/meson-logs/gtk.json")
  unset LSAN_OPTIONS UBSAN_OPTIONS GDK_DEBUG
fi

# libFuzzer (clang, ASan + UBSan): every target replays its seed corpus
# under meson test, then is fuzzed FUZZ_SECONDS (10) each by scripts/fuzz.sh;
# each timed run counts as one test (CROSSING_FUZZ=0 skips).
fuzz_passed=0
fuzz_failed=0
if [[ ${CROSSING_FUZZ:-1} != 0 ]]; then
  fuzz_build=${build}-fuzz
  fuzz_log=$(mktemp)
  FUZZ_BUILD_DIR=$fuzz_build FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/fuzz.sh | tee "$fuzz_log" ||
    status=$?
  fuzz_passed=$(grep -c ', no finding$' "$fuzz_log" || true)
  fuzz_failed=$(grep -c ': FINDING' "$fuzz_log" || true)
  rm -f "$fuzz_log"
  G_SLICE=always-malloc meson test -C "$fuzz_build" --suite fuzz --print-errorlogs || status=$?
  logs+=("$fuzz_build/meson-logs/testlog.json")
fi

FUZZ_PASSED=$fuzz_passed FUZZ_FAILED=$fuzz_failed python3 - "${logs[@]}" <<'PY'
import json, os, sys
passed = int(os.environ["FUZZ_PASSED"])
failed = int(os.environ["FUZZ_FAILED"])
skipped = 0
for path in sys.argv[1:]:
    if not os.path.exists(path):
        # That suite did not even build: one failure, not a crash here.
        print(f"no test log at {path}", file=sys.stderr)
        failed += 1
        continue
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
