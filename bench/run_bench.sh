#!/usr/bin/env bash
# Load-generator benchmark: wrk vs real JMeter 2.13 vs `barrage run` against a local nginx.
#
# As root on Debian 12 (installs nginx-light and wrk with apt-get when missing):
#   bench/run_bench.sh                                   # full run: 3 rounds, 15 s, JMeter also 60 s
#   BENCH_ROUNDS=1 BENCH_SECONDS=5 BENCH_LONG_SECONDS=10 BENCH_PACED_SECONDS=10 bench/run_bench.sh
#
# nginx (its own prefix and config in a temp dir on tmpfs, worker_processes 1, access log off,
# keep-alive, a static 100-byte file) runs on 127.0.0.1:<free port> pinned to core 0. Every
# generator runs pinned to core 1, one after the other:
#   throughput, per round: wrk (1 thread, 50 connections), JMeter 2.13 non-GUI with
#     bench/plans/http_50vu.jmx (50 threads, no think time), barrage run with the same plan
#     (--threads 1); then JMeter again for BENCH_LONG_SECONDS (it warms up slowly).
#   memory: barrage with bench/plans/paced_10k.jmx (10,000 users, 1 s Constant Timer each,
#     intended 10,000 req/s) for BENCH_PACED_SECONDS; JMeter with 1,000 threads for reference.
# For each run: req/s, CPU µs per request (user+sys from /usr/bin/time -v ÷ requests), peak RSS.
# Prints Markdown tables (and the command) ready to paste into bench/RESULTS.md.
#
# Environment:
#   BENCH_ROUNDS (3)            rounds of each throughput run
#   BENCH_SECONDS (15)          duration of the wrk / JMeter / barrage throughput runs
#   BENCH_LONG_SECONDS (60)     duration of the extra JMeter runs; 0 skips them
#   BENCH_VUS (50)              connections / threads of the throughput runs
#   BENCH_PACED_SECONDS (30)    duration of the memory run; 0 skips it
#   BENCH_PACED_USERS (10000)   barrage users in the memory run (each paced at 1 req/s)
#   BENCH_PACED_THINK_MS (1000) each paced user's Constant Timer (intended rate = users x 1000 / think)
#   BENCH_PACED_RAMPUP (users/1000 s)  ramp-up of the memory run
#   BENCH_PACED_KEEPALIVE (1)   0: the paced users close each connection (Use KeepAlive off), so a
#                               run needs few descriptors whatever its number of users
#   BENCH_JMETER_PACED_USERS (1000)  JMeter threads in the memory run; 0 skips it
#   BENCH_JMETER (auto)         0 skips JMeter entirely
#   BARRAGE (build-bench/bin/barrage, built in Release when missing)
#   JMETER (../shared/jmeter/jmeter213 next to the repository)
#   BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1)  cores for nginx and for the generators
#   BENCH_KEEP (0)              1 keeps the temp dir (JTLs, logs) for inspection
#   BENCH_HOSTNAME (1)          1 adds, per round, wrk and barrage on http://localhost:PORT/ (the
#                               name resolved by each tool; barrage's fast path: worker/host_cache.h)
#   BENCH_GZIP (1)              1 adds, per round, wrk and barrage sending "Accept-Encoding: gzip, deflate"
#                               (nginx gzips the file; barrage: bench/plans/http_50vu_gzip.jmx)
#   BENCH_COOKIES (1)           1 adds, per round, wrk sending a fixed "Cookie: session=bench-user" and
#                               barrage with a Cookie Manager (bench/plans/http_50vu_cookies.jmx; nginx
#                               sets the cookie on /cookie/100.txt), on the fast path's jar (the default)
#                               and with -J barrage.cookies.fastpath=false (libcurl's cookie engine)
#   BENCH_H2 (0)                1 also runs the HTTP/2 variant at the end (bench/run_bench_h2.sh)
#   BENCH_STARTUP (0)           1 also measures a one-request run's wall time at the end
#                               (bench/startup_bench.sh: many runs, median)
#   BENCH_CO (0)                1 also runs the coordinated-omission demonstration at the end
#                               (bench/co_bench.sh: elapsed vs corrected percentiles, JMeter too)
#   BARRAGE_HTTP_CLIENT         "curl" makes barrage send every request through libcurl instead of
#                               its own HTTP/1.1 keep-alive path (worker/http1_connection.h)
#   BENCH_TLS (0)               1: the same runs over HTTPS (nginx with a self-signed certificate
#                               made by openssl; wrk https://..., the plans with protocol=https)
# The whole script is one compound command, so bash reads all of it before running any: editing
# the file during a run cannot change the run.
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_RUN=${BENCH_SECONDS:-15}
LONG_SECONDS=${BENCH_LONG_SECONDS:-60}
VUS=${BENCH_VUS:-50}
PACED_SECONDS=${BENCH_PACED_SECONDS:-30}
PACED_USERS=${BENCH_PACED_USERS:-10000}
JMETER_PACED_USERS=${BENCH_JMETER_PACED_USERS:-1000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
BARRAGE=${BARRAGE:-$repo/build-bench/bin/barrage}
JMETER=${JMETER:-$(cd "$repo/.." && pwd)/shared/jmeter/jmeter213}
USE_JMETER=${BENCH_JMETER:-auto}
HOSTNAME_RUNS=${BENCH_HOSTNAME:-1}
GZIP_RUNS=${BENCH_GZIP:-1}
COOKIE_RUNS=${BENCH_COOKIES:-1}
THINK_MS=${BENCH_PACED_THINK_MS:-1000}
PACED_RAMPUP=${BENCH_PACED_RAMPUP:-}
PACED_KEEPALIVE=${BENCH_PACED_KEEPALIVE:-1}

command_line="$(for v in BENCH_ROUNDS BENCH_SECONDS BENCH_LONG_SECONDS BENCH_VUS BENCH_PACED_SECONDS \
  BENCH_PACED_USERS BENCH_PACED_THINK_MS BENCH_PACED_RAMPUP BENCH_PACED_KEEPALIVE BENCH_JMETER_PACED_USERS BENCH_JMETER BENCH_SERVER_CPU BENCH_CLIENT_CPU BENCH_HOSTNAME BENCH_GZIP BENCH_COOKIES BENCH_STARTUP BENCH_CO \
  BARRAGE_HTTP_CLIENT BENCH_TLS; do
  if [ -n "${!v:-}" ]; then printf "%s=%s " "$v" "${!v}"; fi; done)bench/run_bench.sh"

