#!/usr/bin/env bash
# One-worker cluster run against the same plan in local mode (issue 5: the cluster run must
# reach >= 90 % of the local rate). The plan is bench/plans/http_50vu.jmx (50 users, no think
# time) against barrage-fixture on 127.0.0.1 (the plan asks for /100.txt, which the fixture
# answers 404 with an empty body: the same exchange for both modes); local mode runs `barrage run --threads 1`, cluster mode `barrage run --workers 1` with one
# `barrage-worker --threads 1` on the same host (insecure loopback). Rounds alternate.
#
#   bench/cluster_vs_local.sh                 # 3 rounds of 10 s
#   ROUNDS=1 SECONDS_PER_RUN=5 bench/cluster_vs_local.sh
#
# Environment: BUILD (build dir with bin/barrage, bin/barrage-worker, bin/barrage-fixture;
# default build), ROUNDS (3), SECONDS_PER_RUN (10).
{
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BUILD:-$repo/build}
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_RUN:-10}
tmp=$(mktemp -d /tmp/barrage-cluster-vs-local-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$build/bin/barrage-fixture" --port 0 >"$tmp/fixture.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$tmp/fixture.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^listening on [^:]*:\([0-9]*\).*/\1/p' "$tmp/fixture.out")
props=(-Jport="$port" -Jduration="$seconds" -Jthreads=50)

samples_of() { sed -n 's/^barrage: run [0-9]* [a-z]*: \([0-9]*\) samples.*/\1/p' "$1" | tail -1; }

local_rates=()
cluster_rates=()
for round in $(seq 1 "$rounds"); do
  "$build/bin/barrage" run "$here/plans/http_50vu.jmx" "${props[@]}" --threads 1 --quiet \
    --db "$tmp/local-$round.db" >"$tmp/local-$round.out" 2>&1
  n=$(samples_of "$tmp/local-$round.out")
  local_rates+=("$(echo "scale=1; $n / $seconds" | bc)")

  "$build/bin/barrage" run "$here/plans/http_50vu.jmx" "${props[@]}" --workers 1 --insecure \
    --bind tcp://127.0.0.1:0 --quiet --db "$tmp/cluster-$round.db" >"$tmp/cluster-$round.out" 2>&1 &
  controller=$!
  for _ in $(seq 1 100); do grep -q 'waiting for' "$tmp/cluster-$round.out" 2>/dev/null && break; sleep 0.05; done
  endpoint=$(grep -o 'tcp://127.0.0.1:[0-9]*' "$tmp/cluster-$round.out" | head -1)
  "$build/bin/barrage-worker" --controller "$endpoint" --name bench --insecure --threads 1 \
    --work-dir "$tmp/work" 2>"$tmp/worker-$round.err" &
  worker=$!
  pids+=("$worker")
  wait "$controller" || true
  kill "$worker" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
  n=$(samples_of "$tmp/cluster-$round.out")
  cluster_rates+=("$(echo "scale=1; $n / $seconds" | bc)")
  echo "round $round: local ${local_rates[-1]} samples/s, cluster (1 worker) ${cluster_rates[-1]} samples/s"
done
best() { printf '%s\n' "$@" | sort -g | tail -1; }
bl=$(best "${local_rates[@]}")
bc_=$(best "${cluster_rates[@]}")
echo "best of $rounds x ${seconds}s: local $bl samples/s, cluster $bc_ samples/s: $(echo "scale=1; 100 * $bc_ / $bl" | bc) %"
}
