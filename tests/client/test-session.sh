#!/usr/bin/env bash
# The remembered sign-in, end to end: a real gnome-keyring-daemon in a
# temporary HOME, a companion on loopback, the crossing binary on Xvfb, the
# terminal phone. Also: quitting cancels a live order on the server, and a
# second launch's options reach the running app. Run inside dbus-run-session.
set -euo pipefail

source "$(dirname "$0")/e2e-lib.sh"

start_keyring
start_companion main 120
url=$companion_url

approve_from_log() {  # NAME: plays the phone for the order on screen
  mkfifo "$tmp/answers-$1"
  ( wait_for "$tmp/$1.log" "check code" 20
    sed -n 's/.*check code \([0-9]*\).*/\1/p' "$tmp/$1.log" | tail -n 1; echo y ) >"$tmp/answers-$1" &
  "$companion" approve --key "$tmp/key" "$claim" <"$tmp/answers-$1" >"$tmp/$1-approve.log" 2>&1 ||
    fail "$1: approve did not approve"
}

# A cancelled order is over: its claim answers 400 TRANSITION_CONFLICT. A
# live one answers 200 (and an expired one ORDER_EXPIRED), so this check
# fails whenever the cancel did not reach the server. The claim is the
# phone's first step, so a claimed order can be approved by nobody else.
assert_cancelled() {  # NAME CLAIM-URL SERVER
  local order_id=${2#*/claim/} status code
  order_id=${order_id%%\?*}
  status=$(curl -s -o "$tmp/$1-claim.json" -w '%{http_code}' -X POST \
    "$3/api/auth/cross-device/claim" -H 'content-type: application/json' \
    -d "{\"orderId\":\"$order_id\",\"claimToken\":\"${2#*token=}\"}") || true
  code=$(jq -r '.code // .status' "$tmp/$1-claim.json" 2>/dev/null) || true
  [[ $status == 400 && $code == TRANSITION_CONFLICT ]] ||
    fail "$1: the order was not cancelled: its claim answered HTTP $status $code"
}

# 1. Sign in; the session goes to the keyring with its attributes.
launch first "$url"
approve_from_log first
wait_for "$tmp/first.log" "state: signed-in" 20 || fail "first: never signed in"
wait_for "$tmp/first.log" "session kept in the keyring" 10 || fail "first: the session was not stored"
# The terminal phone names the signer in its short form; the operator's list
# has it in full.
short=$(sed -n 's/^ *Signing in as: *//p' "$tmp/first-approve.log" | head -n 1)
subject=$("$companion" users list --db "$tmp/main.db" | cut -f 1 | grep -F -- "$short" | head -n 1)
[[ $subject == ed25519:* ]] || fail "no user for the key that signed in ($short)"
# Found by both attributes at once: the item has the server and the subject.
item=$(keyring_item server "$url" subject "$subject")
[[ -n $item ]] || fail "no keyring item for $url as $subject"
grep -qxF "label = Crossing session for $url" <<<"$item" || fail "the item's label: $item"
grep -q "schema = dev.crossing.Crossing.Session" <<<"$item" || fail "the item's schema: $item"
token=$(secret-tool lookup server "$url")
[[ -n $token ]] || fail "the item holds no token"
grep -qF -- "$token" "$tmp/first.log" && fail "the token was written to the log"
stop_client
echo "ok 1 signed in; the keyring holds the session for $url as $subject"

# 2. Launch again: signed in at once, no QR, no order started.
G_MESSAGES_DEBUG=crossing G_DEBUG= "$client" --server "$url" >"$tmp/again.log" 2>&1 &
client_pid=$!
pids+=($client_pid)
wait_for "$tmp/again.log" "resumed the remembered session" 20 || fail "again: not resumed"
wait_for "$tmp/again.log" "state: signed-in" 5 || fail "again: not signed in"
sleep 0.5
shot session-resumed
grep -q "qr drawn\|state: waiting\|state: starting" "$tmp/again.log" && fail "again: an order was started"
stop_client
echo "ok 2 the next launch is signed in without a QR"

# 3. Signed out elsewhere (another client with the same token): the next
#    launch forgets the item and shows a code.
curl -sf -X POST -H "Authorization: Bearer $token" "$url/api/auth/sign-out" >/dev/null ||
  fail "sign-out from another client failed"
unset token
launch revoked "$url"
grep -q "the remembered session is no longer valid" "$tmp/revoked.log" || fail "revoked: not noticed"
wait_for "$tmp/revoked.log" "session removed from the keyring" 10 || fail "revoked: item not removed"
[[ -z $(keyring_item server "$url") ]] || fail "revoked: the item is still there"
echo "ok 3 a revoked session is removed from the keyring and the QR shown"

# 4. Quit (Ctrl+Q) with the code on screen: the order is cancelled.
stop_client
grep -q "cancelling the live order" "$tmp/revoked.log" || fail "quit: no cancel sent"
assert_cancelled quit "$claim" "$url"
echo "ok 4 quitting with a live order cancels it on the server"

# 5. SIGTERM with the code on screen: cancelled too, exit status 0.
launch term "$url"
kill -TERM "$client_pid"
stop_gracefully client "$client_pid"
grep -q "cancelling the live order" "$tmp/term.log" || fail "term: no cancel sent"
assert_cancelled term "$claim" "$url"
echo "ok 5 SIGTERM with a live order cancels it on the server"

# 6. A second launch with options: its order starts in the running app.
launch primary "$url"
first_order=$order
"$client" --server "$url" --kind sign --title "Sign the release notes" \
  --summary "Version 0.1.0" >"$tmp/second.log" 2>&1 || fail "the second launch failed"
wait_for "$tmp/primary.log" "a second launch asks for an order" 10 || fail "second: not handed over"
deadline=$((SECONDS + 20))
until (($(grep -c "qr drawn" "$tmp/primary.log") >= 2)); do
  ((SECONDS < deadline)) || fail "second: no second QR"
  sleep 0.05
done
# The new window covers the first once it is drawn.
deadline=$((SECONDS + 15))
until read_qr second-launch && [[ $claim != *"/$first_order?"* ]]; do
  ((SECONDS < deadline)) || fail "second: the first order's QR stays on top"
done
approve_from_log primary
grep -q "Sign the release notes" "$tmp/primary-approve.log" || fail "second: the phone did not see the title"
wait_for "$tmp/primary.log" "state: done" 20 || fail "second: never done"
sleep 0.3
shot second-signed
stop_client
echo "ok 6 a second launch with --kind sign shows its QR in the running app"

# 7. No Secret Service on the bus: it works, and says so once.
cat >"$tmp/bare-bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$tmp</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
dbus-run-session --config-file="$tmp/bare-bus.conf" -- \
  env G_MESSAGES_DEBUG=crossing G_DEBUG= "$client" --server "$url" >"$tmp/bare.log" 2>&1 &
bare_pid=$!
pids+=($bare_pid)
wait_for "$tmp/bare.log" "qr drawn" 20 || fail "bare: no QR without a keyring"
wait_for "$tmp/bare.log" "keyring unavailable" 5 || fail "bare: did not say the keyring is missing"
read_qr no-keyring || fail "bare: no QR on screen"
kill -TERM "$(pgrep -P "$bare_pid" -x crossing || pgrep -P "$bare_pid")" 2>/dev/null || true
stop_gracefully bare "$bare_pid"
echo "ok 7 without a keyring the app works and says the sign-in is not remembered"

# 8. Ctrl+W with the code on screen closes the window, the app, and the order.
launch close "$url"
press ctrl+w
stop_gracefully client "$client_pid"
grep -q "cancelling the live order" "$tmp/close.log" || fail "close: no cancel sent"
assert_cancelled close "$claim" "$url"
echo "ok 8 Ctrl+W closes the window and cancels its live order"

# 9. A TLS companion typed as http://: the window says to write https://,
#    as the server's own answers show, not a certificate problem.
main_url=$url
main_pid=$companion_pid
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$tmp/tls.key" -out "$tmp/tls.crt" -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl made no certificate"
start_companion tls 120 127.0.0.1:0 --tls-cert "$tmp/tls.crt" --tls-key "$tmp/tls.key"
[[ $companion_url == https://* ]] || fail "the TLS companion says $companion_url"
G_MESSAGES_DEBUG=crossing G_DEBUG= "$client" --server "http://${companion_url#https://}" \
  >"$tmp/wrong-scheme.log" 2>&1 &
client_pid=$!
pids+=($client_pid)
wait_for "$tmp/wrong-scheme.log" "state: error" 20 || fail "wrong scheme: no error"
grep -q "diagnosed: This server only speaks https" "$tmp/wrong-scheme.log" ||
  fail "wrong scheme: not diagnosed as http for https"
sleep 0.3
shot wrong-scheme
stop_client
stop_companion tls "$companion_pid"
echo "ok 9 http:// for an https server is said in words"

# 10. A server saved in the preferences (here with gsettings, through the
#     keyfile backend both share) takes over the window showing a code; the
#     old code is cancelled.
start_companion other 120
other_url=$companion_url
other_pid=$companion_pid
export GSETTINGS_BACKEND=keyfile
launch switch "$main_url"
old_claim=$claim
gsettings set dev.crossing.Crossing server-url "$other_url"
wait_for "$tmp/switch.log" "switching to the server saved in the preferences" 10 ||
  fail "switch: the new server was not taken over"
deadline=$((SECONDS + 20))
until (($(grep -c "qr drawn" "$tmp/switch.log") >= 2)); do
  ((SECONDS < deadline)) || fail "switch: no code from the new server"
  sleep 0.05
done
read_qr switched || fail "switch: no QR on screen"
[[ $claim == "$other_url/cross-device/claim/"* ]] || fail "switch: the code is not $other_url's: $claim"
assert_cancelled switch "$old_claim" "$main_url"
stop_client
unset GSETTINGS_BACKEND
stop_companion other "$other_pid"
echo "ok 10 a server saved in the preferences takes over a window with nothing under way"

stop_companion main "$main_pid"
echo "1..10"
