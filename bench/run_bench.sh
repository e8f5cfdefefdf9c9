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
#   BENCH_JMETER_PACED_USERS (1000)  JMeter threads in the memory run; 0 skips it
#   BENCH_JMETER (auto)         0 skips JMeter entirely
#   BARRAGE (build-bench/bin/barrage, built in Release when missing)
#   JMETER (../shared/jmeter/jmeter213 next to the repository)
#   BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1)  cores for nginx and for the generators
#   BENCH_KEEP (0)              1 keeps the temp dir (JTLs, logs) for inspection
#   BARRAGE_HTTP_CLIENT         "curl" makes barrage send every request through libcurl instead of
#                               its own HTTP/1.1 keep-alive path (worker/http1_connection.h)
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
THINK_MS=1000

command_line="$(for v in BENCH_ROUNDS BENCH_SECONDS BENCH_LONG_SECONDS BENCH_VUS BENCH_PACED_SECONDS \
  BENCH_PACED_USERS BENCH_JMETER_PACED_USERS BENCH_JMETER BENCH_SERVER_CPU BENCH_CLIENT_CPU BARRAGE_HTTP_CLIENT; do
  if [ -n "${!v:-}" ]; then printf "%s=%s " "$v" "${!v}"; fi; done)bench/run_bench.sh"

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" -eq 0 ] || die "run as root (apt-get, ulimit -n, nginx)"
[ "$(nproc)" -ge 2 ] || die "needs at least 2 cores (nginx on one, the generator on the other)"

need_pkgs=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
[ -x /usr/bin/time ] || need_pkgs+=(time)
command -v taskset >/dev/null 2>&1 || need_pkgs+=(util-linux)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
# JMeter 2.13 from Debian, when the jmeter213 wrapper (which fixes its XStream) is there.
if [ "$USE_JMETER" != 0 ] && [ -x "$JMETER" ] && [ ! -x /usr/bin/jmeter ]; then need_pkgs+=(jmeter jmeter-http); fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  if ! apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null; then
    # nginx-light is gone from some releases: fall back to plain nginx.
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]/nginx-light/nginx}" >/dev/null
  fi
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
# Debian's nginx package starts a system nginx on port 80; we never touch it, ours has its own prefix.

if [ ! -x "$BARRAGE" ]; then
  log "building barrage (Release) into $repo/build-bench"
  cmake -S "$repo" -B "$repo/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$repo/build-bench" --target barrage >/dev/null
fi
[ -x "$BARRAGE" ] || die "no barrage binary at $BARRAGE"

if [ "$USE_JMETER" = auto ]; then
  if [ -x "$JMETER" ] && [ -x /usr/bin/jmeter ]; then USE_JMETER=1; else
    log "JMeter skipped: $JMETER or /usr/bin/jmeter missing (apt-get install jmeter jmeter-http)"
    USE_JMETER=0
  fi
fi

# Many sockets in the memory run: raise the descriptor limit (as far as the hard limit, which a
# container may pin) for us and every child.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n); [ "$nofile" = unlimited ] && nofile=1048576
[ "$nofile" -ge $((PACED_USERS + 1000)) ] || log "warning: only $nofile descriptors per process for $PACED_USERS users"

# ---------------------------------------------------------------- temp dir and cleanup
tmp_base=/dev/shm
[ -d "$tmp_base" ] && [ -w "$tmp_base" ] || tmp_base=${TMPDIR:-/tmp}
work=$(mktemp -d "$tmp_base/barrage-bench.XXXXXX")
chmod 755 "$work"  # nginx's worker runs as nobody and must read the static file
cd "$work"  # JMeter writes jmeter.log and friends into the working directory
nginx_pid=""
run_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$run_pid" ]; then
    # Each run is a session of its own (setsid): stop the whole group it leads.
    kill -TERM -- "-$run_pid" 2>/dev/null || kill -TERM "$run_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  if [ -n "$nginx_pid" ]; then
    kill -TERM "$nginx_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$nginx_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- nginx
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 1 200); do
  p=$((20000 + RANDOM % 20000))
  if port_free "$p"; then port=$p; break; fi
done
[ -n "$port" ] || die "no free port found"

