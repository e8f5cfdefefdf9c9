#!/usr/bin/env bash
# The whole test suite: set up and build, run every ctest suite, then a short run of every
# fuzz target (FUZZ_SECONDS in total, default 90: 22 s each). Exits non-zero when anything
# fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --parallel "$(nproc)" --timeout 600
scripts/fuzz.sh "${FUZZ_SECONDS:-90}"
