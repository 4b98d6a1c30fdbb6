#!/usr/bin/env bash
# The demo on one machine: builds, starts crossing-companion (embedded
# SQLite) and the crossing desktop client pointed at it, and says how to
# approve. Stop with Ctrl+C or by closing the window.
#
#   CROSSING_LISTEN=0.0.0.0:8787 CROSSING_PUBLIC_URL=http://192.168.1.20:8787 scripts/demo.sh
# lets a phone on the same network open the QR's link (its camera needs
# https for the page's device key: see README, "Real phones").
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CROSSING_BUILD_DIR:-$top/build}
cd "$top"

scripts/deps.sh build
[[ -d $build ]] || meson setup "$build" >/dev/null
meson compile -C "$build" >/dev/null

listen=${CROSSING_LISTEN:-127.0.0.1:8787}
state=${XDG_STATE_HOME:-$HOME/.local/state}/crossing/demo
mkdir -p "$state"
companion="$build/companion/crossing-companion"

args=(serve --listen "$listen" --db "$state/companion.db")
if [[ -n ${CROSSING_PUBLIC_URL:-} ]]; then
  args+=(--public-url "$CROSSING_PUBLIC_URL")
fi

log="$state/companion.log"
"$companion" "${args[@]}" >"$log" 2>&1 &
companion_pid=$!
trap 'kill "$companion_pid" 2>/dev/null; wait "$companion_pid" 2>/dev/null || true' EXIT

url=
for _ in $(seq 100); do
  url=$(sed -n 's/^crossing-companion listening on //p' "$log")
  [[ -n $url ]] && break
  kill -0 "$companion_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $url ]] || { echo "the companion did not start:" >&2; cat "$log" >&2; exit 1; }
server=${CROSSING_PUBLIC_URL:-$url}

cat <<MSG

  Companion: $server   (database $state/companion.db, log $log)

  The Crossing window shows a QR code. To approve the sign-in:
    - with a phone on the same network: scan it (start the demo with
      CROSSING_LISTEN and CROSSING_PUBLIC_URL, see the top of this script);
    - in a browser on this machine: click "Copy Link" and open the link;
    - in a terminal: click "Copy Link", then run
        $companion approve 'PASTE-THE-LINK'
      and type the number the window shows.

MSG

if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
  echo "  No desktop session here (no DISPLAY): the companion keeps running for"
  echo "  the curl walkthrough in README.md. Press Ctrl+C to stop it."
  wait "$companion_pid"
  exit 0
fi

GSETTINGS_SCHEMA_DIR="$build/data" "$build/client/crossing" --server "$server"