mkdir -p "$work/nginx/html" "$work/nginx/logs" "$work/nginx/tmp"
# Exactly 100 bytes: 99 characters and a newline.
printf '%s\n' "$(printf 'barrage-bench-100-byte-body-%.0s' 1 2 3 4 | cut -c1-99)" > "$work/nginx/html/100.txt"
[ "$(stat -c %s "$work/nginx/html/100.txt")" -eq 100 ] || die "static file is not 100 bytes"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $nofile;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events {
  worker_connections $(( nofile > 65536 ? 65536 : nofile - 16 ));
  use epoll;
}
http {
  access_log off;
  default_type text/plain;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  open_file_cache max=16;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$port backlog=16384;
    root $work/nginx/html;
    location / { }
  }
}
EOF
taskset -c "$SERVER_CPU" "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" </dev/null \
  >"$work/nginx/logs/stdout.log" 2>&1 &
nginx_pid=$!
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/100.txt" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/logs/"*.log >&2; die "nginx did not start"; }
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/100.txt" || die "nginx does not answer on $port"
url="http://127.0.0.1:$port/100.txt"
log "nginx pid $nginx_pid on $url (core $SERVER_CPU); work dir $work"

# ---------------------------------------------------------------- helpers
# run_measured NAME CMD...: runs CMD pinned to the client core under /usr/bin/time -v, in a session
# of its own (so cleanup can stop it and its children), output in $work/NAME.{out,time}.
run_measured() {
  local name=$1; shift
  setsid taskset -c "$CLIENT_CPU" /usr/bin/time -v -o "$work/$name.time" "$@" \
    </dev/null >"$work/$name.out" 2>&1 &
  run_pid=$!
  local rc=0
  wait "$run_pid" || rc=$?
  run_pid=""
  return "$rc"
}
time_field() { awk -F': ' -v k="$2" '{ sub(/^[ \t]+/, "", $1) } $1 == k { print $2 }' "$1"; }
cpu_seconds() { echo "$(time_field "$1" 'User time (seconds)') $(time_field "$1" 'System time (seconds)')" | awk '{printf "%.2f", $1 + $2}'; }
rss_mib() { time_field "$1" 'Maximum resident set size (kbytes)' | awk '{printf "%.1f", $1 / 1024}'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# Share of a core the run got (user+sys over wall time): well under 100 % for a generator that
# should saturate its core means other processes took the core (or it waited on the server).
cpu_pct() { time_field "$1" 'Percent of CPU this job got' | tr -d '%'; }

# JMeter 2.13 JTL (CSV, no header): requests, errors, span-based req/s (JMeter's Aggregate
# Report definition: N / (max(timeStamp+elapsed) - min(timeStamp))).
jtl_stats() {
  awk -F, '$1 ~ /^[0-9]+$/ { n++; if ($8 != "true") e++;
             s = $1 + 0; f = s + $2; if (min == "" || s < min) min = s; if (f > max) max = f }
           END { span = (max - min) / 1000.0; printf "%d %d %.1f\n", n, e + 0, (span > 0 ? n / span : 0) }' "$1"
}
# Steady-state rate from a JTL: samples that started between LO and HI seconds after the first.
jtl_window_rate() {
  awk -F, -v lo="$2" -v hi="$3" '$1 ~ /^[0-9]+$/ { ts[n++] = $1 + 0; if (min == "" || $1 + 0 < min) min = $1 + 0 }
           END { for (i = 0; i < n; i++) { t = (ts[i] - min) / 1000.0; if (t >= lo && t < hi) c++ }
                 printf "%.1f\n", c / (hi - lo) }' "$1"
}

rows=()      # throughput rows: tool|duration|round|requests|errors|rps|cpu_us|rss|load|cpu_pct
paced_rows=() # memory rows: tool|users|duration|requests|errors|intended|overall|steady|rss|cpu_us|load

record() { rows+=("$1|$2|$3|$4|$5|$6|$7|$8|$9|${10}"); log "$1 ${2}s round $3: $4 requests, $5 errors, $6 req/s, $7 µs CPU/request, $8 MiB peak RSS (load $9, ${10} % CPU)"; }
cpu_per_req() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? c * 1e6 / n : 0) }'; }

