#!/usr/bin/env bash
# The edges of issue 14 on a real window: Xvfb, a companion on loopback, the
# crossing binary, the terminal phone. A code typed instead of scanned (read
# off the screen with tesseract), a proxy that holds back the event stream
# (the app signs in by polling), each reason of a rejection in its words,
# and "Sign in again as" starting an order only that account may approve.
# Run inside dbus-run-session.
set -euo pipefail

source "$(dirname "$0")/e2e-lib.sh"

start_keyring
start_companion main 120
url=$companion_url
api=$url/api/auth/cross-device

# The contract's user-code alphabet: tesseract may read nothing else.
alphabet=BCDFGHJKLMNPQRSTVWXZ

check_code_of() {  # NAME: the number the window shows, from its log
  sed -n 's/.*check code \([0-9]*\).*/\1/p' "$tmp/$1.log" | tail -n 1
}

# Plays the phone (key A) for the order on screen: the claim link read off
# the QR, or the approve options given; types the check code once the window
# shows a new one.
approve_from_log() {  # NAME [APPROVE OPTION…]
  local seen
  seen=$(grep -c "check code" "$tmp/$1.log" || true)
  rm -f "$tmp/answers-$1"
  mkfifo "$tmp/answers-$1"
  ( deadline=$((SECONDS + 30))
    until (($(grep -c "check code" "$tmp/$1.log" || true) > seen)) || ((SECONDS > deadline)); do
      sleep 0.05
    done
    check_code_of "$1"; echo y ) >"$tmp/answers-$1" &
  if (($# > 1)); then
    set -- "$1" "${@:2}"
  else
    set -- "$1" "$claim"
  fi
  "$companion" approve --key "$tmp/key-a" "${@:2}" <"$tmp/answers-$1" >"$tmp/$1-approve.log" 2>&1 ||
    fail "$1: approve did not approve"
}

# Dim captions are too faint for tesseract as drawn: twice the size, then
# black on white; text anywhere on the screen, not in columns.
ocr() {  # SHOT-NAME [OPTION…]: the text tesseract reads on a screenshot
  convert "$shots/$1.png" -colorspace Gray -resize 200% -threshold 85% "$tmp/ocr.png"
  tesseract "$tmp/ocr.png" - --psm 11 "${@:2}" 2>/dev/null
}

# Waits until the window shows TEXT (read with tesseract), taking a screenshot
# each time: under the sanitizers the frame comes late.
wait_for_words() {  # SHOT-NAME TEXT SECONDS
  local deadline=$((SECONDS + $3))
  until shot "$1" && ocr "$1" | tr -s '\n ' '  ' | grep -qF -- "$2"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# The QR of the order the log last named: under a slow build the window
# may still show the previous one for a while.
read_new_qr() {  # SHOT-NAME
  local deadline=$((SECONDS + 30))
  until read_qr "$1" && [[ $claim == *"/claim/$order?"* ]]; do
    ((SECONDS < deadline)) || return 1
  done
}

json_post() {  # ENDPOINT BODY: the answer's body (any status)
  curl -s -X POST "$api/$1" -H 'content-type: application/json' -d "$2"
}

# Claims the order of a claim link as a phone that is not the terminal one,
# and reads its challenge: sets order_id, challenge_token, message, subject.
claim_with_curl() {  # CLAIM-URL
  order_id=${1#*/claim/}
  order_id=${order_id%%\?*}
  challenge_token=$(json_post claim "{\"orderId\":\"$order_id\",\"claimToken\":\"${1#*token=}\"}" |
                    jq -r .challengeToken)
  [[ $challenge_token != null ]] || fail "the claim was refused"
  json_post challenge "{\"orderId\":\"$order_id\",\"challengeToken\":\"$challenge_token\"}" \
    >"$tmp/challenge.json"
  message=$(jq -r .message "$tmp/challenge.json")
  subject=$(jq -r '.subject // empty' "$tmp/challenge.json")
}

approve_with_curl() {  # CHECK-CODE PUBLIC-KEY-HEX SIGNATURE-HEX: the answer's code
  json_post approve "{\"orderId\":\"$order_id\",\"challengeToken\":\"$challenge_token\",
    \"checkCode\":\"$1\",\"proof\":{\"publicKeyHex\":\"$2\",\"signatureHex\":\"$3\"}}" |
    jq -r '.code // .status'
}

# 1. A proxy that buffers event streams: nothing comes through the stream,
#    so the app polls /status and still signs in.
python3 "$(dirname "$0")/buffering-proxy.py" "${url#http://}" >"$tmp/proxy.log" 2>&1 &
pids+=($!)
wait_for "$tmp/proxy.log" "listening on" 10 || fail "the proxy did not start"
proxy_url=$(sed -n 's/^listening on //p' "$tmp/proxy.log")
CROSSING_STREAM_WINDOW_MS=3000 CLAIM_BASE=$url launch polled "$proxy_url"
wait_for "$tmp/polled.log" "slow connection: polling the status" 20 || fail "polled: never polled"
grep -q "GET /api/auth/cross-device/events" "$tmp/proxy.log" || fail "polled: no stream was tried"
wait_for_words polling "Slow connection" 30 || fail "polled: no slow connection note"
approve_from_log polled
wait_for "$tmp/polled.log" "state: signed-in" 30 || fail "polled: never signed in"
grep -q "GET /api/auth/cross-device/status" "$tmp/proxy.log" || fail "polled: /status never asked"
# Nothing the stream carried reached the app: the proxy held it all.
grep -q "the event stream does not come through (nothing within the keepalive window)" \
  "$tmp/polled.log" || fail "polled: fell back for another reason"
polls=$(grep -c "GET /api/auth/cross-device/status" "$tmp/proxy.log")
stop_client
secret-tool clear server "$proxy_url"
echo "ok 1 behind a proxy that buffers the stream, signed in by polling ($polls polls)"

# 2. "Can't scan?": the code on screen claims the order on screen.
launch code "$url" --print-link
press alt+s
wait_for_words code "t scan?" 30 || fail "code: no Can't scan?"
# The code and the address to type it at, both on one screenshot (the
# revealer slides them in). The code is a line of its own: the claim link
# may hold eight letters of the alphabet too.
deadline=$((SECONDS + 15))
until user_code=$(ocr code -c tessedit_char_whitelist=$alphabet- |
                  grep -xE "[$alphabet]{4}-[$alphabet]{4}" | head -n 1) && [[ -n $user_code ]] &&
      ocr code | tr '\n' ' ' | grep -qF "$url/cross-device/code"; do
  ((SECONDS < deadline)) || fail "code: no code and address on screen"
  sleep 0.5
  shot code
done
# --print-link names the same code, for a terminal phone.
grep -qxF "code: $user_code $url/cross-device/code" "$tmp/code.log" || fail "code: not printed as $user_code"
approve_from_log code --code "$user_code" --server "$url"
# The window follows only its own order: signed in, the code was that order's.
wait_for "$tmp/code.log" "state: signed-in" 20 || fail "code: never signed in"
stop_client
secret-tool clear server "$url"
echo "ok 2 the code on screen ($user_code) claims the order on screen, from the terminal phone"

# 3. Each reason of a rejection in its words.
launch declined "$url"
"$companion" approve --reject --key "$tmp/key-a" "$claim" >"$tmp/declined-approve.log" 2>&1 &&
  fail "declined: approve --reject exited 0"
wait_for "$tmp/declined.log" "state: rejected" 20 || fail "declined: not rejected"
wait_for_words declined "Declined on Your Phone" 30 || fail "declined: not in words"
stop_client

launch wrong-codes "$url"
claim_with_curl "$claim"
wait_for "$tmp/wrong-codes.log" "check code" 20 || fail "wrong codes: never claimed"
wrong=$(printf '%02d' $(((10#$(check_code_of wrong-codes) + 1) % 100)))
zero64=$(printf '0%.0s' {1..64})
for try in 1 2 3; do
  answer=$(approve_with_curl "$wrong" "$zero64" "$zero64$zero64")
  # The third may say so or that the order is over: the window tells.
  ((try == 3)) || [[ $answer == CHECK_CODE_MISMATCH ]] || fail "wrong codes: try $try answered $answer"
done
wait_for "$tmp/wrong-codes.log" "state: rejected" 20 || fail "wrong codes: not rejected"
wait_for_words wrong-codes "Too Many Wrong Codes" 30 || fail "wrong codes: not in words"
stop_client
echo "ok 3 declined and too many wrong codes, each in its words"

# 4. Signed in as A; the session ends on the server; the next launch offers
#    "Sign In Again as A", an order only A may approve: B's signatures are
#    refused three times (in words), then A signs in.
launch first "$url"
approve_from_log first
wait_for "$tmp/first.log" "session kept in the keyring" 20 || fail "first: not kept"
# The terminal phone names the signer in its short form; the operator's list
# has it in full.
short_a=$(sed -n 's/^ *Signing in as: *//p' "$tmp/first-approve.log" | head -n 1)
short_a=${short_a:0:24}
subject_a=$("$companion" users list --db "$tmp/main.db" | cut -f 1 | grep -F -- "$short_a" | head -n 1)
[[ $subject_a == ed25519:* ]] || fail "first: no user for the key that signed in ($short_a)"
token=$(secret-tool lookup server "$url")
stop_client
curl -sf -X POST -H "Authorization: Bearer $token" "$url/api/auth/sign-out" >/dev/null ||
  fail "sign-out from another client failed"
unset token

launch again "$url"
wait_for "$tmp/again.log" "the remembered session is no longer valid" 10 || fail "again: not noticed"
wait_for_words again "Again as ed25519:" 30 || fail "again: no Sign In Again as"
first_order=$order
replaced_claim=$claim
press alt+i
deadline=$((SECONDS + 20))
until order=$(sed -n 's/.*state: waiting, order \([A-Za-z0-9_-]*\).*/\1/p' "$tmp/again.log" | tail -n 1) &&
      [[ $order != "$first_order" ]]; do
  ((SECONDS < deadline)) || fail "again: no new order"
  sleep 0.1
done
wait_for_words identified "can approve" 30 || fail "again: not said who may approve"
read_new_qr identified || fail "again: no QR of order $order"
# The code it replaced was cancelled: no phone can claim it any more.
replaced_id=${replaced_claim#*/claim/}
replaced_id=${replaced_id%%\?*}
answer=$(json_post claim "{\"orderId\":\"$replaced_id\",\"claimToken\":\"${replaced_claim#*token=}\"}" |
         jq -r '.code // .status')
[[ $answer != claimed && $answer != null ]] || fail "again: the replaced order could still be claimed ($answer)"
claim_with_curl "$claim"
[[ $subject == "$subject_a" ]] || fail "again: the order is for '$subject', not $subject_a"
grep -qxF "subject: $subject_a" <<<"$message" || fail "again: the signed message lacks the subject"
wait_for "$tmp/again.log" "check code" 20 || fail "again: never claimed"
openssl genpkey -algorithm ed25519 -out "$tmp/key-b.pem" 2>/dev/null
public_b=$(openssl pkey -in "$tmp/key-b.pem" -pubout -outform DER | tail -c 32 | xxd -p -c 64)
printf '%s' "$message" >"$tmp/message"
signature_b=$(openssl pkeyutl -sign -rawin -inkey "$tmp/key-b.pem" -in "$tmp/message" | xxd -p -c 128)
for try in 1 2 3; do
  answer=$(approve_with_curl "$(check_code_of again)" "$public_b" "$signature_b")
  [[ $answer == SUBJECT_MISMATCH ]] || fail "again: B's try $try answered $answer"
done
wait_for "$tmp/again.log" "state: rejected" 20 || fail "again: not rejected after three mismatches"
wait_for_words again-mismatch "Signed by Another Account" 30 || fail "again: mismatch not in words"

# Try Again brings a code anyone may approve, and the offer again.
press alt+t
wait_for_words again-offer "Again as ed25519:" 30 || fail "again: no second offer"
first_order=$(sed -n 's/.*state: waiting, order \([A-Za-z0-9_-]*\).*/\1/p' "$tmp/again.log" | tail -n 1)
press alt+i
deadline=$((SECONDS + 20))
until order=$(sed -n 's/.*state: waiting, order \([A-Za-z0-9_-]*\).*/\1/p' "$tmp/again.log" | tail -n 1) &&
      [[ $order != "$first_order" ]]; do
  ((SECONDS < deadline)) || fail "again: no second identified order"
  sleep 0.1
done
read_new_qr again-qr || fail "again: no QR of the second identified order $order"
approve_from_log again
wait_for "$tmp/again.log" "state: signed-in" 20 || fail "again: A did not sign in"
stop_client
echo "ok 4 Sign In Again as $short_a: only A may approve; B refused three times, in words"

stop_companion main "$companion_pid"
echo "ok 5 the companion stopped on SIGTERM with status 0"
echo "# screenshots in $shots"
echo "1..5"
