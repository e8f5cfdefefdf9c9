#!/bin/sh
# Fails when README.md's element table (between <!-- elements:begin --> and
# <!-- elements:end -->) differs from `barrage elements --markdown`. Regenerate it with
#   scripts/check_readme_elements.sh BARRAGE --update
set -eu
barrage="$1"
readme="$(dirname "$0")/../README.md"
expected="$("$barrage" elements --markdown)"
actual="$(sed -n '/^<!-- elements:begin -->$/,/^<!-- elements:end -->$/p' "$readme" | sed '1d;$d')"
if [ "${2:-}" = "--update" ]; then
  tmp="$(mktemp)"
  awk -v table="$expected" '
    /^<!-- elements:begin -->$/ { print; print table; skip = 1; next }
    /^<!-- elements:end -->$/ { skip = 0 }
    !skip { print }' "$readme" > "$tmp"
  mv "$tmp" "$readme"
  exit 0
fi
if [ "$expected" != "$actual" ]; then
  echo "README.md's element table differs from 'barrage elements --markdown':" >&2
  printf '%s\n' "$expected" > /tmp/readme_elements_expected.$$
  printf '%s\n' "$actual" | diff /tmp/readme_elements_expected.$$ - >&2 || true
  rm -f /tmp/readme_elements_expected.$$
  echo "regenerate: scripts/check_readme_elements.sh build/bin/barrage --update" >&2
  exit 1
fi
