# shellcheck shell=bash disable=SC2154  # sourced: repo, work, port... are the caller's or set here
# Shared by bench/run_bench.sh and bench/script_bench.sh (sourced, never run): prerequisites, a
# private nginx on loopback, runs of JMeter 2.13 and barrage pinned to a core under
# /usr/bin/time -v, and the numbers read from them.
#
# The caller sets, before bench_setup: SERVER_CPU, CLIENT_CPU, BARRAGE, JMETER, USE_JMETER
# (auto/0/1), PACED_USERS (descriptors needed). bench_setup installs what is missing (as root,
# Debian packages; extra package names as its arguments), makes the work dir ($work, on tmpfs,
# the current directory from then on) and the EXIT trap that stops the running measured process
# group and nginx by PID. start_nginx serves $work/nginx/html on 127.0.0.1:$port (sets
# nginx_pid, port, base_url). Measured runs set R_N (requests), R_E (errors), R_RPS, R_CPU
# (user+sys seconds), R_RSS (MiB), R_PCT (% of a core) and R_LOAD (1-minute load before).

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

bench_setup() {  # bench_setup [extra Debian packages...]
  [ "$(id -u)" -eq 0 ] || die "run as root (apt-get, ulimit -n, nginx)"
  [ "$(nproc)" -ge 2 ] || die "needs at least 2 cores (nginx on one, the generator on the other)"

  local need_pkgs=("$@")
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_pkgs+=(nginx-light)
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

  # Relative paths are the caller's: the runs happen in the work dir.
  case $BARRAGE in /*) ;; *) BARRAGE=$PWD/$BARRAGE ;; esac
  case $JMETER in /*) ;; *) JMETER=$PWD/$JMETER ;; esac
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

  local tmp_base=/dev/shm
  [ -d "$tmp_base" ] && [ -w "$tmp_base" ] || tmp_base=${TMPDIR:-/tmp}
  work=$(mktemp -d "$tmp_base/barrage-bench.XXXXXX")
  chmod 755 "$work"  # nginx's worker runs as nobody and must read the static files
  cd "$work" || die "cannot enter $work"  # JMeter writes jmeter.log and friends into the working directory
  nginx_pid=""
  run_pid=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mkdir -p "$work/nginx/html" "$work/nginx/logs" "$work/nginx/tmp"
}

bench_cleanup() {
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

# Serves $work/nginx/html (the caller's files) on a free loopback port, pinned to SERVER_CPU.
# With BENCH_TLS=1: HTTPS (TLS 1.2/1.3, a self-signed EC P-256 certificate made here with
# openssl, session tickets on, as nginx's defaults) and base_url https://...
start_nginx() {
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  # Below the ephemeral range: a port some client socket of an earlier run still holds (10,000
  # connections leave as many in TIME_WAIT) answers no connect yet fails nginx's bind.
  local lo_port hi_port p
  read -r lo_port _ < /proc/sys/net/ipv4/ip_local_port_range
  hi_port=$(( lo_port > 12000 ? lo_port : 40000 ))
  port=""
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (hi_port - 10000)))
    if port_free "$p"; then port=$p; break; fi
  done
  [ -n "$port" ] || die "no free port found"
  local listen_tls="" tls_conf="" scheme=http
  if [ "${BENCH_TLS:-0}" = 1 ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
      -keyout "$work/nginx/key.pem" -out "$work/nginx/cert.pem" >/dev/null 2>&1 || die "openssl req failed"
    listen_tls=" ssl"
    tls_conf="ssl_certificate $work/nginx/cert.pem; ssl_certificate_key $work/nginx/key.pem;"
    scheme=https
  fi
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
  types { application/json json; }
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  open_file_cache max=16;
  gzip on;                 # only for clients sending Accept-Encoding (run_bench.sh's gzip runs)
  gzip_types text/plain;
  gzip_min_length 0;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$port$listen_tls backlog=16384;
    $tls_conf
    root $work/nginx/html;
    location / { }
    # run_bench.sh BENCH_COOKIES: the static file with a cookie
    location = /cookie/100.txt { alias $work/nginx/html/100.txt; add_header Set-Cookie "session=bench-user; Path=/"; }
  }
}
EOF
  taskset -c "$SERVER_CPU" "$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" </dev/null \
    >"$work/nginx/logs/stdout.log" 2>&1 &
  nginx_pid=$!
  base_url="$scheme://127.0.0.1:$port"
  local probe
  probe=$(cd "$work/nginx/html" && ls | head -1)
  for _ in $(seq 1 50); do
    curl -kfsS -o /dev/null "$base_url/$probe" 2>/dev/null && break
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/logs/"*.log >&2; die "nginx did not start"; }
    sleep 0.1
  done
  curl -kfsS -o /dev/null "$base_url/$probe" || die "nginx does not answer on $port"
  log "nginx pid $nginx_pid on $base_url (core $SERVER_CPU); work dir $work"
}

# run_measured NAME CMD...: runs CMD pinned to the client core under /usr/bin/time -v, in a session
# of its own (so cleanup can stop it and its children), output in $work/NAME.{out,time}.
# With WINDOW="LO HI" (seconds after the start), also writes $work/NAME.win: two lines "epoch_ms
# cpu_ticks" read LO and HI s into the run, the CPU of every process of its session then (see
# window_cpu_per_sample).
run_measured() {
  local name=$1; shift
  setsid taskset -c "$CLIENT_CPU" /usr/bin/time -v -o "$work/$name.time" "$@" \
    </dev/null >"$work/$name.out" 2>&1 &
  run_pid=$!
  local probe_pid="" rc=0
  if [ -n "${WINDOW:-}" ]; then
    local lo hi
    read -r lo hi <<<"$WINDOW"
    ( sleep "$lo"; echo "$(date +%s%3N) $(session_cpu_ticks "$run_pid")"
      sleep $((hi - lo)); echo "$(date +%s%3N) $(session_cpu_ticks "$run_pid")" ) >"$work/$name.win" &
    probe_pid=$!
  fi
  wait "$run_pid" || rc=$?
  run_pid=""
  if [ -n "$probe_pid" ]; then kill "$probe_pid" 2>/dev/null || true; wait "$probe_pid" 2>/dev/null || true; fi
  return "$rc"
}
# User+system clock ticks of the processes in session SID (those alive now).
session_cpu_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$1" '{ sub(/^.*\) /, "") } $4 == sid { t += $12 + $13 } END { print t + 0 }'
}
# window_cpu_per_sample NAME JTL: µs of CPU per sample between the two reads of NAME.win (samples
# that ended in between, from the JTL); "" when the run ended before the window did.
window_cpu_per_sample() {
  [ "$(wc -l <"$work/$1.win" 2>/dev/null || echo 0)" -eq 2 ] || return 0
  local hz; hz=$(getconf CLK_TCK)
  awk -F, -v hz="$hz" -v win="$work/$1.win" 'BEGIN { getline l < win; split(l, a, " "); getline l < win; split(l, b, " ")
             t0 = a[1]; t1 = b[1]; cpu = (b[2] - a[2]) / hz }
           $1 ~ /^[0-9]+$/ { e = $1 + $2; if (e >= t0 && e < t1) n++ }
           END { if (n > 0) printf "%.1f\n", cpu * 1e6 / n }' "$2"
}
time_field() { awk -F': ' -v k="$2" '{ sub(/^[ \t]+/, "", $1) } $1 == k { print $2 }' "$1"; }
cpu_seconds() { echo "$(time_field "$1" 'User time (seconds)') $(time_field "$1" 'System time (seconds)')" | awk '{printf "%.2f", $1 + $2}'; }
rss_mib() { time_field "$1" 'Maximum resident set size (kbytes)' | awk '{printf "%.1f", $1 / 1024}'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
# Share of a core the run got (user+sys over wall time): well under 100 % for a generator that
# should saturate its core means other processes took the core (or it waited on the server).
cpu_pct() { time_field "$1" 'Percent of CPU this job got' | tr -d '%'; }
cpu_per_req() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? c * 1e6 / n : 0) }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit } if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

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

run_jmeter() {  # run_jmeter ROUND SECONDS PLAN THREADS TAG [extra args]: output jmeter-TAG-ROUND.*
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

# Users start 1 ms apart (ramp-up users/1000 s), spreading them evenly over a 1 s cycle;
# PACED_RAMPUP (s), when set, instead.
paced_rampup() {
  if [ -n "${PACED_RAMPUP:-}" ]; then echo "$PACED_RAMPUP"; return; fi
  local r=$(( $1 / 1000 )); [ "$r" -ge 1 ] || r=1; echo "$r"
}

# paced_record TOOL USERS SECS JTL: a paced run (each user waits THINK_MS before each request) as a
# row of paced_rows: tool|users|s|requests|errors|intended|overall|steady|window|rss|cpu_us|load|pct.
paced_record() {  # tool users secs jtl (plus the R_* of the run)
  local tool=$1 users=$2 secs=$3 jtl=$4 cpu=$R_CPU rss=$R_RSS l=$R_LOAD
  local n e span_rps steady intended lo hi
  read -r n e span_rps < <(jtl_stats "$jtl")
  intended=$(awk -v u="$users" -v t="$THINK_MS" 'BEGIN { printf "%.0f", u * 1000 / t }')
  # Steady state, in seconds after the first sample (which comes one timer after the start):
  # from 2 s after the last user's first request (ramp-up) to 2 s before the last request
  # (the schedule's end, one timer less).
  lo=$(( $(paced_rampup "$users") + 2 )); hi=$((secs - (THINK_MS + 999) / 1000 - 2)); [ "$hi" -gt "$lo" ] || { lo=$((secs / 2)); hi=$secs; }
  steady=$(jtl_window_rate "$jtl" "$lo" "$hi")
  local overall; overall=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
  paced_rows+=("$tool|$users|$secs|$n|$e|$intended|$overall|$steady|$lo–$hi|$rss|$(cpu_per_req "$cpu" "$n")|$l|$R_PCT")
  log "$tool paced $users users ${secs}s: $n requests, $e errors, steady $steady req/s of $intended, overall $overall, $rss MiB peak RSS"
}
