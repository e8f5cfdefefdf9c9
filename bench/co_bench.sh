#!/usr/bin/env bash
# Coordinated-omission demonstration (issue 12 item 2): one user paced at 40 samples/s by a
# Constant Throughput Timer (bench/plans/co_stall.jmx) against barrage-fixture's
# /stall/KEY/AFTER/MS, whose AFTER+1-th request takes MS ms. JMeter's elapsed percentiles
# miss the stall; the latency from the intended start ("corrected", docs/coordinated-omission.md)
# shows it. BENCH_CO_RUNS runs of barrage, then JMeter 2.13 on the same plan and fixture
# when it is there (elapsed only: it has no corrected figure). Output: a Markdown table.
#
#   bench/co_bench.sh                 # BARRAGE=build-bench/bin/barrage, FIXTURE beside it
#   BENCH_CO_RUNS=5 BENCH_CO_SAMPLES=200 BENCH_CO_AFTER=100 bench/co_bench.sh
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
BARRAGE=${BARRAGE:-$repo/build-bench/bin/barrage}
FIXTURE=${FIXTURE:-$(dirname "$BARRAGE")/barrage-fixture}
JMETER=${JMETER:-$(cd "$repo/.." && pwd)/shared/jmeter/jmeter213}
RUNS=${BENCH_CO_RUNS:-3}
SAMPLES=${BENCH_CO_SAMPLES:-100}
AFTER=${BENCH_CO_AFTER:-40}
STALL=${BENCH_CO_STALL_MS:-1000}
plan=$here/plans/co_stall.jmx

log() { echo "co-bench: $*" >&2; }
die() { echo "co-bench: error: $*" >&2; exit 1; }
[ -x "$BARRAGE" ] || die "no barrage at $BARRAGE (ninja -C build-bench barrage barrage-fixture)"
[ -x "$FIXTURE" ] || die "no barrage-fixture at $FIXTURE"

work=$(mktemp -d /tmp/barrage-co.XXXXXX)
fixture_pid=
cleanup() { [ -n "$fixture_pid" ] && kill "$fixture_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$FIXTURE" --port 0 >"$work/fixture.out" 2>&1 &
fixture_pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/fixture.out" && break; sleep 0.05; done
port=$(sed -nE 's/.*127\.0\.0\.1:([0-9]+).*/\1/p' "$work/fixture.out" | head -1)
[ -n "$port" ] || die "the fixture did not start: $(cat "$work/fixture.out")"

# report_row JSON LABEL: the table row of a `barrage report --format json` total.
report_row() {
  python3 - "$1" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["total"]
c = t.get("corrected")
cor = " / ".join(str(c[k]) for k in ("p90", "p95", "p99", "max")) if c else "- (none)"
late = c["late_samples"] if c else "-"
print(f"| {sys.argv[2]} | {t['samples']} | {t['p90']} / {t['p95']} / {t['p99']} / {t['max']} | {cor} | {late} |")
PY
}

echo "| tool, run | samples | elapsed p90 / p95 / p99 / max (ms) | corrected p90 / p95 / p99 / max (ms) | late samples |"
echo "|---|---:|---|---|---:|"
for r in $(seq 1 "$RUNS"); do
  "$BARRAGE" run "$plan" -Jport="$port" -Jkey="b$r-$$" -Jsamples="$SAMPLES" -Jafter="$AFTER" -Jstall="$STALL" \
    --db "$work/b$r.db" --quiet >"$work/b$r.out" 2>&1 || die "barrage run $r failed: $(tail -3 "$work/b$r.out")"
  "$BARRAGE" report 1 --db "$work/b$r.db" --format json >"$work/b$r.json"
  report_row "$work/b$r.json" "barrage $r"
done
if [ -x "$JMETER" ] && [ "${BENCH_JMETER:-auto}" != 0 ]; then
  "$JMETER" -n -t "$plan" -Jport="$port" -Jkey="jm-$$" -Jsamples="$SAMPLES" -Jafter="$AFTER" -Jstall="$STALL" \
    -l "$work/jm.jtl" -j "$work/jm.log" >"$work/jm.out" 2>&1 || die "JMeter failed: $(tail -3 "$work/jm.out")"
  # Its percentiles as its Aggregate Report computes them: the JTL imported into a store and
  # reported (barrage's reports equal JMeter's).
  "$BARRAGE" import "$work/jm.jtl" --db "$work/jm.db" >/dev/null 2>&1
  "$BARRAGE" report 1 --db "$work/jm.db" --format json >"$work/jm.json"
  report_row "$work/jm.json" "JMeter 2.13"
fi
echo
echo "One user, $SAMPLES samples at 40/s; request $((AFTER + 1)) stalls $STALL ms (barrage-fixture /stall)."
}
