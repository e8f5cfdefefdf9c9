#!/usr/bin/env bash
# Formats every C++ source of the repository with .clang-format (clang-format 14, Debian 12's).
#   scripts/format.sh           # rewrites the files in place
#   scripts/format.sh --check   # lists the files that differ and exits 1 if any does (a ctest runs this)
set -euo pipefail
cd "$(dirname "$0")/.."

CLANG_FORMAT=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [ -z "$CLANG_FORMAT" ]; then
  echo "format: clang-format not found (apt-get install clang-format-14; scripts/setup.sh installs it)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--check" ]; then
  bad=()
  for f in "${files[@]}"; do
    "$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
  done
  if ((${#bad[@]})); then
    printf 'format: not formatted (run scripts/format.sh): %s\n' "${bad[@]}" >&2
    exit 1
  fi
  echo "format: ${#files[@]} files formatted"
  exit 0
fi
"$CLANG_FORMAT" -i "${files[@]}"
