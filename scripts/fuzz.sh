#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS in total (default 120), shared equally among them
# (at least 5 s each):
#   jmx_parser_fuzz            the .jmx parser, plan compiler and inspect report
#   http1_parser_fuzz          the engine's HTTP/1.x response parser
#   cluster_coordinator_fuzz   the controller's message handling (ClusterCoordinator)
#   worker_daemon_fuzz         barrage-worker's message handling (WorkerDaemon)
#
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_TARGETS="worker_daemon_fuzz" scripts/fuzz.sh 600   # one target for 600 s
#
# Configures a clang build with libFuzzer, ASan and UBSan in build-fuzz/ (needs clang-14 and
# libclang-rt-14-dev), builds the targets, and for each one replays its regressions
# (tests/fuzz/regressions, regressions_<target>), then fuzzes from its seeds (tests/fuzz/seeds
# and ../shared/jmx-corpus, tests/fuzz/seeds_http1, or the real frames wire_fuzz_seeds writes
# into build-fuzz). Each target's working corpus (build-fuzz/fuzz-run/<target>/corpus) keeps
# what earlier runs found. Exits non-zero on a crash, sanitizer report, leak, timeout or
# out-of-memory; the input is saved in build-fuzz/fuzz-run/<target>/artifacts/.
set -euo pipefail

all_targets=(jmx_parser_fuzz http1_parser_fuzz cluster_coordinator_fuzz worker_daemon_fuzz)
seconds=${1:-120}
if [[ $# -gt 1 || ! $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS]   (default 120, shared among the targets)" >&2
  exit 2
fi
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"
for t in "${targets[@]}"; do
  if [[ " ${all_targets[*]} " != *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' in FUZZ_TARGETS (known: ${all_targets[*]})" >&2
    exit 2
  fi
done
per_target=$((seconds / ${#targets[@]}))
((per_target >= 5)) || per_target=5

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
run ninja -C "$build" "${targets[@]}" wire_fuzz_seed_corpus
for t in "${targets[@]}"; do
  args=(-DFUZZER="$build/bin/$t" -DWORK_DIR="$build/fuzz-run/$t" -DSECONDS="$per_target")
  case $t in
    jmx_parser_fuzz)
      args+=(-DSEED_DIR="$root/tests/fuzz/seeds" -DJMX_CORPUS_DIR="$root/../shared/jmx-corpus"
             -DREGRESSION_DIR="$root/tests/fuzz/regressions" -DDICT="$root/tests/fuzz/jmx.dict") ;;
    http1_parser_fuzz)
      args+=(-DSEED_DIR="$root/tests/fuzz/seeds_http1") ;;
    *)
      args+=(-DSEED_DIR="$build/tests/fuzz/wire_seeds/$t" -DREGRESSION_DIR="$root/tests/fuzz/regressions_$t") ;;
  esac
  echo "fuzz.sh: $t for $per_target s"
  run cmake "${args[@]}" -P "$root/tests/fuzz/run_fuzzer.cmake"
done
