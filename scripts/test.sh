#!/usr/bin/env bash
# The whole test suite: set up and build, run every ctest suite, then a short fuzz run of
# the .jmx parser. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --parallel "$(nproc)" --timeout 600
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
