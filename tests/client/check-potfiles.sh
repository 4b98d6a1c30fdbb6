#!/usr/bin/env bash
# Fails when a file with a translatable string is missing from po/POTFILES.in.
set -euo pipefail
cd "${1:?source root}"
missing=0
while IFS= read -r file; do
  if ! grep -qxF "$file" po/POTFILES.in; then
    echo "missing from po/POTFILES.in: $file"
    missing=1
  fi
done < <(grep -rlE '(^|[^A-Za-z0-9_])N?_\(|translatable="yes"' client data --include='*.c' --include='*.ui' --include='*.in' --include='*.xml' | sort)
exit $missing