run_wrk() {
  local r=$1 name="wrk-$1" l; l=$(load1)
  run_measured "$name" wrk -t1 -c"$VUS" -d"${SECONDS_RUN}s" "$url" || die "wrk failed: $(cat "$work/$name.out")"
  local n rps errs
  n=$(awk '/requests in/ {print $1}' "$work/$name.out")
  rps=$(awk '/^Requests\/sec:/ {printf "%.1f", $2}' "$work/$name.out")
  errs=$(awk '/Non-2xx|Socket errors/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i } END {print s + 0}' "$work/$name.out")
  record wrk "$SECONDS_RUN" "$r" "$n" "$errs" "$rps" "$(cpu_per_req "$(cpu_seconds "$work/$name.time")" "$n")" \
    "$(rss_mib "$work/$name.time")" "$l" "$(cpu_pct "$work/$name.time")"
}

# The measured runs below set R_N (requests), R_E (errors), R_RPS, R_CPU (user+sys seconds),
# R_RSS (MiB) and R_LOAD (1-minute load average before the run). No subshells: the EXIT trap
# must see run_pid, and die must end the script.
run_jmeter() {  # run_jmeter ROUND SECONDS PLAN THREADS TAG [extra args]
  local r=$1 secs=$2 plan=$3 threads=$4 tag=$5 name="jmeter-$5-$1"; shift 5
  R_LOAD=$(load1)
  rm -f "$work/$name.jtl"
  run_measured "$name" timeout -k 10 $((secs + 180)) "$JMETER" -n -t "$plan" \
      -l "$work/$name.jtl" -j "$work/$name.log" \
      -Jhost=127.0.0.1 -Jport="$port" -Jthreads="$threads" -Jduration="$secs" \
      -Jsummariser.interval=5 "$@" || die "JMeter failed: $(tail -5 "$work/$name.out")"
  [ -s "$work/$name.jtl" ] || die "JMeter wrote no JTL (see $work/$name.out, $work/$name.log)"
  read -r R_N R_E R_RPS < <(jtl_stats "$work/$name.jtl")
  R_CPU=$(cpu_seconds "$work/$name.time"); R_RSS=$(rss_mib "$work/$name.time"); R_PCT=$(cpu_pct "$work/$name.time")
}

run_barrage() {  # run_barrage NAME PLAN THREADS SECONDS [extra args]
  local name=$1 plan=$2 threads=$3 secs=$4; shift 4
  R_LOAD=$(load1)
  rm -f "$work/$name.db" "$work/$name.db-wal" "$work/$name.db-shm"
  run_measured "$name" "$BARRAGE" run "$plan" -J host=127.0.0.1 -J "port=$port" -J "threads=$threads" \
    -J "duration=$secs" --db "$work/$name.db" --quiet --threads 1 "$@" \
    || die "barrage failed: $(tail -5 "$work/$name.out")"
  local last
  last=$(grep -E '^barrage: run [0-9]+ ' "$work/$name.out" | tail -1)
  R_N=$(sed -nE 's/.*: ([0-9]+) samples, ([0-9]+) errors.*/\1/p' <<<"$last")
  R_E=$(sed -nE 's/.*: ([0-9]+) samples, ([0-9]+) errors.*/\2/p' <<<"$last")
  [ -n "$R_N" ] || die "no final line from barrage: $(tail -5 "$work/$name.out")"
  # The Aggregate Report's TOTAL throughput, N / (last end - first start), like JMeter's: the
  # third cell from the right (Throughput, Received KB/sec, Sent KB/sec), e.g. 12,345.6/sec.
  R_RPS=$(awk '$1 == "TOTAL" { v = $(NF - 2) } END { print v }' "$work/$name.out")
  case $R_RPS in
    */sec) R_RPS=${R_RPS%/sec}; R_RPS=${R_RPS//,/} ;;
    *) R_RPS=$(awk -v n="$R_N" -v s="$secs" 'BEGIN { printf "%.1f", n / s }') ;;
  esac
  R_CPU=$(cpu_seconds "$work/$name.time"); R_RSS=$(rss_mib "$work/$name.time"); R_PCT=$(cpu_pct "$work/$name.time")
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
    run_jmeter "$r" "$SECONDS_RUN" "$http_plan" "$VUS" short
    record "JMeter 2.13" "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  fi
  run_barrage "barrage-$r" "$http_plan" "$VUS" "$SECONDS_RUN"
  record barrage "$SECONDS_RUN" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
done
if [ "$USE_JMETER" = 1 ] && [ "$LONG_SECONDS" -gt 0 ]; then
  for r in $(seq 1 "$ROUNDS"); do
    run_jmeter "$r" "$LONG_SECONDS" "$http_plan" "$VUS" long
    record "JMeter 2.13" "$LONG_SECONDS" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  done
