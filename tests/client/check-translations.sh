#!/usr/bin/env bash
# Every language in po/LINGUAS is complete: after merging it with the
# strings the sources have now (extracted as meson's glib preset does), it
# has no untranslated and no fuzzy message, and msgfmt --check accepts it.
set -euo pipefail
cd "${1:?source root}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

xgettext --from-code=UTF-8 --add-comments --package-name=crossing \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
  -D . -f po/POTFILES.in -o "$tmp/crossing.pot"

status=0
while read -r lang; do
  [[ -z $lang || $lang == \#* ]] && continue
  msgmerge -q --no-fuzzy-matching "po/$lang.po" "$tmp/crossing.pot" -o "$tmp/$lang.po"
  untranslated=$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry too when it prints anything.
  ((untranslated > 0)) && ((untranslated--))
  ((fuzzy > 0)) && ((fuzzy--))
  stats=$(msgfmt --check --statistics -o /dev/null "$tmp/$lang.po" 2>&1)
  echo "$lang: $stats"
  if ((untranslated > 0 || fuzzy > 0)); then
    echo "$lang: $untranslated untranslated, $fuzzy fuzzy:"
    msgattrib --untranslated "$tmp/$lang.po" | grep "^msgid " || true
    msgattrib --only-fuzzy "$tmp/$lang.po" | grep "^msgid " || true
    status=1
  fi
done < po/LINGUAS
exit $status
