#!/usr/bin/env bash
# A throwaway PostgreSQL, as the tests start one (tests/store/companion-test-pg.c):
# initdb into a new directory, socket only (no TCP), fsync off, run as the
# postgres (or nobody) user when started as root; stopped with
# pg_ctl stop -m immediate and removed on exit.
#
# Usage: scripts/throwaway-pg.sh                  prints the URI, runs until Ctrl-C
#        scripts/throwaway-pg.sh COMMAND [ARG...]  runs COMMAND with CROSSING_PG_URI set
# Exits 77 (skip) when PostgreSQL is not installed or cannot run here.
# Unlike the C helper it has no watchdog: kill -9 of this script leaves the
# server running (pg_ctl stop -D DIR/data -m immediate ends it).
set -euo pipefail

if ! bindir=$(pg_config --bindir 2>/dev/null) || [[ ! -x $bindir/initdb ]]; then
  echo "PostgreSQL is not installed (scripts/deps.sh installs postgresql and libpq-dev)" >&2
  exit 77
fi

# sun_path holds 107 bytes: keep the socket directory short.
dir=$(mktemp -d /tmp/crossing-pg-XXXXXX)
as=()
if ((EUID == 0)); then
  # initdb and pg_ctl refuse root.
  for user in postgres nobody; do
    if id -u "$user" >/dev/null 2>&1; then
      as=(runuser -u "$user" --)
      chown "$user:" "$dir"
      break
    fi
  done
  if ((${#as[@]} == 0)); then
    rmdir "$dir"
    echo "Running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as" >&2
    exit 77
  fi
fi

pg() {
  # From /: the server's user may not be allowed into the current directory.
  (cd / && "${as[@]}" "$bindir/$1" "${@:2}")
}

cleanup() {
  jobs -p | xargs -r kill 2>/dev/null || true
  pg pg_ctl stop -D "$dir/data" -m immediate -w >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s%N)
pg initdb -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 --locale=C >/dev/null
pg pg_ctl -D "$dir/data" -l "$dir/log" -w \
  -o "-k $dir -c listen_addresses= -p 5432 -c fsync=off" start >/dev/null
echo "throwaway PostgreSQL up in $((($(date +%s%N) - start) / 1000000)) ms (log: $dir/log)" >&2

export CROSSING_PG_URI="postgresql:///postgres?host=$dir&port=5432&user=postgres"
if (($# > 0)); then
  "$@"
else
  echo "$CROSSING_PG_URI"
  echo "Ctrl-C stops it" >&2
  sleep infinity &
  wait
fi
