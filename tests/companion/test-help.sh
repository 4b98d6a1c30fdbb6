#!/usr/bin/env bash
# /companion/cli/help: each subcommand's --help names the subcommand in its
# usage line, uses real placeholders (no VALUE), and documents a default for
# every option that takes a value; an option without =ARG is a flag.
# $CROSSING_COMPANION is the built binary (tests/meson.build sets it).
set -uo pipefail

bin=${CROSSING_COMPANION:?set CROSSING_COMPANION to the crossing-companion binary}
status=0

fail () {
  echo "FAIL: $*" >&2
  status=1
}

for command in serve approve users verify-artifact admin-key ledger; do
  if ! help=$("$bin" "$command" --help); then
    fail "crossing-companion $command --help exited non-zero"
    continue
  fi

  grep -qE "^  crossing-companion $command \[OPTION…\]" <<<"$help" ||
    fail "$command: usage line does not name the subcommand"
  grep -qw VALUE <<<"$help" && fail "$command: a VALUE placeholder is left"

  options=0
  while IFS= read -r line; do
    options=$((options + 1))
    option=$(sed -E 's/^ +(--[a-z-]+).*/\1/' <<<"$line")
    if [[ $line =~ ^\ +--[a-z-]+= ]]; then
      grep -qi 'default' <<<"$line" || fail "$command $option: no default in '$line'"
    fi
  done < <(grep -E '^ +--[a-z]' <<<"$help" | grep -v -- '--help ')
  ((options > 0)) || fail "$command: no options listed"

  [[ $("$bin" "$command" --version) == "crossing-companion "* ]] ||
    fail "crossing-companion $command --version"
done

[[ $("$bin" --version) == "crossing-companion "* ]] || fail "crossing-companion --version"

exit $status
