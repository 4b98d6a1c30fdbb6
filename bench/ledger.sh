#!/usr/bin/env bash
# bench/ledger.sh: credit/debit throughput and latency of the ledger (BENCHMARKS.md,
# "Ledger (issue 12)").
#
#   bench/ledger.sh                       # RUNS (3) runs of DURATION (10) s at CONCURRENCY (16)
#
# Builds a release build of this tree (BUILD, default /tmp/crossing-bench-rel,
# shared with run.sh), then per run starts a fresh crossing-companion on a
# free loopback port with a temporary SQLite database (WAL, one write
# transaction per mutation, each answer after its commit), adds one user,
# makes an admin key, and drives it with bench/ledger-load. Prints one line
# per run, with the companion's CPU time per mutation (from /proc) and the
# load average. Nothing leaves 127.0.0.1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
duration=${DURATION:-10}
concurrency=${CONCURRENCY:-16}
build=${BUILD:-/tmp/crossing-bench-rel}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-ledger.XXXXXX")
pid=

cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" "$root" -Dclient=false --buildtype=release >"$tmp/setup.log" 2>&1 ||
    { cat "$tmp/setup.log" >&2; exit 1; }
fi
meson compile -C "$build" companion/crossing-companion bench/ledger-load >"$tmp/compile.log" 2>&1 ||
  { tail -n 30 "$tmp/compile.log" >&2; exit 1; }
companion=$build/companion/crossing-companion
subject=ed25519:$(printf '5a%.0s' {1..32})

for run in $(seq "$runs"); do
  db=$tmp/run-$run.db
  "$companion" users add --db "$db" "$subject" >/dev/null
  user_id=$("$companion" ledger balance --db "$db" "$subject" | sed -n 's/.*(userId \(.*\))$/\1/p')
  keys=$("$companion" admin-key new)
  export CROSSING_ADMIN_KEY=$(sed -n 's/^key: //p' <<<"$keys")
  "$companion" serve --db "$db" --listen 127.0.0.1:0 --ledger-mutations on \
    --ledger-admin-key-sha256 "$(sed -n 's/^sha256: //p' <<<"$keys")" \
    --max-connections-per-ip 100000 >"$tmp/serve-$run.log" 2>&1 &
  pid=$!
  url=
  for _ in $(seq 100); do
    url=$(sed -n 's/^crossing-companion listening on //p' "$tmp/serve-$run.log" 2>/dev/null || true)
    [[ -n $url ]] && break
    sleep 0.05
  done
  [[ -n $url ]] || { cat "$tmp/serve-$run.log" >&2; exit 1; }
  ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
  before=$(ticks)
  out=$("$build/bench/ledger-load" --url "$url" --user-id "$user_id" \
    --concurrency "$concurrency" --duration "$duration")
  after=$(ticks)
  n=$(sed -n 's/^mutations \([0-9]*\).*/\1/p' <<<"$out")
  # The companion's own CPU per mutation: what the machine's other load
  # changes least.
  cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$n" \
    'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
  echo "run $run: $out; companion CPU ${cpu} µs/mutation; load average $(cut -d' ' -f1 /proc/loadavg)"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
