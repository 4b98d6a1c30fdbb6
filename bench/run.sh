#!/usr/bin/env bash
# bench/run.sh: reruns every benchmark of BENCHMARKS.md and prints Markdown tables.
#
#   bench/run.sh                                  # everything, each figure the median of 3 runs
#   RUNS=5 DURATION=10 bench/run.sh
#   BEFORE=/path/to/old/crossing-companion bench/run.sh   # a "before" column, measured interleaved
#
# Builds a release build of this tree (BUILD, default /tmp/crossing-bench-rel),
# then for each run and case starts a fresh crossing-companion on a free
# loopback port with a temporary database and drives it with
# bench/crossing-load. With BEFORE set, every case runs against both
# companions back to back, so both columns see the same load on a shared
# machine. Nothing leaves 127.0.0.1; every load is bounded by --duration and
# --max-time.
#
# Environment: RUNS (3), DURATION (seconds of load per run, 10),
# CONCURRENCIES ("1 16 64"), IDLE_COUNTS ("1000 10000"), BUILD, BEFORE,
# CLIENT (default build/client/crossing of the source tree, built with the
# client; the QR timing runs bench/client-qr.sh CLIENT_RUNS (15) times on
# Xvfb; SKIP_CLIENT=1 skips it), KEEP=1 keeps the raw outputs in KEEP_DIR,
# TMPDIR (where the scratch directory goes).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
duration=${DURATION:-10}
concurrencies=${CONCURRENCIES:-"1 16 64"}
idle_counts=${IDLE_COUNTS:-"1000 10000"}
build=${BUILD:-/tmp/crossing-bench-rel}
client=${CLIENT:-$root/build/client/crossing}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-run.XXXXXX")
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

log() { echo "# $*" >&2; }

# Thousands of streams need thousands of descriptors, here and in the companion.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- build ------------------------------------------------------------------
if [[ ! -f $build/build.ninja ]]; then
  meson setup "$build" "$root" -Dclient=false --buildtype=release >"$tmp/setup.log" 2>&1 ||
    { cat "$tmp/setup.log" >&2; exit 1; }
fi
meson compile -C "$build" companion/crossing-companion bench/crossing-load >"$tmp/compile.log" 2>&1 ||
  { tail -n 30 "$tmp/compile.log" >&2; exit 1; }
load=$build/bench/crossing-load
labels=(after)
declare -A binary=([after]=$build/companion/crossing-companion)
if [[ -n ${BEFORE:-} ]]; then
  [[ -x $BEFORE ]] || { echo "BEFORE=$BEFORE is not an executable" >&2; exit 1; }
  labels=(before after)
  binary[before]=$BEFORE
fi

# ---- helpers ------------------------------------------------------------------
start_companion() {  # LABEL NAME: sets url and cpid
  local bin=${binary[$1]} out=$tmp/$2.out i
  local -a flags=(--listen 127.0.0.1:0 --db "$tmp/$2.db" --order-ttl 600)
  # The load comes from one address at thousands of requests a minute: lift
  # the per-client limits where the companion has them.
  if "$bin" serve --help 2>&1 | grep -q -- --max-connections-per-ip; then
    flags+=(--max-connections-per-ip 1000000 --max-starts-per-minute 1000000
      --max-failures-per-minute 1000000)
  fi
  # Both companions of a case write to the same file: empty it here, or the
  # loop below can read the last one's address before the new one truncates it.
  : >"$out"
  "$bin" serve "${flags[@]}" >"$out" 2>&1 &
  cpid=$!
  pids+=("$cpid")
  for ((i = 0; i < 100; i++)); do
    url=$(sed -n 's/^crossing-companion listening on //p' "$out" 2>/dev/null || true)
    [[ -n $url ]] && return 0
    sleep 0.1
  done
  echo "companion did not start:" >&2
  cat "$out" >&2 || true
  exit 1
}