# Prerequisites, the work dir, nginx and the measured-run helpers: bench/bench_lib.sh.
. "$here/bench_lib.sh"
bench_setup wrk
# Exactly 100 bytes: 99 characters and a newline.
printf '%s\n' "$(printf 'barrage-bench-100-byte-body-%.0s' 1 2 3 4 | cut -c1-99)" > "$work/nginx/html/100.txt"
[ "$(stat -c %s "$work/nginx/html/100.txt")" -eq 100 ] || die "static file is not 100 bytes"
start_nginx
url="$base_url/100.txt"
jmeter_tls=() barrage_tls=() over=""  # the plans' protocol property over TLS
if [ "${BENCH_TLS:-0}" = 1 ]; then jmeter_tls=(-Jprotocol=https) barrage_tls=(-J protocol=https) over=" over HTTPS"; fi

# ---------------------------------------------------------------- helpers
rows=()      # throughput rows: tool|duration|round|requests|errors|rps|cpu_us|rss|load|cpu_pct
paced_rows=() # memory rows: tool|users|duration|requests|errors|intended|overall|steady|rss|cpu_us|load

record() { rows+=("$1|$2|$3|$4|$5|$6|$7|$8|$9|${10}"); log "$1 ${2}s round $3: $4 requests, $5 errors, $6 req/s, $7 µs CPU/request, $8 MiB peak RSS (load $9, ${10} % CPU)"; }

