#!/usr/bin/env bash
# Start-up benchmark (issue 12 item 6): the wall time of a whole one-request run — plan load,
# a new results store, one HTTP request to a private nginx on loopback, the report — as
# `barrage run` does it, BENCH_STARTUP_RUNS times (median, quartiles, min), next to the
# process-start floor (`barrage --version`) measured the same way. Goal: median <= 50 ms.
#
#   bench/startup_bench.sh                       # BARRAGE=build-bench/bin/barrage, 41 runs
#   BENCH_STARTUP_RUNS=101 BARRAGE=... bench/startup_bench.sh
#
# Each run gets a fresh store file on the work dir (tmpfs) and, separately, on the repository's
# disk (a real file system: a new SQLite file's syncs show there). Output: a Markdown table.
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
RUNS=${BENCH_STARTUP_RUNS:-41}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
BARRAGE=${BARRAGE:-$repo/build-bench/bin/barrage}
JMETER=/nonexistent
USE_JMETER=0
PACED_USERS=0

. "$here/bench_lib.sh"
bench_setup
head -c 100 /dev/zero | tr '\0' 'x' > "$work/nginx/html/100.txt"
start_nginx
disk_dir=$(mktemp -d "$repo/.startup-bench.XXXXXX")
trap 'rm -rf "$disk_dir"; bench_cleanup' EXIT

ms_now() { date +%s%N; }
time_runs() {  # time_runs LABEL COMMAND...: prints "LABEL median q1 q3 min" in ms
  local label=$1; shift
  local times=() i s e
  for i in $(seq 1 "$RUNS"); do
    s=$(ms_now)
    "$@" "$i" >/dev/null 2>&1 || die "$label: run $i failed"
    e=$(ms_now)
    times+=("$(( (e - s) / 1000 ))")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v l="$label" '{ v[NR] = $1 / 1000 }
    END { printf "| %s | %.1f | %.1f | %.1f | %.1f |\n", l, v[int((NR + 1) / 2)], v[int((NR + 3) / 4)], v[int((3 * NR + 1) / 4)], v[1] }'
}
version_run() { taskset -c "$CLIENT_CPU" "$BARRAGE" --version; }
run_on() {  # run_on DIR N
  rm -f "$1/s-$2.db"*
  taskset -c "$CLIENT_CPU" "$BARRAGE" run "$here/plans/one_request.jmx" --db "$1/s-$2.db" --quiet \
    -J host=127.0.0.1 -J "port=$port"
}
tmpfs_run() { run_on "$work" "$1"; }
disk_run() { run_on "$disk_dir" "$1"; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo
echo "bench/startup_bench.sh, $RUNS runs each, $(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $load"
echo "barrage: $BARRAGE ($("$BARRAGE" --version 2>&1 | head -1))"
echo
echo "| what | median ms | q1 ms | q3 ms | min ms |"
echo "|---|---:|---:|---:|---:|"
time_runs '`barrage --version` (process start, the floor)' version_run
time_runs 'one-request run, store on tmpfs' tmpfs_run
time_runs 'one-request run, store on the repository disk' disk_run
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
}
