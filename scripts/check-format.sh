#!/usr/bin/env bash
# Fails, with a diff, when a C file under client/ companion/ protocol/ tests/
# is not laid out the way uncrustify.cfg describes.  `meson test --suite format`
# runs it; `scripts/check-format.sh --fix` rewrites the files in place.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if ! command -v uncrustify >/dev/null; then
  echo "uncrustify not installed (apt-get install uncrustify); skipping" >&2
  exit 77
fi

fix=0
[[ ${1:-} == --fix ]] && fix=1

status=0
while IFS= read -r -d '' file; do
  if ((fix)); then
    uncrustify -q -c uncrustify.cfg --no-backup "$file"
  elif ! uncrustify -q -c uncrustify.cfg -f "$file" | diff -u --label "$file" --label "$file (uncrustify)" "$file" -; then
    status=1
  fi
done < <(find client companion protocol tests -name '*.[ch]' -print0 | sort -z)

exit $status