run_wrk() {  # run_wrk ROUND [TOOL-LABEL URL [wrk options]]
  local r=$1 tool=${2:-wrk} target=${3:-$url} name l; l=$(load1)
  shift $(( $# < 3 ? $# : 3 ))
  name="$(tr -c 'a-z0-9\n' '-' <<<"$tool" | tr -s '-' | sed 's/-$//')-$r"
  run_measured "$name" wrk -t1 -c"$VUS" -d"${SECONDS_RUN}s" "$@" "$target" || die "wrk failed: $(cat "$work/$name.out")"
  local n rps errs
  n=$(awk '/requests in/ {print $1}' "$work/$name.out")
  rps=$(awk '/^Requests\/sec:/ {printf "%.1f", $2}' "$work/$name.out")
  errs=$(awk '/Non-2xx|Socket errors/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i } END {print s + 0}' "$work/$name.out")
  record "$tool" "$SECONDS_RUN" "$r" "$n" "$errs" "$rps" "$(cpu_per_req "$(cpu_seconds "$work/$name.time")" "$n")" \
    "$(rss_mib "$work/$name.time")" "$l" "$(cpu_pct "$work/$name.time")"
}

# ---------------------------------------------------------------- throughput runs
http_plan=$here/plans/http_50vu.jmx
paced_plan=$here/plans/paced_10k.jmx
log "start: load average $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS round(s) of ${SECONDS_RUN}s, $VUS users"
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')

for r in $(seq 1 "$ROUNDS"); do
  run_wrk "$r"
  if [ "$USE_JMETER" = 1 ]; then
    run_jmeter "$r" "$SECONDS_RUN" "$http_plan" "$VUS" short "${jmeter_tls[@]}"
    record "JMeter 2.13" "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  fi
  run_barrage "barrage-$r" "$http_plan" "$VUS" "$SECONDS_RUN" "${barrage_tls[@]}"
  record barrage "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  if [ "$HOSTNAME_RUNS" = 1 ]; then
    run_wrk "$r" "wrk (localhost)" "${url/127.0.0.1/localhost}"
    run_barrage "barrage-localhost-$r" "$http_plan" "$VUS" "$SECONDS_RUN" -J host=localhost "${barrage_tls[@]}"
    record "barrage (localhost)" "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" \
      "$R_LOAD" "$R_PCT"
  fi
  if [ "$GZIP_RUNS" = 1 ]; then
    run_wrk "$r" "wrk (gzip)" "$url" -H "Accept-Encoding: gzip, deflate"
    run_barrage "barrage-gzip-$r" "$here/plans/http_50vu_gzip.jmx" "$VUS" "$SECONDS_RUN" "${barrage_tls[@]}"
    record "barrage (gzip)" "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" \
      "$R_LOAD" "$R_PCT"
  fi
  if [ "$COOKIE_RUNS" = 1 ]; then
    run_wrk "$r" "wrk (cookie)" "$base_url/cookie/100.txt" -H "Cookie: session=bench-user"
    run_barrage "barrage-cookies-$r" "$here/plans/http_50vu_cookies.jmx" "$VUS" "$SECONDS_RUN" "${barrage_tls[@]}"
    record "barrage (Cookie Manager)" "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" \
      "$R_RSS" "$R_LOAD" "$R_PCT"
    run_barrage "barrage-cookie-curl-$r" "$here/plans/http_50vu_cookies.jmx" "$VUS" "$SECONDS_RUN" \
      -J barrage.cookies.fastpath=false "${barrage_tls[@]}"
    record "barrage (Cookie Manager, libcurl engine)" "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" \
      "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  fi
done
if [ "$USE_JMETER" = 1 ] && [ "$LONG_SECONDS" -gt 0 ]; then
  for r in $(seq 1 "$ROUNDS"); do
    run_jmeter "$r" "$LONG_SECONDS" "$http_plan" "$VUS" long "${jmeter_tls[@]}"
    record "JMeter 2.13" "$LONG_SECONDS" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  done
fi

# ---------------------------------------------------------------- memory (paced) runs
if [ "$PACED_SECONDS" -gt 0 ]; then
  if [ "$PACED_KEEPALIVE" = 0 ]; then
    sed 's|<boolProp name="HTTPSampler.use_keepalive">true<|<boolProp name="HTTPSampler.use_keepalive">false<|' \
      "$paced_plan" >"$work/paced_close.jmx"
    paced_plan=$work/paced_close.jmx
  fi
  run_barrage barrage-paced "$paced_plan" "$PACED_USERS" "$PACED_SECONDS" -J "think=$THINK_MS" \
    -J "rampup=$(paced_rampup "$PACED_USERS")" -l "$work/barrage-paced.jtl" "${barrage_tls[@]}"
  paced_record barrage "$PACED_USERS" "$PACED_SECONDS" "$work/barrage-paced.jtl"
  if [ "$USE_JMETER" = 1 ] && [ "$JMETER_PACED_USERS" -gt 0 ]; then
    run_jmeter 1 "$PACED_SECONDS" "$paced_plan" "$JMETER_PACED_USERS" paced \
      -Jthink="$THINK_MS" -Jrampup="$(paced_rampup "$JMETER_PACED_USERS")" "${jmeter_tls[@]}"
    paced_record "JMeter 2.13" "$JMETER_PACED_USERS" "$PACED_SECONDS" "$work/jmeter-paced-1.jtl"
  fi
fi
end_load=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
column_of() {  # column_of TOOL SECONDS FIELD
  local row
  for row in "${rows[@]}"; do
    IFS='|' read -r t s _ n e rps cpu rss _ _ <<<"$row"
    [ "$t" = "$1" ] && [ "$s" = "$2" ] || continue
    case $3 in rps) echo "$rps" ;; cpu) echo "$cpu" ;; rss) echo "$rss" ;; n) echo "$n" ;; esac
  done
}

