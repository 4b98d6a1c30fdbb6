#!/usr/bin/env bash
# bench/client-qr.sh: time from starting crossing to its QR code drawn on
# screen, and its RSS, on Xvfb with a local companion.
#
#   bench/client-qr.sh [CLIENT [COMPANION]]     # defaults: build/client/crossing,
#                                               # build/companion/crossing-companion
#   RUNS=20 VERBOSE=1 bench/client-qr.sh /tmp/b/client/crossing /tmp/b/companion/crossing-companion
#
# One Xvfb, one private session bus and one companion (temporary database,
# free loopback port) serve all runs; each run starts the client and waits
# for its "qr drawn" line (G_MESSAGES_DEBUG=crossing). The time is GLib's own
# stamp on that line minus the moment just before the client was spawned, so
# it includes exec, dynamic linking, GTK's start-up, the start request and the
# first frame. On a loaded machine that time mostly measures the load, so the
# client's CPU time (user + system, all threads, in 10 ms ticks) when the line
# is seen is given too. RSS is read a second after the QR is drawn.
# VERBOSE=1 also prints each run's debug lines as milliseconds after the spawn.
#
# Environment: RUNS (15), EXTRA_ENV (e.g. "GSK_RENDERER=gl", passed to the
# client), SCREENSHOT (a PNG path: the screen after the last run).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
client=${1:-$root/build/client/crossing}
companion=${2:-$root/build/companion/crossing-companion}
runs=${RUNS:-15}
tmp=$(mktemp -d /tmp/client-qr-bench.XXXXXX)
pids=()

cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

for prog in "$client" "$companion"; do
  [[ -x $prog ]] || { echo "no $prog: build it first" >&2; exit 1; }
done
for cmd in Xvfb dbus-daemon; do
  command -v "$cmd" >/dev/null || { echo "$cmd is needed" >&2; exit 1; }
done

exec 5<> <(:)
Xvfb -displayfd 5 -screen 0 1024x768x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
read -r -t 10 display <&5 || { echo "Xvfb did not start" >&2; exit 1; }

# A private session bus: another crossing on this machine must not take the
# launch over as its single instance. Started once, outside the timing.
dbus-daemon --session --nofork --nopidfile --print-address=6 6>"$tmp/bus" >/dev/null 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do [[ -s $tmp/bus ]] && break; sleep 0.05; done
bus=$(head -n 1 "$tmp/bus")
[[ -n $bus ]] || { echo "dbus-daemon did not start" >&2; exit 1; }

: >"$tmp/companion.out"   # the job below opens it only once it runs
"$companion" serve --listen 127.0.0.1:0 --db "$tmp/companion.db" --order-ttl 600 \
  >"$tmp/companion.out" 2>&1 &
pids+=($!)
url=""
for ((i = 0; i < 100; i++)); do
  url=$(sed -n 's/^crossing-companion listening on //p' "$tmp/companion.out")
  [[ -n $url ]] && break
  sleep 0.05
done
[[ -n $url ]] || { cat "$tmp/companion.out" >&2; exit 1; }

# GLib's stamp "HH:MM:SS.mmm" minus T0 ($EPOCHREALTIME), in ms.
since() {
  awk -v s="$1" -v t0="$2" -v day="$(date -d "@${2%.*}" +%H:%M:%S)" 'BEGIN {
    split(s, a, ":"); split(day, b, ":"); f = t0 - int(t0);
    printf "%.0f", ((a[1] * 3600 + a[2] * 60 + a[3]) - (b[1] * 3600 + b[2] * 60 + b[3] + f)) * 1000 }'
}

median() {
  printf '%s\n' "$@" | awk '$1 ~ /^[0-9.]+$/' | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
                              else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
qr_ms=() launch_ms=() cpu_ms=() rss_kb=() hwm_kb=()
tick=$(getconf CLK_TCK)
for ((r = 1; r <= runs; r++)); do
  log=$tmp/client.$r.log
  : >"$log"
  t0=$EPOCHREALTIME
  # shellcheck disable=SC2086
  env DISPLAY=":$display" DBUS_SESSION_BUS_ADDRESS="$bus" G_MESSAGES_DEBUG=crossing \
    ${EXTRA_ENV:-} "$client" --server "$url" >"$log" 2>&1 &
  cl=$!
  drawn=""
  for ((i = 0; i < 500; i++)); do
    if grep -q "qr drawn" "$log"; then
      drawn=$(awk -v t="$tick" '{ printf "%.0f", ($14 + $15) * 1000 / t }' "/proc/$cl/stat" \
                2>/dev/null || echo n/a)
      break
    fi
    sleep 0.01
  done
  if [[ -n $drawn ]]; then
    stamp=$(sed -n 's/.*crossing-DEBUG: \([0-9:.]*\): qr drawn.*/\1/p' "$log" | head -n 1)
    launch=$(sed -n 's/.*crossing-DEBUG: \([0-9:.]*\): launch.*/\1/p' "$log" | head -n 1)
    qr_ms+=("$(since "$stamp" "$t0")")
    launch_ms+=("$(since "$launch" "$t0")")
    cpu_ms+=("$drawn")
    sleep 1
    rss_kb+=("$(awk '/^VmRSS:/ { print $2 }' "/proc/$cl/status" 2>/dev/null || echo n/a)")
    hwm_kb+=("$(awk '/^VmHWM:/ { print $2 }' "/proc/$cl/status" 2>/dev/null || echo n/a)")
    echo "run $r: qr ${qr_ms[-1]} ms (main ${launch_ms[-1]} ms, CPU ${cpu_ms[-1]} ms)," \
      "RSS ${rss_kb[-1]} KiB" >&2
  else
    echo "run $r: no \"qr drawn\" within 5 s" >&2
  fi
  if [[ -n ${VERBOSE:-} ]]; then
    while IFS= read -r line; do
      s=$(sed -n 's/.*-DEBUG: \([0-9:.]*\): .*/\1/p' <<<"$line")
      [[ -n $s ]] && printf '  %5s ms  %s\n' "$(since "$s" "$t0")" "${line#*: *: }" >&2
    done <"$log"
  fi
  if ((r == runs)) && [[ -n ${SCREENSHOT:-} ]]; then
    DISPLAY=":$display" import -window root "$SCREENSHOT"
  fi
  kill "$cl" 2>/dev/null || true
  wait "$cl" 2>/dev/null || true
done

echo "client QR on screen: median $(median "${qr_ms[@]}") ms of ${#qr_ms[@]} runs" \
  "(min $(printf '%s\n' "${qr_ms[@]}" | sort -g | head -n 1), max $(printf '%s\n' "${qr_ms[@]}" | sort -g | tail -n 1));" \
  "main() reached after $(median "${launch_ms[@]}") ms; CPU $(median "${cpu_ms[@]}") ms;" \
  "RSS $(median "${rss_kb[@]}") KiB (peak $(median "${hwm_kb[@]}") KiB)"
echo "per run (ms): ${qr_ms[*]}"
echo "$(nproc) CPUs, load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
