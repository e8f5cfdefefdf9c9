#!/usr/bin/env bash
# `barrage report` on a 20-million-sample run: wall time and peak RSS (GNU time -v) of the
# text and JSON reports (from the metric_bucket rollups) and, for reference, of --us (a full
# scan of the raw samples). Results go in bench/RESULTS.md, section "Reports".
#   bench/report_scale_bench.sh [BUILD_DIR]    (default build; needs report_scale_bench and barrage)
# Environment: DB (default /tmp/barrage-report-scale.db; generated when missing),
# SECONDS_OF_RUN (2000), RATE (10000), LABELS (10), US=1 to also time --us.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
DB=${DB:-/tmp/barrage-report-scale.db}
BARRAGE="$BUILD_DIR/bin/barrage"
GEN="$BUILD_DIR/bin/report_scale_bench"
[ -x "$GEN" ] || GEN="$BUILD_DIR/bench/report_scale_bench"

if [ ! -f "$DB" ]; then
  echo "generating $DB"
  /usr/bin/time -f "generation: %e s wall, %M KB peak RSS" \
    "$GEN" --db "$DB" --seconds "${SECONDS_OF_RUN:-2000}" --rate "${RATE:-10000}" --labels "${LABELS:-10}"
fi
ls -l "$DB"

measure() {
  local name=$1
  shift
  local log
  log=$(mktemp)
  /usr/bin/time -v "$BARRAGE" report last --db "$DB" "$@" -o /dev/null 2>"$log" || true
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
  echo "$name: wall $wall, peak RSS ${rss} KB ($((rss / 1024)) MiB)"
  grep -v -e '^\s' -e '^Command' "$log" || true
  rm -f "$log"
}

# Warm the page cache once so the runs below measure the report, not the first disk read.
"$BARRAGE" report last --db "$DB" -o /dev/null
for round in 1 2 3; do
  measure "text   (round $round)"
  measure "json   (round $round)" --format json
done
if [ "${US:-0}" = 1 ]; then
  measure "text --us" --us
fi
"$BARRAGE" report last --db "$DB"