echo
echo "### Run $started"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), kernel $(uname -r);" \
  "load average $start_load at start, $end_load at the end."
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on core $SERVER_CPU, generators on core $CLIENT_CPU;" \
  "$(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'); $("$BARRAGE" --version 2>/dev/null | head -1)" \
  "($BARRAGE, built $(date -u -r "$BARRAGE" '+%Y-%m-%d %H:%M UTC'); repository at" \
  "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown))."
echo
echo '```sh'
echo "$command_line"
echo '```'
echo
echo "Throughput$over, $VUS connections / threads, no think time, 100-byte static file, keep-alive:"
echo
echo "| tool | s | round | requests | errors | req/s | CPU µs/request | peak RSS MiB | load1 before | % of a core used |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  IFS='|' read -r t s r n e rps cpu rss l pct <<<"$row"
  echo "| $t | $s | $r | $n | $e | $rps | $cpu | $rss | $l | $pct |"
done
echo
echo "load1 counts runnable threads, the benchmark's own included (JMeter's 50 threads on one core"
echo "raise it to 10–40); \"% of a core used\" below ~90 % for wrk or barrage means the generator"
echo "did not get its core."
echo
echo "Medians:"
echo
echo "| tool | s | req/s | × wrk req/s | CPU µs/request | × wrk CPU | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
wrk_rps=$(column_of wrk "$SECONDS_RUN" rps | median)
wrk_cpu=$(column_of wrk "$SECONDS_RUN" cpu | median)
declare -A seen=()
summary_line() {
  local t=$1 s=$2 rps cpu rss
  rps=$(column_of "$t" "$s" rps | median); cpu=$(column_of "$t" "$s" cpu | median)
  rss=$(column_of "$t" "$s" rss | sort -g | tail -1)
  awk -v t="$t" -v s="$s" -v rps="$rps" -v cpu="$cpu" -v rss="$rss" -v wr="$wrk_rps" -v wc="$wrk_cpu" \
    'BEGIN { printf "| %s | %s | %.0f | %.2f | %.1f | %.2f | %s |\n", t, s, rps, (wr > 0 ? rps / wr : 0), cpu, (wc > 0 ? cpu / wc : 0), rss }'
}
for row in "${rows[@]}"; do
  IFS='|' read -r t s _ <<<"$row"
  [ -n "${seen[$t|$s]:-}" ] && continue
  seen[$t|$s]=1
  summary_line "$t" "$s"
done
if [ "${#paced_rows[@]}" -gt 0 ]; then
  echo
  echo "Memory: each user waits ${THINK_MS} ms (Constant Timer) before each request, ramp-up" \
    "$(paced_rampup "$PACED_USERS") s, keep-alive $([ "$PACED_KEEPALIVE" = 0 ] && echo off || echo on); intended rate = users × 1000 / think; steady = requests started in the window ÷ its length:"
  echo
  echo "| tool | users | s | requests | errors | intended req/s | overall req/s | steady req/s (window s) | % of intended (steady) | peak RSS MiB | CPU µs/request | load1 before | % of a core used |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for row in "${paced_rows[@]}"; do
    IFS='|' read -r t u s n e i o st w rss cpu l cp <<<"$row"
    pct=$(awk -v a="$st" -v b="$i" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
    echo "| $t | $u | $s | $n | $e | $i | $o | $st ($w) | $pct % | $rss | $cpu | $l | $cp |"
  done
fi
echo
echo "Goals:"
b_rps=$(column_of barrage "$SECONDS_RUN" rps | median)
b_cpu=$(column_of barrage "$SECONDS_RUN" cpu | median)
[ "$ROUNDS" -gt 0 ] && awk -v br="$b_rps" -v bc="$b_cpu" -v wr="$wrk_rps" -v wc="$wrk_cpu" 'BEGIN {
  rr = (wr > 0 ? br / wr : 0); cr = (wc > 0 ? bc / wc : 0)
  printf "- throughput: barrage %.0f req/s = %.2f × wrk (goal ≥ 0.80): %s; CPU %.1f µs/request = %.2f × wrk (goal ≤ 2.00): %s\n",
    br, rr, (rr >= 0.8 ? "met" : "MISSED"), bc, cr, (cr <= 2.0 ? "met" : "MISSED") }'
if [ "$HOSTNAME_RUNS" = 1 ] && [ "$ROUNDS" -gt 0 ]; then
  hb_rps=$(column_of "barrage (localhost)" "$SECONDS_RUN" rps | median)
  hb_cpu=$(column_of "barrage (localhost)" "$SECONDS_RUN" cpu | median)
  hw_rps=$(column_of "wrk (localhost)" "$SECONDS_RUN" rps | median)
  hw_cpu=$(column_of "wrk (localhost)" "$SECONDS_RUN" cpu | median)
  awk -v br="$hb_rps" -v bc="$hb_cpu" -v wr="$hw_rps" -v wc="$hw_cpu" 'BEGIN {
    rr = (wr > 0 ? br / wr : 0); cr = (wc > 0 ? bc / wc : 0)
    printf "- host name: barrage (localhost) %.0f req/s = %.2f × wrk (localhost) (goal ≥ 0.90): %s; CPU %.1f µs/request = %.2f × wrk (goal ≤ 1.20): %s\n",
      br, rr, (rr >= 0.9 ? "met" : "MISSED"), bc, cr, (cr <= 1.2 ? "met" : "MISSED") }'
