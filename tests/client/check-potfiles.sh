#!/usr/bin/env bash
# Fails when a file with a translatable string is missing from po/POTFILES.in,
# or when POTFILES.in lists a file that does not exist.
set -euo pipefail
cd "${1:?source root}"
missing=0
while IFS= read -r file; do
  if ! grep -qxF "$file" po/POTFILES.in; then
    echo "missing from po/POTFILES.in: $file"
    missing=1
  fi
done < <(grep -rlE '(^|[^A-Za-z0-9_])(N|C|NC)?_\(|translatable="yes"' client data \
           --include='*.c' --include='*.h' --include='*.ui' --include='*.in' --include='*.xml' | sort)
while IFS= read -r file; do
  if [[ ! -f $file ]]; then
    echo "listed in po/POTFILES.in but absent: $file"
    missing=1
  fi
done < <(grep -v '^#' po/POTFILES.in | grep -v '^$')
exit $missing