stop_companion() {
  kill "$cpid" 2>/dev/null || true
  wait "$cpid" 2>/dev/null || true
  rm -f "$tmp"/*.db "$tmp"/*.db-wal "$tmp"/*.db-shm
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

metric() {  # FILE NAME
  awk -v n="$2" '$1 == "metric" && $2 == n { print $3 }' "$1"
}

median() {  # values... (empty ones are skipped)
  printf '%s\n' "$@" | awk 'NF' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A results   # "label/case/metric" -> space-separated values of each run

record() {  # LABEL CASE FILE METRIC...
  local label=$1 case=$2 file=$3 m
  shift 3
  for m in "$@"; do
    results["$label/$case/$m"]+="$(metric "$file" "$m") "
  done
}

med() {  # LABEL CASE METRIC
  # shellcheck disable=SC2086
  median ${results["$1/$2/$3"]:-}
}

# "before → after" when there is a before, else the value.
cell() {  # CASE METRIC [SCALE]
  local scale=${3:-1} out="" label v
  for label in "${labels[@]}"; do
    v=$(med "$label" "$1" "$2")
    [[ $v != n/a && $scale != 1 ]] && v=$(awk -v v="$v" -v s="$scale" 'BEGIN { printf "%.1f", v / s }')
    out+="${out:+ → }$v"
  done
  echo "$out"
}

load_metrics=(flows flows_per_s errors companion_fds_before flow_p50_ms flow_p99_ms
  approve_event_after_response_p50_ms approve_event_after_response_p99_ms
  approve_event_after_request_p50_ms approve_event_after_request_p99_ms
  start_p99_ms claim_p99_ms challenge_p99_ms approve_p99_ms finalize_p99_ms
  companion_cpu_us_per_flow client_cpu_s idle_streams_held idle_setup_s
  companion_rss_before_kb companion_rss_idle_streams_kb companion_rss_after_kb
  companion_rss_per_idle_stream_bytes)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%MZ)

# ---- flows at each concurrency ------------------------------------------------------
for ((r = 1; r <= runs; r++)); do
  for c in $concurrencies; do
    for label in "${labels[@]}"; do
      start_companion "$label" "c$c"
      sleep 0.5
      results["$label/idle/rss_kb"]+="$(rss_kb "$cpid") "
      log "run $r, $label: concurrency $c, $duration s"
      "$load" --url "$url" --concurrency "$c" --duration "$duration" --max-time $((duration + 120)) \
        --companion-pid "$cpid" -q >"$tmp/$label-c$c.$r.txt" 2>&1 || true
      record "$label" "c$c" "$tmp/$label-c$c.$r.txt" "${load_metrics[@]}"
      # Every connection the generator opened is closed now: what the
      # companion still holds after a moment is leaked.
      sleep 0.5
      results["$label/c$c/fds_leaked"]+="$(($(find "/proc/$cpid/fd" -mindepth 1 | wc -l) - $(metric "$tmp/$label-c$c.$r.txt" companion_fds_before))) "
      stop_companion
    done
  done
done

# ---- idle streams, then flows at concurrency 16 --------------------------------------
for ((r = 1; r <= runs; r++)); do
  for n in $idle_counts; do
    for label in "${labels[@]}"; do
      start_companion "$label" "idle$n"
      sleep 0.5
      log "run $r, $label: $n idle streams, then concurrency 16 for $duration s"
      "$load" --url "$url" --concurrency 16 --duration "$duration" --idle-streams "$n" \
        --max-time $((duration + 300)) --companion-pid "$cpid" -q >"$tmp/$label-idle$n.$r.txt" 2>&1 || true
      record "$label" "idle$n" "$tmp/$label-idle$n.$r.txt" "${load_metrics[@]}"
      stop_companion
    done
  done
done

# ---- the client: launch to QR on screen (bench/client-qr.sh) -----------------------
client_line=""
client_note=""
if [[ -n ${SKIP_CLIENT:-} ]]; then
  client_note="skipped: SKIP_CLIENT is set"
elif [[ ! -x $client ]] || ! command -v Xvfb >/dev/null; then
  client_note="skipped: no $client or no Xvfb"
else
  log "the client: launch to QR, ${CLIENT_RUNS:-15} runs"
  if RUNS=${CLIENT_RUNS:-15} "$root/bench/client-qr.sh" "$client" "${binary[after]}" \
    >"$tmp/client-qr.txt" 2>"$tmp/client-qr.log"; then
    client_line=$(sed -n 's/^client QR on screen: //p' "$tmp/client-qr.txt")
    results["after/client/qr_ms"]=$(sed -n 's/^client QR on screen: median \([0-9.]*\) ms.*/\1/p' "$tmp/client-qr.txt")
  else
    client_note="bench/client-qr.sh failed: $(tail -n 1 "$tmp/client-qr.log")"
  fi
fi

# ---- the tables ------------------------------------------------------------------------
verdict() {  # VALUE OP LIMIT
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
    if (v == "n/a" || v == "") { print "n/a"; exit }
    ok = (op == ">=") ? (v + 0 >= l + 0) : (v + 0 <= l + 0);
    print ok ? "met" : "missed" }'
}