fi
for row in "${paced_rows[@]}"; do
  IFS='|' read -r t u s n e i o st w rss cpu l _ <<<"$row"
  [ "$t" = barrage ] || continue
  awk -v u="$u" -v rss="$rss" -v st="$st" -v i="$i" 'BEGIN {
    pct = (i > 0 ? 100 * st / i : 0); mb = rss * 1.048576
    # Issue 3: 10,000 users in 300 MB at 95 %; issue 12: 100,000 users in 1 GiB at 99 %.
    big = (u >= 100000); goal_mib = (big ? 1024 : 300 / 1.048576); goal_pct = (big ? 99 : 95)
    printf "- memory: %d users in %.1f MiB (%.0f MB) peak RSS (goal ≤ %.0f MiB): %s; %.1f %% of the intended rate (goal ≥ %d %%): %s\n",
      u, rss, mb, goal_mib, (rss <= goal_mib ? "met" : "MISSED"), pct, goal_pct, (pct >= goal_pct ? "met" : "MISSED") }'
done
# The HTTP/2 variant (h2load vs barrage -Jbarrage.http2=true over TLS): bench/run_bench_h2.sh.
if [ "${BENCH_H2:-0}" = 1 ]; then
  BENCH_ROUNDS=$ROUNDS BENCH_SECONDS=$SECONDS_RUN BENCH_VUS=$VUS BARRAGE=$BARRAGE "$here/run_bench_h2.sh"
fi
if [ "${BENCH_STARTUP:-0}" = 1 ]; then
  echo
  echo "Start-up (bench/startup_bench.sh):"
  echo
  BARRAGE=$BARRAGE "$here/startup_bench.sh"
fi
if [ "${BENCH_CO:-0}" = 1 ]; then
  echo
  echo "Coordinated omission (bench/co_bench.sh):"
  echo
  BARRAGE=$BARRAGE BENCH_JMETER=$USE_JMETER JMETER=$JMETER "$here/co_bench.sh"
fi
exit 0
}
