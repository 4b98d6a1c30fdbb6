#!/usr/bin/env bash
# Fails, with a diff, when a C file under client/ companion/ protocol/ tests/
# is not laid out the way uncrustify.cfg describes.  `meson test --suite format`
# runs it; `scripts/check-format.sh --fix` rewrites the files in place.
#
# uncrustify 0.72 cannot express two habits of this code, so both sides are
# compared without them: the space in a function pointer's `(*name) (`, and
# the indentation of a line that continues a string literal (we align it
# with the literal it continues; uncrustify with the call). --fix does not
# know this either: review what it changes on such lines.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if ! command -v uncrustify >/dev/null; then
  echo "uncrustify not installed (apt-get install uncrustify); skipping" >&2
  exit 77
fi

fix=0
[[ ${1:-} == --fix ]] && fix=1

# What the comparison leaves out, applied to both sides.
normalize() {
  sed -E -e 's/\(\*([A-Za-z_][A-Za-z0-9_]*)\) +\(/(*\1)(/g' -e 's/^[[:space:]]+"/"/'
}

status=0
while IFS= read -r -d '' file; do
  if ((fix)); then
    uncrustify -q -c uncrustify.cfg --no-backup "$file"
  elif ! diff -u --label "$file" --label "$file (uncrustify)" <(normalize <"$file") \
         <(uncrustify -q -c uncrustify.cfg -f "$file" | normalize); then
    status=1
  fi
done < <(find client companion protocol tests -name node_modules -prune -o -name '*.[ch]' -print0 |
         sort -z)

exit $status
