#!/usr/bin/env bash
# End to end on a real window: Xvfb, a companion on loopback, the crossing
# binary; the QR is read off a screenshot with zbarimg and approved (or
# rejected) by the terminal phone. Screenshots of every state are kept in
# $CROSSING_SCREENSHOT_DIR. Run inside dbus-run-session (for app actions).
set -euo pipefail

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

start_companion() {  # NAME TTL [LISTEN]: sets companion_url and companion_pid
  # Empty the log here: the child's own truncation may come after wait_for
  # has already read a restarted companion's previous "listening" line.
  : >"$tmp/companion-$1.log"
  "$companion" serve --listen "${3:-127.0.0.1:0}" --db "$tmp/$1.db" --order-ttl "$2" \
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

start_companion main 120
url=$companion_url
main_pid=$companion_pid
start_companion short 2
url_short=$companion_url
short_pid=$companion_pid

shot() { import -window root "$shots/$1.png"; }

# GLib stamps each debug line with the time of day; so does this.
seconds_of_day() { awk -F: '{ printf "%.3f", $1 * 3600 + $2 * 60 + $3 }'; }

launch() {  # NAME SERVER [CLIENT OPTION…]
  local t0 t_qr
  t0=$(date +%H:%M:%S.%N | seconds_of_day)
  G_MESSAGES_DEBUG=crossing G_DEBUG= "$client" --server "$2" "${@:3}" >"$tmp/$1.log" 2>&1 &
  client_pid=$!
  pids+=($client_pid)
  wait_for "$tmp/$1.log" "qr drawn" 20 || fail "$1: no QR on screen"
  t_qr=$(sed -n 's/.*crossing-DEBUG: \([0-9:.]*\): qr drawn.*/\1/p' "$tmp/$1.log" | head -n 1 | seconds_of_day)
  echo "# $1: launch to QR drawn in $(awk -v a="$t0" -v b="$t_qr" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms"
  sleep 0.3
  shot "$1-qr"
  claim=$(zbarimg --raw -q "$shots/$1-qr.png" | head -n 1) || fail "$1: zbarimg read no QR"
  order=$(sed -n 's/.*state: waiting, order \([A-Za-z0-9_-]*\).*/\1/p' "$tmp/$1.log" | tail -n 1)
  [[ $claim == "$2/cross-device/claim/$order?token="* ]] || fail "$1: QR says '$claim', not a claim link of order $order"
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

# 1. Approve: the check code comes from the client's log, as a person reads it.
launch login "$url"
mkfifo "$tmp/answers"
( wait_for "$tmp/login.log" "check code" 20 && sleep 0.3 && shot login-scanned
  sed -n 's/.*check code \([0-9]*\).*/\1/p' "$tmp/login.log" | tail -n 1; echo y ) >"$tmp/answers" &
"$companion" approve --key "$tmp/key" "$claim" <"$tmp/answers" >"$tmp/approve.log" 2>&1 ||
  fail "approve did not approve"
wait_for "$tmp/login.log" "state: signed-in" 20 || fail "login: never signed in"
sleep 0.3
shot login-signed-in
subject=$(sed -n 's/^ *Signing in as: *//p' "$tmp/approve.log" | head -n 1)
[[ $subject == ed25519:* ]] || fail "approve did not say which key signs in: '$subject'"
"$companion" users list --db "$tmp/main.db" | grep -q -F -- "$subject" || fail "no user $subject"
stop_client
echo "ok 1 login approved from the terminal phone, user $subject exists"

# 2. Reject on the phone.
launch reject "$url"
"$companion" approve --reject --key "$tmp/key" "$claim" >"$tmp/reject-approve.log" 2>&1 && fail "reject exited 0"
wait_for "$tmp/reject.log" "state: rejected" 20 || fail "reject: no rejected state"
sleep 0.3
shot rejected
stop_client
echo "ok 2 rejected on the phone"

# 3. Cancel from the desktop (the app's cancel action over D-Bus).
launch cancel "$url"
gapplication action dev.crossing.Crossing cancel
wait_for "$tmp/cancel.log" "state: cancelled" 20 || fail "cancel: no cancelled state"
sleep 0.3
shot cancelled
"$companion" approve --yes --key "$tmp/key" "$claim" >/dev/null 2>&1 && fail "a cancelled order was approved"
stop_client
echo "ok 3 cancelled from the desktop"

# 4. Expiry with a 2 s TTL: fresh codes a few times, then the app asks.
launch expiry "$url_short"
wait_for "$tmp/expiry.log" "state: expired" 30 || fail "expiry: never expired"
grep -q "renewing (3 of 3)" "$tmp/expiry.log" || fail "expiry: did not renew three times"
sleep 0.3
shot expired
stop_client
echo "ok 4 unclaimed codes renewed three times, then expired"

# 5. A signature: the result shows the signer and the signature.
launch sign "$url" --kind sign --title "Sign the release notes"
( wait_for "$tmp/sign.log" "check code" 20
  sed -n 's/.*check code \([0-9]*\).*/\1/p' "$tmp/sign.log" | tail -n 1; echo y ) >"$tmp/answers" &
"$companion" approve --key "$tmp/key" "$claim" <"$tmp/answers" >"$tmp/sign-approve.log" 2>&1 ||
  fail "approve did not approve the signature"
grep -q "Sign the release notes" "$tmp/sign-approve.log" || fail "the phone did not see the title"
wait_for "$tmp/sign.log" "state: done" 20 || fail "sign: never done"
sleep 0.3
shot signed
stop_client
echo "ok 5 signature approved, proof shown"

# 6. The companion restarts mid-flow: the window says it is reconnecting,
#    comes back with Last-Event-ID, and the sign-in still completes.
start_companion restart 120
url_restart=$companion_url
launch restart "$url_restart"
stop_companion restart "$companion_pid"
wait_for "$tmp/restart.log" "stream lost, reconnecting" 20 || fail "restart: no reconnecting state"
sleep 0.3
shot reconnecting
start_companion restart 120 "${url_restart#http://}"
( wait_for "$tmp/restart.log" "check code" 30
  sed -n 's/.*check code \([0-9]*\).*/\1/p' "$tmp/restart.log" | tail -n 1; echo y ) >"$tmp/answers" &
"$companion" approve --key "$tmp/key" "$claim" <"$tmp/answers" >"$tmp/restart-approve.log" 2>&1 ||
  fail "approve after the restart failed"
wait_for "$tmp/restart.log" "state: signed-in" 30 || fail "restart: never signed in"
grep -q "stream connected" "$tmp/restart.log" || fail "restart: the stream never came back"
stop_client
echo "ok 6 reconnected after a companion restart and signed in"

# 7. No server: the error in words, with a way to try again.
G_MESSAGES_DEBUG=crossing G_DEBUG= "$client" --server "http://127.0.0.1:9" >"$tmp/down.log" 2>&1 &
client_pid=$!
pids+=($client_pid)
wait_for "$tmp/down.log" "state: error" 20 || fail "down: no error state"
sleep 0.3
shot server-down
stop_client
echo "ok 7 an unreachable server is an error in words"

stop_companion main "$main_pid"
stop_companion short "$short_pid"
stop_companion restart "$companion_pid"
echo "ok 8 every companion stopped on SIGTERM with status 0"

echo "# screenshots in $shots"
echo "1..8"
