#!/usr/bin/env bash
# The demo on one machine: builds, starts crossing-companion (embedded
# SQLite) and the crossing desktop client pointed at it, and prints the
# command that approves from a terminal, as a phone would. Ctrl+C (or
# closing the window) stops everything it started.
#
#   CROSSING_LISTEN=0.0.0.0:8787 CROSSING_PUBLIC_URL=http://192.168.1.20:8787 scripts/demo.sh
# lets a phone on the same network open the QR's link (its camera needs
# https for the page's device key: see README, "Real phones").
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${CROSSING_BUILD_DIR:-$top/build}
cd "$top"

step() { printf '\n==> %s\n' "$*"; }

companion_pid=
client_pid=
stop_all() {
  trap - INT TERM EXIT
  [[ -n $client_pid ]] && kill "$client_pid" 2>/dev/null || true
  [[ -n $companion_pid ]] && kill "$companion_pid" 2>/dev/null || true
  [[ -n $client_pid ]] && wait "$client_pid" 2>/dev/null || true
  [[ -n $companion_pid ]] && wait "$companion_pid" 2>/dev/null || true
  if [[ -n $companion_pid ]]; then
    printf '\n==> Stopped the companion%s.\n' "${client_pid:+ and the Crossing window}"
  fi
}
trap stop_all EXIT
trap 'exit 130' INT TERM

step "Checking the Debian packages the build needs (scripts/deps.sh build)"
scripts/deps.sh build

if [[ ! -d $build ]]; then
  step "Configuring a build directory in $build"
  meson setup "$build" >/dev/null
fi

step "Building (meson compile -C $build)"
# ninja's progress, one line rewritten in place; the full output on failure.
if ! meson compile -C "$build" 2>&1 | tee "$build/demo-build.log" |
     while IFS= read -r line; do
       if [[ $line == \[*/*\]* ]]; then printf '\r\033[K    %s' "${line:0:72}"; fi
     done; then
  echo; cat "$build/demo-build.log" >&2; exit 1
fi
printf '\r\033[K    done\n'

listen=${CROSSING_LISTEN:-127.0.0.1:8787}
state=${XDG_STATE_HOME:-$HOME/.local/state}/crossing/demo
mkdir -p "$state"
companion="$build/companion/crossing-companion"

args=(serve --listen "$listen" --db "$state/companion.db")
if [[ -n ${CROSSING_PUBLIC_URL:-} ]]; then
  args+=(--public-url "$CROSSING_PUBLIC_URL")
fi

log="$state/companion.log"
step "Starting the companion on $listen (database $state/companion.db, log $log)"
"$companion" "${args[@]}" >"$log" 2>&1 &
companion_pid=$!

url=
for _ in $(seq 100); do
  url=$(sed -n 's/^crossing-companion listening on //p' "$log")
  [[ -n $url ]] && break
  kill -0 "$companion_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $url ]] || { echo "the companion did not start:" >&2; cat "$log" >&2; exit 1; }
server=${CROSSING_PUBLIC_URL:-$url}
echo "    The companion answers at $server"

if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then
  echo
  echo "  No desktop session here (no DISPLAY): the companion keeps running for"
  echo "  the curl walkthrough in README.md. Press Ctrl+C to stop it."
  wait "$companion_pid"
  exit 0
fi

step "Starting the Crossing window, signing in at $server"
cat <<MSG
    To approve, scan the code with a phone on the same network (start the
    demo with CROSSING_LISTEN and CROSSING_PUBLIC_URL, see the top of this
    script), open the link in a browser here, or play the phone in another
    terminal with the command printed below for each new code, and type
    the number the window shows when it asks.
    If Crossing remembers an earlier sign-in, it shows no code: sign out first.
    Press Ctrl+C here, or close the window, to stop everything.
MSG

coproc client { GSETTINGS_SCHEMA_DIR="$build/data" exec "$build/client/crossing" \
                  --server "$server" --print-link; }
client_pid=$client_PID
while IFS= read -r line <&"${client[0]}"; do
  if [[ $line == "link: "* ]]; then
    printf '\n    New code. In a terminal, approve it as a phone would:\n\n'
    printf "      %s approve '%s'\n\n" "$companion" "${line#link: }"
  elif [[ $line == "code: "* ]]; then
    read -r _ code address <<<"$line"
    printf '    or with the code under "Can'"'"'t scan?":\n\n'
    printf "      %s approve --code %s --server '%s'\n\n" "$companion" "$code" "$address"
  else
    printf '%s\n' "$line"
  fi
done
wait "$client_pid" 2>/dev/null || true
client_pid=
