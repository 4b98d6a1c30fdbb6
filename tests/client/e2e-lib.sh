# Helpers the client's end-to-end scripts share: a temporary directory, an
# Xvfb, companions on loopback, the client launched and stopped as a person
# or systemd would. Sourced; set -euo pipefail is the caller's.

companion=${CROSSING_COMPANION:?}
client=${CROSSING_CLIENT:?}
shots=${CROSSING_SCREENSHOT_DIR:-$(mktemp -d)}
mkdir -p "$shots"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

wait_for() {  # FILE PATTERN SECONDS
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

start_companion() {  # NAME TTL [LISTEN [SERVE OPTION…]]: sets companion_url and companion_pid
  # Empty the log here: the child's own truncation may come after wait_for
  # has already read a restarted companion's previous "listening" line.
  : >"$tmp/companion-$1.log"
  "$companion" serve --listen "${3:-127.0.0.1:0}" --db "$tmp/$1.db" --order-ttl "$2" "${@:4}" \
    >"$tmp/companion-$1.log" 2>&1 &
  companion_pid=$!
  pids+=($companion_pid)
  wait_for "$tmp/companion-$1.log" "listening on" 10 || fail "companion $1 did not start"
  companion_url=$(sed -n 's/^crossing-companion listening on //p' "$tmp/companion-$1.log")
}

# Xvfb picks a free display and tells us which.
exec 5<> <(:)
Xvfb -displayfd 5 -screen 0 800x700x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
read -r -t 10 display <&5 || fail "Xvfb did not start"
export DISPLAY=:$display
export GDK_BACKEND=x11 NO_AT_BRIDGE=1

shot() { import -window root "$shots/$1.png"; }

# GLib stamps each debug line with the time of day; so does this.
seconds_of_day() { awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }

# "qr drawn" is the snapshot; under the sanitizers the frame reaches the X
# server a good while later, so the screenshot is taken again until a code
# is read from it (or 15 s pass). Sets claim.
read_qr() {  # SHOT-NAME
  local deadline=$((SECONDS + 15))
  claim=
  while [[ -z $claim ]]; do
    sleep 0.3
    shot "$1"
    claim=$(zbarimg --raw -q "$shots/$1.png" 2>/dev/null | head -n 1) || true
    [[ -n $claim ]] || ((SECONDS < deadline)) || return 1
  done
}

launch() {  # NAME SERVER [CLIENT OPTION…]; CLAIM_BASE: where claim links start, when not SERVER
  local t0 t_qr
  t0=$(date +%H:%M:%S.%N | seconds_of_day)
  G_MESSAGES_DEBUG=crossing G_DEBUG= "$client" --server "$2" "${@:3}" >"$tmp/$1.log" 2>&1 &
  client_pid=$!
  pids+=($client_pid)
  wait_for "$tmp/$1.log" "qr drawn" 20 || fail "$1: no QR on screen"
  t_qr=$(sed -n 's/.*crossing-DEBUG: \([0-9:.]*\): qr drawn.*/\1/p' "$tmp/$1.log" | head -n 1 | seconds_of_day)
  echo "# $1: launch to QR drawn in $(awk -v a="$t0" -v b="$t_qr" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms"
  read_qr "$1-qr" || fail "$1: zbarimg read no QR"
  order=$(sed -n 's/.*state: waiting, order \([A-Za-z0-9_-]*\).*/\1/p' "$tmp/$1.log" | tail -n 1)
  [[ $claim == "${CLAIM_BASE:-$2}/cross-device/claim/$order?token="* ]] ||
    fail "$1: QR says '$claim', not a claim link of order $order"
}

# Both programs are stopped the way a person or systemd stops them, and must
# exit 0: under the sanitizer build (scripts/test.sh) that exit is also where
# LeakSanitizer checks them.
stop_gracefully() {  # NAME PID: waits up to 20 s for it to exit, then kills it
  local status=0 deadline=$((SECONDS + 20))
  while kill -0 "$2" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$2" 2>/dev/null; break; }
    sleep 0.05
  done
  wait "$2" || status=$?
  ((status == 0)) || fail "$1 exited with status $status"
}

stop_client() {  # the app's quit action (Ctrl+Q), over D-Bus
  gapplication action dev.crossing.Crossing quit || kill "$client_pid" 2>/dev/null || true
  stop_gracefully client "$client_pid"
}

stop_companion() {  # NAME PID
  kill -TERM "$2" 2>/dev/null || true
  stop_gracefully "companion $1" "$2"
}


# A keyring of our own in a temporary HOME: gnome-keyring's secrets
# component, its login keyring created unlocked with an empty password, on
# the session bus the script runs in. Nothing of the user's is touched.
start_keyring() {
  export HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run XDG_DATA_HOME=$tmp/home/.local/share \
    XDG_CONFIG_HOME=$tmp/home/.config XDG_CACHE_HOME=$tmp/home/.cache
  mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
  chmod 700 "$XDG_RUNTIME_DIR"
  printf '\n' | gnome-keyring-daemon --unlock --components=secrets --daemonize >"$tmp/keyring.env" \
    2>"$tmp/keyring-daemon.log" || fail "gnome-keyring-daemon did not start"
  local deadline=$((SECONDS + 10))
  until gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
          --method org.freedesktop.DBus.NameHasOwner org.freedesktop.secrets 2>/dev/null |
        grep -q true; do
    ((SECONDS < deadline)) || fail "the keyring never answered"
    sleep 0.05
  done
}

# The items with these attributes, as "label = …", "schema = …" lines (the
# secret itself is left out).
keyring_item() {  # NAME VALUE…
  secret-tool search --all "$@" 2>/dev/null | grep -v '^secret = ' || true
}

# Keys to the Crossing window, as a person types them (xdotool).
press() {  # KEYS…
  local window
  window=$(xdotool search --sync --name '^Crossing$' | tail -n 1)
  xdotool windowfocus --sync "$window" key --clearmodifiers "$@"
}