first_idle=${idle_counts%% *}
last_idle=${idle_counts##* }
a_cpu_ms=$(awk -v u="$(med after c16 companion_cpu_us_per_flow)" 'BEGIN { printf "%.3f", u / 1000 }')
a_idle_mb=$(awk -v k="$(med after idle rss_kb)" 'BEGIN { printf "%.1f", k / 1024 }')
a_per_stream=$(awk -v b="$(med after "idle$last_idle" companion_rss_per_idle_stream_bytes)" 'BEGIN { printf "%.1f", b / 1024 }')
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD -- companion protocol bench 2>/dev/null || commit+=" + uncommitted changes"

echo
echo "Commit $commit; $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(uname -sr);"
echo "started $started, load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Medians of $runs runs, $duration s of load each.${BEFORE:+ Cells are \"before → after\", measured back to back.}"
echo
echo "| target | value | verdict (after) |"
echo "|---|---:|---|"
echo "| ≥ 2,000 flows/s at concurrency 16, stream open | $(cell c16 flows_per_s) flows/s | $(verdict "$(med after c16 flows_per_s)" ">=" 2000) |"
echo "| ≤ 0.5 ms companion CPU per flow (c16) | $(cell c16 companion_cpu_us_per_flow 1000) ms | $(verdict "$a_cpu_ms" "<=" 0.5) |"
echo "| approve-to-event p99 ≤ 5 ms with $first_idle open streams (approve response → event) | $(cell "idle$first_idle" approve_event_after_response_p99_ms) ms | $(verdict "$(med after "idle$first_idle" approve_event_after_response_p99_ms)" "<=" 5) |"
echo "| $last_idle open streams at ≤ 10 KiB RSS each | $(cell "idle$last_idle" idle_streams_held) held, $(cell "idle$last_idle" companion_rss_per_idle_stream_bytes 1024) KiB each | $(verdict "$a_per_stream" "<=" 10) |"
echo "| companion idle RSS ≤ 15 MB | $(cell idle rss_kb 1024) MiB | $(verdict "$a_idle_mb" "<=" 15) |"
echo "| client QR on screen ≤ 300 ms | $(med after client qr_ms) ms${client_note:+ ($client_note)} | $(verdict "$(med after client qr_ms)" "<=" 300) |"
echo
echo "| case | flows/s | flow p50 / p99 ms | approve resp → event p50 / p99 ms | approve sent → event p50 / p99 ms | companion CPU µs/flow | errors | fds leaked |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for c in $concurrencies; do
  echo "| concurrency $c | $(cell "c$c" flows_per_s) | $(cell "c$c" flow_p50_ms) / $(cell "c$c" flow_p99_ms) | $(cell "c$c" approve_event_after_response_p50_ms) / $(cell "c$c" approve_event_after_response_p99_ms) | $(cell "c$c" approve_event_after_request_p50_ms) / $(cell "c$c" approve_event_after_request_p99_ms) | $(cell "c$c" companion_cpu_us_per_flow) | $(cell "c$c" errors) | $(cell "c$c" fds_leaked) |"
done
for n in $idle_counts; do
  echo "| $n idle streams + concurrency 16 | $(cell "idle$n" flows_per_s) | $(cell "idle$n" flow_p50_ms) / $(cell "idle$n" flow_p99_ms) | $(cell "idle$n" approve_event_after_response_p50_ms) / $(cell "idle$n" approve_event_after_response_p99_ms) | $(cell "idle$n" approve_event_after_request_p50_ms) / $(cell "idle$n" approve_event_after_request_p99_ms) | $(cell "idle$n" companion_cpu_us_per_flow) | $(cell "idle$n" errors) | |"
done
echo
echo "| idle streams | held | RSS before KiB | RSS with streams KiB | RSS per stream bytes | RSS after flows KiB | setup s |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in $idle_counts; do
  echo "| $n | $(cell "idle$n" idle_streams_held) | $(cell "idle$n" companion_rss_before_kb) | $(cell "idle$n" companion_rss_idle_streams_kb) | $(cell "idle$n" companion_rss_per_idle_stream_bytes) | $(cell "idle$n" companion_rss_after_kb) | $(cell "idle$n" idle_setup_s) |"
done
echo
for label in "${labels[@]}"; do
  largest=0
  for n in $idle_counts; do
    all_ok=1
    read -r -a helds <<<"${results["$label/idle$n/idle_streams_held"]:-}"
    read -r -a errs <<<"${results["$label/idle$n/errors"]:-}"
    for ((i = 0; i < ${#helds[@]}; i++)); do
      [[ ${helds[i]} == "$n" && ${errs[i]:-1} == 0 ]] || all_ok=0
    done
    ((${#helds[@]} > 0 && all_ok)) && largest=$n
  done
  echo "$label: largest idle-stream count held without errors in every run: $largest (of: $idle_counts);" \
    "per run at concurrency 16: ${results["$label/c16/flows_per_s"]:-}flows/s," \
    "${results["$label/c16/companion_cpu_us_per_flow"]:-}µs CPU/flow."
done
echo "Client (bench/client-qr.sh): ${client_line:-$client_note}."
if [[ -n ${KEEP:-} ]]; then
  mkdir -p "${KEEP_DIR:-/tmp/crossing-bench-results}"
  cp "$tmp"/*.txt "${KEEP_DIR:-/tmp/crossing-bench-results}/" 2>/dev/null || true
  cp "$tmp"/client-qr.* "${KEEP_DIR:-/tmp/crossing-bench-results}/" 2>/dev/null || true
fi
