#!/usr/bin/env bash
# The ledger on the signed-in page, end to end: a companion with mutations on
# and an admin key, the crossing binary on Xvfb, the terminal phone. Signed
# in, the page says there are no entries; credited with the admin key, the
# window shows the balance and the entry once it gains focus again (read off
# the screen with tesseract). A companion without the ledger shows nothing.
# Run inside dbus-run-session.
set -euo pipefail

source "$(dirname "$0")/e2e-lib.sh"

start_keyring
admin=$("$companion" admin-key new)
admin_key=$(sed -n 's/^key: //p' <<<"$admin")
admin_hash=$(sed -n 's/^sha256: //p' <<<"$admin")
[[ $admin_key == crossing_admin_* && ${#admin_hash} == 64 ]] || fail "admin-key new: $admin"
start_companion main 120 127.0.0.1:0 --ledger-mutations on --ledger-admin-key-sha256 "$admin_hash" \
  --ledger-asset coin:2
url=$companion_url

approve_from_log() {  # NAME: plays the phone for the order on screen
  mkfifo "$tmp/answers-$1"
  ( wait_for "$tmp/$1.log" "check code" 20
    sed -n 's/.*check code \([0-9]*\).*/\1/p' "$tmp/$1.log" | tail -n 1; echo y ) >"$tmp/answers-$1" &
  "$companion" approve --key "$tmp/key" "$claim" <"$tmp/answers-$1" >"$tmp/$1-approve.log" 2>&1 ||
    fail "$1: approve did not approve"
}

# The window's text, as tesseract reads it: enlarged, and in black and
# white so that the dim labels are read too.
screen_text() {  # SHOT-NAME
  shot "$1"
  convert "$shots/$1.png" -crop 440x620+0+0 -resize 300% -colorspace gray -threshold 85% \
    "$tmp/$1-ocr.png"
  tesseract "$tmp/$1-ocr.png" - 2>/dev/null || true
}

# The ledger is under the signed-in details: scrolled to, as a person would.
scroll_down() {
  local window
  window=$(xdotool search --sync --name '^Crossing$' | tail -n 1)
  xdotool mousemove --window "$window" 200 400 click --repeat 20 --delay 20 5
  sleep 0.5
}

# Scrolls and reads the window until every pattern is on screen; under the
# sanitizers a frame reaches the X server a good while after it was made.
wait_for_screen() {  # SHOT-NAME PATTERN…: sets text
  local deadline=$((SECONDS + 20)) pattern missing
  while :; do
    scroll_down
    text=$(screen_text "$1")
    missing=
    for pattern in "${@:2}"; do
      grep -qF -- "$pattern" <<<"$text" || { missing=$pattern; break; }
    done
    [[ -z $missing ]] && return 0
    ((SECONDS < deadline)) || fail "$1: «$missing» is not on screen: $text"
  done
}

# 1. Signed in: the ledger is read, and it is empty.
launch main "$url"
approve_from_log main
wait_for "$tmp/main.log" "state: signed-in" 20 || fail "never signed in"
wait_for "$tmp/main.log" "ledger: 0 entries shown" 10 || fail "the empty ledger was not shown"
grep -q "ledger: 1 balances shown" "$tmp/main.log" || fail "not one balance (coin)"
wait_for_screen ledger-empty "0.00 available" "No entries yet"
echo "ok 1 signed in, the ledger says there are no entries yet"

# 2. Credited with the admin key (12.50 coin at scale 2): shown once the
#    window is active again (here: the preferences opened and closed).
token=$(secret-tool lookup server "$url")
[[ -n $token ]] || fail "no session token in the keyring"
user_id=$(curl -sf -H "Authorization: Bearer $token" "$url/api/auth/ledger/account" | jq -r .account.userId)
[[ -n $user_id && $user_id != null ]] || fail "no ledger account"
curl -sf -X POST "$url/api/auth/ledger/credit" -H "Authorization: Bearer $admin_key" \
  -H 'content-type: application/json' \
  -d "{\"userId\":\"$user_id\",\"asset\":\"coin\",\"amount\":1250,\"reason\":\"Welcome bonus\",\"idempotencyKey\":\"welcome:$user_id\"}" \
  >"$tmp/credit.json" || fail "the credit was refused"
[[ $(jq -r .balance.available "$tmp/credit.json") == 1250 ]] || fail "credit: $(cat "$tmp/credit.json")"
grep -q "ledger: 1 entries shown" "$tmp/main.log" && fail "the window read the ledger without a reason"
gapplication action dev.crossing.Crossing preferences
prefs=$(xdotool search --sync --name '^Preferences$' | tail -n 1)
main=$(xdotool search --name '^Crossing$' | tail -n 1)
xdotool windowfocus --sync "$prefs"
xdotool windowfocus --sync "$main"
wait_for "$tmp/main.log" "ledger: 1 entries shown" 10 || fail "regaining focus did not read the ledger again"
xdotool windowfocus --sync "$prefs" key --clearmodifiers Escape
wait_for_screen ledger-credited "12.50 available" "Welcome bonus" "+12.50 coin"
echo "ok 2 credited with the admin key: the window shows 12.50 available and the entry"
stop_client

# 3. A companion without the ledger's routes answers 404: nothing is shown,
#    nothing is said. (A stub server that only says so for /ledger/.)
python3 - "$url" >"$tmp/no-ledger.log" 2>&1 <<'PY' &
import http.server, sys, urllib.request
upstream = sys.argv[1]
class Proxy(http.server.BaseHTTPRequestHandler):
    def relay(self):
        if "/ledger/" in self.path:
            body = b'{"code":"NOT_FOUND","message":"Not found"}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else None
        req = urllib.request.Request(upstream + self.path, data=data, method=self.command)
        for k in ("Content-Type", "Authorization", "Accept"):
            if self.headers.get(k):
                req.add_header(k, self.headers[k])
        try:
            resp = urllib.request.urlopen(req)
            status, body, ctype = resp.status, resp.read(), resp.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("Content-Type")
        self.send_response(status)
        self.send_header("Content-Type", ctype or "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = relay
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Proxy)
print("listening on http://127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
PY
pids+=($!)
wait_for "$tmp/no-ledger.log" "listening on" 10 || fail "the stub did not start"
stub=$(sed -n 's/^listening on //p' "$tmp/no-ledger.log")
printf '%s' "$token" | secret-tool store --label "Crossing session for $stub" server "$stub" \
  subject "$(secret-tool search --all server "$url" 2>/dev/null | sed -n 's/^attribute.subject = //p')" \
  xdg:schema dev.crossing.Crossing.Session || fail "the stub's session was not stored" 
G_MESSAGES_DEBUG=crossing G_DEBUG= "$client" --server "$stub" >"$tmp/stub.log" 2>&1 &
client_pid=$!
pids+=($client_pid)
wait_for "$tmp/stub.log" "state: signed-in" 20 || fail "stub: not signed in with the kept session"
wait_for "$tmp/stub.log" "the companion has no ledger" 10 || fail "stub: the 404 was not taken as no ledger"
wait_for_screen no-ledger "Session Expires" "Sign Out"
grep -q "Balance\|No entries\|could not be read" <<<"$text" && fail "stub: the ledger section shows: $text"
stop_client
echo "ok 3 a companion without the ledger shows no ledger section"

stop_companion main "$companion_pid"
echo "1..3"
