#!/bin/bash
# test-flow.sh: one whole login through the real programs
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The companion runs as `crossing-companion serve` on a free loopback port,
# curl plays the desktop (start, the event stream, finalize, get-session) and
# `crossing-companion approve` plays the phone. The phone is told the check
# code the moment the desktop's stream shows it: every wait here reads a pipe
# with a bounded timeout, none sleeps.
set -euo pipefail

comp=${CROSSING_COMPANION:?set CROSSING_COMPANION to the crossing-companion binary}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crossing-flow-XXXXXX")
server_pid=
events_pid=
approve_pid=

cleanup() {
  for pid in $approve_pid $events_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in server.err events.log approve.out approve.err; do
    if [ -s "$tmp/$f" ]; then
      echo "--- $f" >&2
      cat "$tmp/$f" >&2
    fi
  done
  exit 1
}

# The value of a string member in a one-line JSON file (tokens need no escaping).
field() {
  sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$2"
}

post() {
  curl -sS --max-time 5 -o "$tmp/$1.json" -D "$tmp/$1.headers" -w '%{http_code}' \
    -X POST -H 'content-type: application/json' -d "$2" "$api/$1"
}

# Reads the event stream (fd 4) up to the event named $1; sets $data.
read_event_until() {
  local line event=
  while IFS= read -r -t 5 line <&4; do
    line=${line%$'\r'}
    echo "$line" >> "$tmp/events.log"
    case $line in
      "event: "*) event=${line#event: } ;;
      "data: "*) if [ "$event" = "$1" ]; then data=${line#data: }; return 0; fi ;;
    esac
  done
  return 1
}

# --- the companion ------------------------------------------------------------
mkfifo "$tmp/server.out"
"$comp" serve --listen 127.0.0.1:0 --db "$tmp/companion.db" \
  > "$tmp/server.out" 2> "$tmp/server.err" &
server_pid=$!
exec 3< "$tmp/server.out"
IFS= read -r -t 5 line <&3 || fail "the server printed no listening line"
case $line in
  "crossing-companion listening on http://127.0.0.1:"*) url=${line#crossing-companion listening on } ;;
  *) fail "unexpected first line: $line" ;;
esac
api=$url/api/auth/cross-device
echo "# companion at $url"

# --- the desktop starts an order and listens ----------------------------------
status=$(post start '{"kind":"login","returnTo":"/after-login"}')
[ "$status" = 200 ] || fail "start answered $status: $(cat "$tmp/start.json")"
order_id=$(field orderId "$tmp/start.json")
event_token=$(field eventToken "$tmp/start.json")
desktop_token=$(field desktopToken "$tmp/start.json")
claim_url=$(field claimUrl "$tmp/start.json")
[ -n "$order_id" ] && [ -n "$event_token" ] && [ -n "$desktop_token" ] || fail "start: $(cat "$tmp/start.json")"
[ "$claim_url" = "$url/cross-device/claim/$order_id?token=$(field claimToken "$tmp/start.json")" ] ||
  fail "unexpected claim URL $claim_url"

mkfifo "$tmp/events.fifo"
curl -sS -N --max-time 20 -H 'Accept: text/event-stream' \
  "$api/events?orderId=$order_id&eventToken=$event_token" > "$tmp/events.fifo" &
events_pid=$!
exec 4< "$tmp/events.fifo"
# The stream is open once its first line arrived; only then may the phone claim.
IFS= read -r -t 5 line <&4 || fail "the event stream did not open"
[ "$line" = "retry: 3000" ] || fail "the stream began with '$line'"

# --- the phone approves --------------------------------------------------------
mkfifo "$tmp/approve.in"
"$comp" approve --yes --key "$tmp/device-key" "$claim_url" \
  < "$tmp/approve.in" > "$tmp/approve.out" 2> "$tmp/approve.err" &
approve_pid=$!
exec 5> "$tmp/approve.in"

if ! read_event_until claimed; then
  approve_status=0
  wait "$approve_pid" || approve_status=$?
  approve_pid=
  fail "no claimed event (approve exited with $approve_status)"
fi
check_code=$(echo "$data" | sed -n 's/.*"checkCode":"\([0-9][0-9]\)".*/\1/p')
[ -n "$check_code" ] || fail "the claimed event has no check code: $data"
echo "# check code $check_code"
# The number the person would type at the phone's prompt.
echo "$check_code" >&5
exec 5>&-

approve_status=0
wait "$approve_pid" || approve_status=$?
approve_pid=
[ "$approve_status" = 0 ] || fail "approve exited with $approve_status"
[ "$(stat -c %a "$tmp/device-key")" = 600 ] || fail "the device key is not private"

read_event_until approved || fail "no approved event"

# --- the desktop finalizes and has a session -----------------------------------
status=$(post finalize "{\"orderId\":\"$order_id\",\"desktopToken\":\"$desktop_token\"}")
[ "$status" = 200 ] || fail "finalize answered $status: $(cat "$tmp/finalize.json")"
token=$(field token "$tmp/finalize.json")
[ -n "$token" ] || fail "finalize gave no token"
[ "$(field redirectTo "$tmp/finalize.json")" = /after-login ] || fail "wrong redirectTo"
grep -qi "^set-auth-token: $token" "$tmp/finalize.headers" || fail "no set-auth-token header"
grep -qi "^set-cookie: crossing.session_token=$token;.*HttpOnly" "$tmp/finalize.headers" ||
  fail "no session cookie"

session=$(curl -sS --max-time 5 -H "Authorization: Bearer $token" "$url/api/auth/get-session")
subject=$(echo "$session" | sed -n 's/.*"subject":"\(ed25519:[0-9a-f]\{64\}\)".*/\1/p')
[ -n "$subject" ] || fail "get-session: $session"
echo "# signed in as $subject"

read_event_until finalized || fail "no finalized event"
# The stream ends after the terminal event.
if IFS= read -r -t 5 line <&4; then
  while [ -z "${line%$'\r'}" ] && IFS= read -r -t 5 line <&4; do :; done
  [ -z "${line%$'\r'}" ] || fail "the stream went on after finalized: $line"
fi
events_status=0
wait "$events_pid" || events_status=$?
events_pid=
[ "$events_status" = 0 ] || fail "the event stream ended with curl status $events_status"
ids=$(sed -n 's/^id: //p' "$tmp/events.log" | tr '\n' ' ')
[ "$ids" = "1 2 3 4 " ] || fail "event ids were '$ids'"

# --- SIGTERM stops the companion cleanly -------------------------------------
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=
[ "$server_status" = 0 ] || fail "the server exited with $server_status after SIGTERM"

echo "# ok"
