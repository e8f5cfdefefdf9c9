#!/usr/bin/env bash
# The main job: set up and build, start a local target (barrage-fixture on 127.0.0.1),
# run the demo plan against it, and print the report. Results: build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

out=build/demo
mkdir -p "$out"
rm -f "$out/demo.jtl" "$out/demo.db" "$out/demo.db-wal" "$out/demo.db-shm" "$out/report.html"

# The target: a deterministic HTTP server bound to loopback on a free port.
coproc FIXTURE { exec build/bin/barrage-fixture --bind 127.0.0.1 --port 0; }
fixture_pid=$FIXTURE_PID
trap 'kill "$fixture_pid" 2>/dev/null || true; wait "$fixture_pid" 2>/dev/null || true' EXIT
read -r -t 10 line <&"${FIXTURE[0]}" || { echo "demo: the fixture server did not start" >&2; exit 1; }
port=${line##*:}
echo "demo: target $line"

build/bin/barrage inspect examples/demo.jmx
build/bin/barrage run examples/demo.jmx -J host=127.0.0.1 -J port="$port" \
  -l "$out/demo.jtl" --db "$out/demo.db" --summary-interval 1
build/bin/barrage report last --db "$out/demo.db" --format html -o "$out/report.html"
echo "demo: HTML report $out/report.html"