fi

# ---------------------------------------------------------------- memory (paced) runs
# Users start 1 ms apart (ramp-up users/1000 s), spreading them evenly over the 1 s cycle.
paced_rampup() { local r=$(( $1 / 1000 )); [ "$r" -ge 1 ] || r=1; echo "$r"; }
paced_record() {  # tool users secs jtl (plus the R_* of the run)
  local tool=$1 users=$2 secs=$3 jtl=$4 cpu=$R_CPU rss=$R_RSS l=$R_LOAD
  local n e span_rps steady intended lo hi
  read -r n e span_rps < <(jtl_stats "$jtl")
  intended=$(awk -v u="$users" -v t="$THINK_MS" 'BEGIN { printf "%.0f", u * 1000 / t }')
  # Steady state: from 2 s after the last user started (ramp-up, then its first 1 s timer)
  # to 3 s before the end (users stop at the end of the schedule).
  lo=$(( $(paced_rampup "$users") + 2 )); hi=$((secs - 3)); [ "$hi" -gt "$lo" ] || { lo=$((secs / 2)); hi=$secs; }
  steady=$(jtl_window_rate "$jtl" "$lo" "$hi")
  local overall; overall=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
  paced_rows+=("$tool|$users|$secs|$n|$e|$intended|$overall|$steady|$lo–$hi|$rss|$(cpu_per_req "$cpu" "$n")|$l|$R_PCT")
  log "$tool paced $users users ${secs}s: $n requests, $e errors, steady $steady req/s of $intended, overall $overall, $rss MiB peak RSS"
}
if [ "$PACED_SECONDS" -gt 0 ]; then
  run_barrage barrage-paced "$paced_plan" "$PACED_USERS" "$PACED_SECONDS" \
    -J "rampup=$(paced_rampup "$PACED_USERS")" -l "$work/barrage-paced.jtl"
  paced_record barrage "$PACED_USERS" "$PACED_SECONDS" "$work/barrage-paced.jtl"
  if [ "$USE_JMETER" = 1 ] && [ "$JMETER_PACED_USERS" -gt 0 ]; then
    run_jmeter 1 "$PACED_SECONDS" "$paced_plan" "$JMETER_PACED_USERS" paced \
      -Jrampup="$(paced_rampup "$JMETER_PACED_USERS")"
    paced_record "JMeter 2.13" "$JMETER_PACED_USERS" "$PACED_SECONDS" "$work/jmeter-paced-1.jtl"
  fi
fi
end_load=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit } if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
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
echo "Throughput, $VUS connections / threads, no think time, 100-byte static file, keep-alive:"
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
  echo "Memory: each user waits ${THINK_MS} ms (Constant Timer) before each request, users start 1 ms apart" \
    "(ramp-up users/1000 s); intended rate = users/s; steady = requests started in the window ÷ its length:"
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
awk -v br="$b_rps" -v bc="$b_cpu" -v wr="$wrk_rps" -v wc="$wrk_cpu" 'BEGIN {
  rr = (wr > 0 ? br / wr : 0); cr = (wc > 0 ? bc / wc : 0)
  printf "- throughput: barrage %.0f req/s = %.2f × wrk (goal ≥ 0.80): %s; CPU %.1f µs/request = %.2f × wrk (goal ≤ 2.00): %s\n",
    br, rr, (rr >= 0.8 ? "met" : "MISSED"), bc, cr, (cr <= 2.0 ? "met" : "MISSED") }'
for row in "${paced_rows[@]}"; do
  IFS='|' read -r t u s n e i o st w rss cpu l _ <<<"$row"
  [ "$t" = barrage ] || continue
  awk -v u="$u" -v rss="$rss" -v st="$st" -v i="$i" 'BEGIN {
    pct = (i > 0 ? 100 * st / i : 0); mb = rss * 1.048576
    printf "- memory: %d users in %.1f MiB (%.0f MB) peak RSS (goal ≤ 300 MB): %s; %.1f %% of the intended rate (goal ≥ 95 %%): %s\n",
      u, rss, mb, (mb <= 300 ? "met" : "MISSED"), pct, (pct >= 95 ? "met" : "MISSED") }'
done
exit 0
}
