#!/usr/bin/env bash
# End to end on a real window: Xvfb, a companion on loopback, the crossing
# binary; the QR is read off a screenshot with zbarimg and approved (or
# rejected) by the terminal phone. Screenshots of every state are kept in
# $CROSSING_SCREENSHOT_DIR. Run inside dbus-run-session (for app actions).
set -euo pipefail

source "$(dirname "$0")/e2e-lib.sh"

# The sign-in of test 1 is remembered; it is removed after that test, so the
# later launches on the same server show a code (test-session.sh is about
# remembering).
start_keyring

start_companion main 120
url=$companion_url
main_pid=$companion_pid
start_companion short 2
url_short=$companion_url
short_pid=$companion_pid

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
secret-tool clear server "$url"
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
