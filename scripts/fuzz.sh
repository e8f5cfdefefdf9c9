#!/usr/bin/env bash
# Fuzzes the .jmx parser, plan compiler and inspect report for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS]
#
# Configures a clang build with libFuzzer, ASan and UBSan in build-fuzz/ (needs clang-14 and
# libclang-rt-14-dev), builds jmx_parser_fuzz, replays tests/fuzz/regressions, then fuzzes
# from tests/fuzz/seeds and ../shared/jmx-corpus. The working corpus (build-fuzz/fuzz-run/
# corpus) keeps what earlier runs found. Exits non-zero on a crash, sanitizer report, leak,
# timeout or out-of-memory; the input is saved in build-fuzz/fuzz-run/artifacts/.
set -euo pipefail

seconds=${1:-60}
if [[ $# -gt 1 || ! $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS]   (default 60)" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-fuzz
cxx=${BARRAGE_FUZZ_CXX:-clang++-14}

for tool in "$cxx" cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz.sh: $tool not found (Debian 12: apt-get install clang-14 libclang-rt-14-dev cmake ninja-build)" >&2
    exit 2
  fi
done
fuzzer_runtime=$("$cxx" -print-runtime-dir)/libclang_rt.fuzzer-$(uname -m).a
if [[ ! -f $fuzzer_runtime ]]; then
  echo "fuzz.sh: libFuzzer runtime $fuzzer_runtime missing (apt-get install libclang-rt-14-dev)" >&2
  exit 2
fi

# Prints a command exactly (shell-quoted), then runs it.
run() {
  printf '+'
  printf ' %q' "$@"
  printf '\n'
  "$@"
}

run cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBARRAGE_FUZZ=ON
run ninja -C "$build" jmx_parser_fuzz
run cmake -DFUZZER="$build/bin/jmx_parser_fuzz" -DWORK_DIR="$build/fuzz-run" \
  -DSEED_DIR="$root/tests/fuzz/seeds" -DJMX_CORPUS_DIR="$root/../shared/jmx-corpus" \
  -DREGRESSION_DIR="$root/tests/fuzz/regressions" -DDICT="$root/tests/fuzz/jmx.dict" \
  -DSECONDS="$seconds" -P "$root/tests/fuzz/run_fuzzer.cmake"
