#!/usr/bin/env bash
# HTTP/2 benchmark (issue 12 item 4): Barrage with -Jbarrage.http2=true vs h2load (nghttp2-client)
# against a local nginx serving h2 over TLS, with Barrage's and wrk's HTTP/1.1 over TLS beside
# them. Started from bench/run_bench.sh with BENCH_H2=1, or on its own.
#
# As root on Debian 12 (installs nginx-light, wrk and nghttp2-client with apt-get when missing):
#   bench/run_bench_h2.sh                                # 3 rounds of 15 s
#   BENCH_ROUNDS=1 BENCH_SECONDS=5 bench/run_bench_h2.sh
#
# nginx (own prefix and config in a temp dir, worker_processes 1, access log off, a self-signed
# P-256 certificate made with the openssl CLI, `listen ssl http2`, a static 100-byte file) runs
# pinned to core 0; every generator runs pinned to core 1, one after the other, per round:
#   h2load  -c1 -m50: one connection, 50 concurrent streams, the shape of Barrage's 50 users on
#           one event loop (they multiplex on one connection)
#   barrage 50 users, --threads 1, bench/plans/https_50vu.jmx, -Jbarrage.http2=true
#   barrage the same without the property (HTTP/1.1 over TLS through libcurl, 50 connections)
#   wrk     -t1 -c50 over TLS (HTTP/1.1)
# For each: req/s, CPU µs per request (user+sys from /usr/bin/time -v ÷ requests), peak RSS.
#
# Environment: BENCH_ROUNDS (3), BENCH_SECONDS (15), BENCH_VUS (50), BARRAGE
# (build-bench/bin/barrage, built in Release when missing), BENCH_SERVER_CPU (0),
# BENCH_CLIENT_CPU (1), BENCH_KEEP (0: 1 keeps the temp dir).
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_RUN=${BENCH_SECONDS:-15}
VUS=${BENCH_VUS:-50}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
BARRAGE=${BARRAGE:-$repo/build-bench/bin/barrage}
JMETER=/nonexistent
USE_JMETER=0
PACED_USERS=0

command_line="$(for v in BENCH_ROUNDS BENCH_SECONDS BENCH_VUS BENCH_SERVER_CPU BENCH_CLIENT_CPU; do
  if [ -n "${!v:-}" ]; then printf "%s=%s " "$v" "${!v}"; fi; done)bench/run_bench_h2.sh"

. "$here/bench_lib.sh"
extra=()
command -v wrk >/dev/null 2>&1 || extra+=(wrk)
command -v h2load >/dev/null 2>&1 || extra+=(nghttp2-client)
command -v openssl >/dev/null 2>&1 || extra+=(openssl)
bench_setup "${extra[@]}"
printf '%s\n' "$(printf 'barrage-bench-100-byte-body-%.0s' 1 2 3 4 | cut -c1-99)" > "$work/nginx/html/100.txt"
[ "$(stat -c %s "$work/nginx/html/100.txt")" -eq 100 ] || die "static file is not 100 bytes"

# ---------------------------------------------------------------- nginx with TLS + h2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -days 2 \
  -keyout "$work/nginx/key.pem" -out "$work/nginx/cert.pem" 2>/dev/null || die "openssl could not make a certificate"
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 1 200); do
  p=$((10000 + RANDOM % 20000))
  if port_free "$p"; then port=$p; break; fi
done
[ -n "$port" ] || die "no free port found"
cat > "$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; use epoll; }
http {
  access_log off;
  default_type text/plain;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  http2_max_requests 1000000;
  http2_max_concurrent_streams 128;
  ssl_session_cache shared:SSL:1m;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$port ssl http2 backlog=4096;
    ssl_certificate $work/nginx/cert.pem;
    ssl_certificate_key $work/nginx/key.pem;
    root $work/nginx/html;
    location / { }
  }
}
EOF
taskset -c "$SERVER_CPU" "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" </dev/null \
  >"$work/nginx/logs/stdout.log" 2>&1 &
nginx_pid=$!
url="https://127.0.0.1:$port/100.txt"
for _ in $(seq 1 50); do
  curl -kfsS -o /dev/null "$url" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/logs/"*.log >&2; die "nginx did not start"; }
  sleep 0.1
done
[ "$(curl -ksS --http2 -o /dev/null -w '%{http_version}' "$url")" = 2 ] || die "nginx does not answer h2 on $port"
log "nginx pid $nginx_pid on $url (core $SERVER_CPU); work dir $work"

# ---------------------------------------------------------------- runs
rows=()  # tool|round|requests|errors|rps|cpu_us|rss|load|pct
record() { rows+=("$1|$2|$3|$4|$5|$6|$7|$8|$9"); log "$1 round $2: $3 requests, $4 errors, $5 req/s, $6 µs CPU/request, $7 MiB (load $8, $9 % CPU)"; }

