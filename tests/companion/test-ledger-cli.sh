#!/usr/bin/env bash
# /companion/cli/ledger: admin-key new prints a key and its SHA-256; users
# set-role; ledger credit/debit/balance/entries on the database while no
# companion serves it, and through the companion (--server, the admin key
# in CROSSING_ADMIN_KEY) while one does; an idempotency key used by the
# command replays on the route. $CROSSING_COMPANION is the built binary.
set -uo pipefail

bin=${CROSSING_COMPANION:?set CROSSING_COMPANION to the crossing-companion binary}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ledger-cli.XXXXXX")
pid=
status=0
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  status=1
}

db=$tmp/companion.db
subject=ed25519:$(printf '3c%.0s' {1..32})

keys=$("$bin" admin-key new) || fail "admin-key new"
key=$(sed -n 's/^key: //p' <<<"$keys")
hash=$(sed -n 's/^sha256: //p' <<<"$keys")
[[ $(wc -l <<<"$keys") == 2 ]] || fail "admin-key new: not two lines: $keys"
[[ $key =~ ^crossing_admin_[A-Za-z0-9_-]{43}$ ]] || fail "admin-key new: key '$key'"
[[ $hash =~ ^[0-9a-f]{64}$ ]] || fail "admin-key new: sha256 '$hash'"
[[ $(printf '%s' "$key" | sha256sum | cut -d' ' -f1) == "$hash" ]] ||
  fail "admin-key new: the sha256 is not the key's"
[[ $("$bin" admin-key new | sed -n 's/^key: //p') != "$key" ]] || fail "admin-key new twice: same key"

"$bin" users add --db "$db" "$subject" >/dev/null || fail "users add"
"$bin" users set-role --db "$db" "$subject" admin >/dev/null || fail "users set-role admin"
"$bin" users set-role --db "$db" "$subject" root 2>/dev/null && fail "users set-role root accepted"
"$bin" users set-role --db "$db" ed25519:$(printf '00%.0s' {1..32}) admin 2>/dev/null &&
  fail "users set-role of nobody accepted"

# Stopped: on the database.
out=$("$bin" ledger credit --db "$db" "$subject" 100 coin --reason welcome --idempotency-key w1) ||
  fail "ledger credit (direct): $out"
grep -q 'posted 100' <<<"$out" || fail "ledger credit (direct): $out"
out=$("$bin" ledger credit --db "$db" "$subject" 100 coin --reason welcome --idempotency-key w1)
grep -q 'already done' <<<"$out" || fail "ledger credit again: not a replay: $out"
"$bin" ledger debit --db "$db" "$subject" 101 coin --reason x --idempotency-key d1 2>"$tmp/err" &&
  fail "ledger debit beyond the balance succeeded"
grep -q INSUFFICIENT_FUNDS "$tmp/err" || fail "ledger debit: $(cat "$tmp/err")"
"$bin" ledger credit --db "$db" "$subject" 1 gold --reason x --idempotency-key g 2>/dev/null &&
  fail "ledger credit of an unknown asset succeeded"
out=$("$bin" ledger balance --db "$db" "$subject")
grep -q 'coin .*posted 100  reserved 0  available 100' <<<"$out" || fail "ledger balance: $out"
user_id=$(sed -n 's/.*(userId \(.*\))$/\1/p' <<<"$out")
[[ -n $user_id ]] || fail "ledger balance names no userId: $out"
[[ $("$bin" ledger entries --db "$db" "$subject" --limit 5 | grep -c credit) == 1 ]] ||
  fail "ledger entries: not one credit"

# Serving: through the companion.
"$bin" serve --db "$db" --listen 127.0.0.1:0 --ledger-mutations on \
  --ledger-admin-key-sha256 "$hash" >"$tmp/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  url=$(sed -n 's/^crossing-companion listening on //p' "$tmp/serve.log")
  [[ -n $url ]] && break
  sleep 0.05
done
[[ -n $url ]] || fail "serve did not start: $(cat "$tmp/serve.log")"

"$bin" ledger credit --db "$db" "$subject" 5 coin --reason x --idempotency-key s1 2>"$tmp/err" &&
  fail "ledger credit wrote the database under a running companion"
grep -q -- '--server' "$tmp/err" || fail "no hint at --server: $(cat "$tmp/err")"
out=$(CROSSING_ADMIN_KEY=$key "$bin" ledger credit --db "$db" --server "$url" "$subject" 5 coin \
  --reason x --idempotency-key s1) || fail "ledger credit --server: $out"
grep -q 'posted 105' <<<"$out" || fail "ledger credit --server: $out"
out=$(CROSSING_ADMIN_KEY=$key "$bin" ledger balance --db "$db" --server "$url" "$subject")
grep -q 'posted 105' <<<"$out" || fail "ledger balance --server: $out"

# The key the command used first replays on the route, byte for byte.
body="{\"userId\":\"$user_id\",\"asset\":\"coin\",\"amount\":100,\"reason\":\"welcome\",\"idempotencyKey\":\"w1\"}"
headers=$(curl -s -D - -o "$tmp/replay" "$url/api/auth/ledger/credit" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d "$body")
grep -qi '^Idempotency-Hit: true' <<<"$headers" || fail "the command's key did not replay: $headers"
grep -q '"posted":100' "$tmp/replay" || fail "the replay is not the first answer: $(cat "$tmp/replay")"

exit $status
