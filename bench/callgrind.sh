#!/usr/bin/env bash
# bench/callgrind.sh: user-space instructions per login flow of a companion.
#
#   bench/callgrind.sh /path/to/crossing-companion            # 1,000 flows at c16
#   FLOWS=1000 WARMUP=300 CONCURRENCY=1 bench/callgrind.sh /path/to/crossing-companion
#
# Runs the companion under valgrind --tool=callgrind, drives WARMUP flows
# with bench/crossing-load, zeroes the counters, drives FLOWS more and dumps
# them: the same binary on the same input gives the same count to within a
# fraction of a percent, however busy the machine is, where CPU time per flow
# moves by 10 % and more on a shared machine. Prints the instructions per
# flow and keeps the dump in OUT (default /tmp/crossing-callgrind/NAME) for
#   callgrind_annotate --inclusive=yes OUT/callgrind.out.PID.1
# Build the companion with --buildtype=release (-Ddebug=true adds the
# names of static functions without changing the code).
#
# Environment: FLOWS (1000), WARMUP (300), CONCURRENCY (16), BUILD (where
# crossing-load is built, default /tmp/crossing-bench-rel as in run.sh),
# OUT, NAME (default: the binary's directory name).
set -euo pipefail

[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 /path/to/crossing-companion" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "$0 needs valgrind" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$1
flows=${FLOWS:-1000}
warmup=${WARMUP:-300}
concurrency=${CONCURRENCY:-16}
build=${BUILD:-/tmp/crossing-bench-rel}
name=${NAME:-$(basename "$(dirname "$(dirname "$bin")")")}
out=${OUT:-/tmp/crossing-callgrind/$name}
vpid=

cleanup() {
  if [[ -n $vpid ]]; then
    kill "$vpid" 2>/dev/null || true
    wait "$vpid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" "$root" -Dclient=false --buildtype=release >/dev/null
fi
meson compile -C "$build" bench/crossing-load >/dev/null
load=$build/bench/crossing-load

rm -rf "$out"
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

flags=(--listen 127.0.0.1:0 --db "$out/companion.db" --order-ttl 600)
# As in run.sh: one address at thousands of requests a minute.
if "$bin" serve --help 2>&1 | grep -q -- --max-connections-per-ip; then
  flags+=(--max-connections-per-ip 1000000 --max-starts-per-minute 1000000
    --max-failures-per-minute 1000000)
fi
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.%p" \
  "$bin" serve "${flags[@]}" >"$out/companion.out" 2>"$out/valgrind.log" &
vpid=$!

url=
for ((i = 0; i < 600; i++)); do
  url=$(sed -n 's/^crossing-companion listening on //p' "$out/companion.out" 2>/dev/null || true)
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { echo "the companion did not start:" >&2; cat "$out/valgrind.log" >&2; exit 1; }

# Flows under valgrind are about 50 times slower: generous timeouts.
"$load" --url "$url" -c "$concurrency" -n "$warmup" --timeout 60 --max-time 1800 -q \
  >"$out/warmup.txt" 2>&1
callgrind_control --zero "$vpid" >/dev/null 2>&1
"$load" --url "$url" -c "$concurrency" -n "$flows" --timeout 60 --max-time 3600 -q \
  >"$out/load.txt" 2>&1
callgrind_control --dump=flows "$vpid" >/dev/null 2>&1
kill -INT "$vpid"
wait "$vpid" || true
vpid=

done_flows=$(awk '$1 == "metric" && $2 == "flows" { print $3 }' "$out/load.txt")
errors=$(awk '$1 == "metric" && $2 == "errors" { print $3 }' "$out/load.txt")
[[ $done_flows == "$flows" && $errors == 0 ]] ||
  { echo "expected $flows flows without errors, got ${done_flows:-none} and ${errors:-?} errors" >&2; exit 1; }

dump=$(ls "$out"/callgrind.out.*.1)
total=$(sed -n 's/^summary: //p' "$dump")
echo "$name: $flows flows at concurrency $concurrency after $warmup warm-up flows:" \
  "$((total / flows)) instructions per flow ($dump)"