run_h2load() {
  local r=$1 name="h2load-$1" l; l=$(load1)
  run_measured "$name" h2load -D "$SECONDS_RUN" -c1 -m"$VUS" -t1 "$url" || die "h2load failed: $(tail -5 "$work/$name.out")"
  local n e rps
  n=$(awk '/^requests:/ {print $6}' "$work/$name.out")     # "requests: T total, S started, D done, N succeeded, ..."
  e=$(awk '/^requests:/ {print $2 - $8}' "$work/$name.out")
  rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' "$work/$name.out")
  record "h2load -c1 -m$VUS (h2)" "$r" "$n" "$e" "$rps" "$(cpu_per_req "$(cpu_seconds "$work/$name.time")" "$n")" \
    "$(rss_mib "$work/$name.time")" "$l" "$(cpu_pct "$work/$name.time")"
}
run_wrk_tls() {
  local r=$1 name="wrk-$1" l; l=$(load1)
  run_measured "$name" wrk -t1 -c"$VUS" -d"${SECONDS_RUN}s" "$url" || die "wrk failed: $(cat "$work/$name.out")"
  local n rps errs
  n=$(awk '/requests in/ {print $1}' "$work/$name.out")
  rps=$(awk '/^Requests\/sec:/ {printf "%.1f", $2}' "$work/$name.out")
  errs=$(awk '/Non-2xx|Socket errors/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i } END {print s + 0}' "$work/$name.out")
  record "wrk -c$VUS (HTTP/1.1)" "$r" "$n" "$errs" "$rps" "$(cpu_per_req "$(cpu_seconds "$work/$name.time")" "$n")" \
    "$(rss_mib "$work/$name.time")" "$l" "$(cpu_pct "$work/$name.time")"
}

plan=$here/plans/https_50vu.jmx
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
for r in $(seq 1 "$ROUNDS"); do
  run_h2load "$r"
  run_barrage "barrage-h2-$r" "$plan" "$VUS" "$SECONDS_RUN" -J barrage.http2=true
  record "barrage $VUS users (h2)" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  run_barrage "barrage-h1-$r" "$plan" "$VUS" "$SECONDS_RUN"
  record "barrage $VUS users (HTTP/1.1)" "$r" "$R_N" "$R_E" "$R_RPS" "$(cpu_per_req "$R_CPU" "$R_N")" "$R_RSS" "$R_LOAD" "$R_PCT"
  run_wrk_tls "$r"
done
end_load=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
echo
echo "### HTTP/2 run $started"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), kernel $(uname -r);" \
  "load average $start_load at start, $end_load at the end."
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') (TLS 1.3, h2) on core $SERVER_CPU, generators on core $CLIENT_CPU;" \
  "$(h2load --version 2>&1 | head -1); $("$BARRAGE" --version 2>/dev/null | head -1) ($BARRAGE, repository at" \
  "$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown))."
echo
echo '```sh'
echo "$command_line"
echo '```'
echo
echo "$SECONDS_RUN s per run, 100-byte static file over TLS:"
echo
echo "| tool | round | requests | errors | req/s | CPU µs/request | peak RSS MiB | load1 before | % of a core used |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  IFS='|' read -r t r n e rps cpu rss l pct <<<"$row"
  echo "| $t | $r | $n | $e | $rps | $cpu | $rss | $l | $pct |"
done
echo
echo "Medians:"
echo
echo "| tool | req/s | CPU µs/request | × h2load CPU |"
echo "|---|---:|---:|---:|"
# Below ~90 % of a core, a generator did not get its core (a loaded machine): compare CPU per
# request, not req/s.
declare -A seen=()
h2_cpu=""
for row in "${rows[@]}"; do
  IFS='|' read -r t _ <<<"$row"
  [ -n "${seen[$t]:-}" ] && continue
  seen[$t]=1
  rps=$(for x in "${rows[@]}"; do IFS='|' read -r tt _ _ _ v _ <<<"$x"; if [ "$tt" = "$t" ]; then echo "$v"; fi; done | median)
  cpu=$(for x in "${rows[@]}"; do IFS='|' read -r tt _ _ _ _ v _ <<<"$x"; if [ "$tt" = "$t" ]; then echo "$v"; fi; done | median)
  [ -z "$h2_cpu" ] && h2_cpu=$cpu
  awk -v t="$t" -v rps="$rps" -v cpu="$cpu" -v hc="$h2_cpu" \
    'BEGIN { printf "| %s | %.0f | %.1f | %.2f |\n", t, rps, cpu, (hc > 0 ? cpu / hc : 0) }'
done
}
