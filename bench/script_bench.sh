#!/usr/bin/env bash
# Script benchmark (issue 11): what a JSR223 PostProcessor costs per call in barrage and in real
# JMeter 2.13, and the memory of many users with a script each, against a local nginx.
#
# As root on Debian 12 (installs nginx-light with apt-get when missing):
#   BARRAGE=build-rel/bin/barrage bench/script_bench.sh          # ≈ 2.5 minutes
#   BENCH_ROUNDS=3 BENCH_SECONDS=30 BARRAGE=build-rel/bin/barrage bench/script_bench.sh
#
# The plan, bench/plans/script_json.jmx: each user GETs a 662-byte JSON document (keep-alive) and
# a Groovy JSR223 PostProcessor parses it with JsonSlurper and puts two values into vars (JMeter
# 2.13's "Cache compiled script" on). Its twin without the PostProcessor is derived here by
# deleting that element. nginx (worker_processes 1, as bench/run_bench.sh's) runs on
# SERVER_CPU, every generator on CLIENT_CPU, one after the other:
#   throughput, per round: barrage without / with the script / with an empty script (`null`:
#     what a call costs besides the script's work), then JMeter 2.13 without / with
#     (BENCH_VUS users, no think time, BENCH_SECONDS each). CPU µs per request = user+sys of the
#     process (/usr/bin/time -v) ÷ samples; the script's cost per call = with − without.
#   script alone: the same Groovy body in a loop in one warm JVM (groovy, bench/script_cost.groovy,
#     thread CPU time), the floor any host can reach; barrage's per-call cost above it is plumbing.
#   memory: barrage with the script and BENCH_PACED_USERS users (each paced by a 1 s Constant
#     Timer, users 1 ms apart) for BENCH_PACED_SECONDS, and without the script at the largest count.
# Prints Markdown tables (and the command) ready to paste into bench/RESULTS.md. Exits non-zero
# when a run has errors or a script failed ("Problem in ..." in barrage's or JMeter's log).
#
# Environment:
#   BENCH_ROUNDS (1)                 rounds of the throughput runs
#   BENCH_SECONDS (15)               duration of each throughput run (every tool the same)
#   BENCH_VUS (50)                   users of the throughput runs
#   BENCH_PACED_SECONDS (20)         duration of each memory run; 0 skips them
#   BENCH_PACED_USERS ("1000 10000") users of the memory runs with the script
#   BENCH_SCRIPT_ALONE_SECONDS (5)   duration of the script-alone loop; 0 skips it
#   BENCH_JMETER (auto)              0 skips JMeter
#   BARRAGE (build-bench/bin/barrage, built in Release when missing), JMETER (../shared/jmeter/jmeter213)
#   BENCH_SERVER_CPU (0), BENCH_CLIENT_CPU (1), BENCH_KEEP (0: 1 keeps the work dir)
# The whole script is one compound command, so bash reads all of it before running any.
{
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

ROUNDS=${BENCH_ROUNDS:-1}
SECONDS_RUN=${BENCH_SECONDS:-15}
VUS=${BENCH_VUS:-50}
PACED_SECONDS=${BENCH_PACED_SECONDS:-20}
PACED_LIST=${BENCH_PACED_USERS:-1000 10000}
ALONE_SECONDS=${BENCH_SCRIPT_ALONE_SECONDS:-5}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
BARRAGE=${BARRAGE:-$repo/build-bench/bin/barrage}
JMETER=${JMETER:-$(cd "$repo/.." && pwd)/shared/jmeter/jmeter213}
USE_JMETER=${BENCH_JMETER:-auto}
THINK_MS=1000
PACED_USERS=0
for u in $PACED_LIST; do [ "$u" -gt "$PACED_USERS" ] && PACED_USERS=$u; done

command_line="$(for v in BENCH_ROUNDS BENCH_SECONDS BENCH_VUS BENCH_PACED_SECONDS BENCH_PACED_USERS \
  BENCH_SCRIPT_ALONE_SECONDS BENCH_JMETER BENCH_SERVER_CPU BENCH_CLIENT_CPU BARRAGE; do
  if [ -n "${!v:-}" ]; then printf "%s=%q " "$v" "${!v}"; fi; done)bench/script_bench.sh"

. "$here/bench_lib.sh"
bench_setup
if [ "$ALONE_SECONDS" -gt 0 ] && ! command -v groovy >/dev/null 2>&1; then
  log "script-alone loop skipped: no groovy (apt-get install groovy)"; ALONE_SECONDS=0
fi
# Debian's groovy needs JAVA_HOME; the JDK 17 that barrage's script host uses too.
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ]; then
  for j in /usr/lib/jvm/java-17-openjdk-*; do [ -x "$j/bin/java" ] && export JAVA_HOME=$j && break; done
fi

# The JSON document: an order as an API would return it (662 bytes).
cat > "$work/nginx/html/order.json" <<'EOF'
{"order":{"id":48213977,"status":"CONFIRMED","created":"2026-12-04T21:43:56Z","currency":"EUR",
"customer":{"id":"c-5512","name":"Ada Lovelace","email":"ada@example.com","tier":"gold"},
"lines":[{"sku":"SKU-1001","title":"Analytical engine manual","qty":1,"price":49.90},
{"sku":"SKU-2002","title":"Punched cards, box of 500","qty":3,"price":12.50},
{"sku":"SKU-3003","title":"Brass gear set","qty":2,"price":88.00}],
"shipping":{"method":"express","price":9.95,"address":{"street":"12 St James's Square",
"city":"London","zip":"SW1Y 4JH","country":"GB"}},"total":273.35},
"session":{"token":"eyJhbGciOiJIUzI1NiJ9.c2NyaXB0LWJlbmNo.Zm9vYmFyYmF6","expires":3600}}
EOF
start_nginx

script_plan=$here/plans/script_json.jmx
plain_plan=$work/script_json_plain.jmx
# The same plan without the PostProcessor: the element and the empty hashTree after it.
awk '/<JSR223PostProcessor/ { skip = 1 } skip && /<\/JSR223PostProcessor>/ { skip = 0; drop_tree = 1; next }
     skip { next } drop_tree && /^[ \t]*<hashTree\/>[ \t]*$/ { drop_tree = 0; next } { drop_tree = 0; print }' \
  "$script_plan" > "$plain_plan"
! grep -q "<JSR223" "$plain_plan" || die "could not derive the plan without the PostProcessor"
# And with a PostProcessor whose script is `null` (barrage only): what a call costs besides the
# script's own work, the plumbing.
empty_plan=$work/script_json_empty.jmx
awk '/<stringProp name="script">/ { print "            <stringProp name=\"script\">null</stringProp>"; skip = !/<\/stringProp>/; next }
     skip { if (/<\/stringProp>/) skip = 0; next } { print }' "$script_plan" > "$empty_plan"
grep -q '<stringProp name="script">null</stringProp>' "$empty_plan" || die "could not derive the plan with an empty script"

# A run must have no errors and no failed script: a PostProcessor's exception is only logged.
check_run() {  # check_run NAME LOGFILE...
  local name=$1; shift
  [ "$R_E" = 0 ] || die "$name: $R_E errors of $R_N samples (see $work)"
  if grep -q 'Problem in' "$@" 2>/dev/null; then die "$name: a script failed: $(grep -m1 'Problem in' "$@")"; fi
  if grep -q 'Exception' "$@" 2>/dev/null; then die "$name: $(grep -m1 'Exception' "$@")"; fi
}

rows=()  # tool|plan|round|requests|errors|rps|cpu_s|cpu_us|steady_cpu_us|rss|load|pct
record() {
  rows+=("$1|$2|$3|$R_N|$R_E|$R_RPS|$R_CPU|$(cpu_per_req "$R_CPU" "$R_N")|$R_STEADY|$R_RSS|$R_LOAD|$R_PCT")
  log "$1 $2 round $3: $R_N samples, $R_E errors, $R_RPS req/s, $(cpu_per_req "$R_CPU" "$R_N") µs CPU/sample" \
    "(steady $R_STEADY), $R_RSS MiB (load $R_LOAD, $R_PCT % CPU)"
}

log "start: load average $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS round(s) of ${SECONDS_RUN}s, $VUS users"
start_load=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')

# ---------------------------------------------------------------- throughput runs
# Steady state: the CPU of the window from a third of the run to 1 s before its end (JMeter's
# start-up, ≈ 2 s, happens before the window too) over the samples that ended in it.
WINDOW="$((SECONDS_RUN / 3)) $((SECONDS_RUN - 1))"
for r in $(seq 1 "$ROUNDS"); do
  for variant in plain script empty; do
    plan=$plain_plan; [ "$variant" = script ] && plan=$script_plan; [ "$variant" = empty ] && plan=$empty_plan
    run_barrage "barrage-$variant-$r" "$plan" "$VUS" "$SECONDS_RUN" -l "$work/barrage-$variant-$r.jtl"
    check_run "barrage $variant" "$work/barrage-$variant-$r.out"
    R_STEADY=$(window_cpu_per_sample "barrage-$variant-$r" "$work/barrage-$variant-$r.jtl")
    record barrage "$variant" "$r"
  done
  if [ "$USE_JMETER" = 1 ]; then
    for variant in plain script; do
      plan=$plain_plan; [ "$variant" = script ] && plan=$script_plan
      run_jmeter "$r" "$SECONDS_RUN" "$plan" "$VUS" "$variant"
      check_run "JMeter $variant" "$work/jmeter-$variant-$r.log"
      R_STEADY=$(window_cpu_per_sample "jmeter-$variant-$r" "$work/jmeter-$variant-$r.jtl")
      record "JMeter 2.13" "$variant" "$r"
    done
  fi
done
WINDOW=""

# ---------------------------------------------------------------- the script alone
alone_us=""
if [ "$ALONE_SECONDS" -gt 0 ]; then
  run_measured script-alone groovy "$here/script_cost.groovy" "$work/nginx/html/order.json" "$ALONE_SECONDS" \
    || die "script_cost.groovy failed: $(tail -5 "$work/script-alone.out")"
  alone_us=$(awk '/^us_per_call/ { print $2 }' "$work/script-alone.out")
  log "script alone: $alone_us µs CPU per call ($(grep '^calls' "$work/script-alone.out"))"
fi

# ---------------------------------------------------------------- memory (paced) runs
paced_rows=()
if [ "$PACED_SECONDS" -gt 0 ]; then
  for u in $PACED_LIST; do
    run_barrage "barrage-paced-$u" "$script_plan" "$u" "$PACED_SECONDS" -J "think=$THINK_MS" \
      -J "rampup=$(paced_rampup "$u")" -l "$work/barrage-paced-$u.jtl"
    check_run "barrage paced $u" "$work/barrage-paced-$u.out"
    paced_record "barrage, script" "$u" "$PACED_SECONDS" "$work/barrage-paced-$u.jtl"
  done
  run_barrage "barrage-paced-plain" "$plain_plan" "$PACED_USERS" "$PACED_SECONDS" -J "think=$THINK_MS" \
    -J "rampup=$(paced_rampup "$PACED_USERS")" -l "$work/barrage-paced-plain.jtl"
  check_run "barrage paced plain" "$work/barrage-paced-plain.out"
  paced_record "barrage, no script" "$PACED_USERS" "$PACED_SECONDS" "$work/barrage-paced-plain.jtl"
fi
end_load=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
column_of() {  # column_of TOOL PLAN FIELD
  local row
  for row in "${rows[@]}"; do
    IFS='|' read -r t p _ n e rps cpu_s cpu steady rss _ _ <<<"$row"
    [ "$t" = "$1" ] && [ "$p" = "$2" ] || continue
    case $3 in rps) echo "$rps" ;; cpu) echo "$cpu" ;; steady) [ -z "$steady" ] || echo "$steady" ;; rss) echo "$rss" ;; esac
  done
}

echo
echo "### Run $started"
echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), kernel $(uname -r);" \
  "load average $start_load at start, $end_load at the end."
echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on core $SERVER_CPU, generators on core $CLIENT_CPU;" \
  "$("$BARRAGE" --version 2>/dev/null | head -1) ($BARRAGE, built $(date -u -r "$BARRAGE" '+%Y-%m-%d %H:%M UTC');" \
  "repository at $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown))."
echo
echo '```sh'
echo "$command_line"
echo '```'
echo
echo "Throughput, $VUS users, no think time, ${SECONDS_RUN} s per run, 662-byte JSON document, keep-alive;" \
  "\"script\" = one Groovy JSR223 PostProcessor per sample (JsonSlurper, two vars.put); \"empty\" = the same" \
  "PostProcessor with the script \`null\` (barrage only):"
echo
echo "| tool | plan | round | samples | errors | req/s | CPU s | CPU µs/sample | steady CPU µs/sample | peak RSS MiB | load1 before | % of a core used |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for row in "${rows[@]}"; do
  IFS='|' read -r t p r n e rps cpu_s cpu steady rss l pct <<<"$row"
  echo "| $t | $p | $r | $n | $e | $rps | $cpu_s | $cpu | $steady | $rss | $l | $pct |"
done
echo
echo "CPU µs/sample = the process's user+sys CPU (start-up included) ÷ samples; steady = the CPU of all"
echo "the run's processes between $((SECONDS_RUN / 3)) s and $((SECONDS_RUN - 1)) s after the start ÷ the samples that ended in"
echo "that window. Medians; script µs/call = with the script − without:"
echo
echo "| tool | req/s without | req/s with | CPU µs/sample without | with | script µs/call | steady: without | with | script µs/call | peak RSS MiB without / with |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
declare -A cost=() steady_cost=()
for t in barrage "JMeter 2.13"; do
  [ "$t" = barrage ] || [ "$USE_JMETER" = 1 ] || continue
  rp=$(column_of "$t" plain rps | median); rs=$(column_of "$t" script rps | median)
  cp=$(column_of "$t" plain cpu | median); cs=$(column_of "$t" script cpu | median)
  sp=n/a; ss=n/a  # no steady value: every run ended before its window did
  [ -z "$(column_of "$t" plain steady)" ] || sp=$(column_of "$t" plain steady | median)
  [ -z "$(column_of "$t" script steady)" ] || ss=$(column_of "$t" script steady | median)
  mp=$(column_of "$t" plain rss | sort -g | tail -1); ms=$(column_of "$t" script rss | sort -g | tail -1)
  cost[$t]=$(awk -v a="$cs" -v b="$cp" 'BEGIN { printf "%.1f", a - b }')
  steady_cost[$t]=n/a
  [ "$sp" = n/a ] || [ "$ss" = n/a ] || steady_cost[$t]=$(awk -v a="$ss" -v b="$sp" 'BEGIN { printf "%.1f", a - b }')
  echo "| $t | $rp | $rs | $cp | $cs | ${cost[$t]} | $sp | $ss | ${steady_cost[$t]} | $mp / $ms |"
done
if [ -n "$alone_us" ]; then
  echo
  echo "The script alone (same Groovy body, same document, a HashMap for vars, one warm JVM," \
    "thread CPU time over ${ALONE_SECONDS} s after warm-up): $alone_us µs per call."
fi
if [ "${#paced_rows[@]}" -gt 0 ]; then
  echo
  echo "Memory: each user waits ${THINK_MS} ms (Constant Timer) before each request, users start 1 ms apart" \
    "(ramp-up users/1000 s); intended rate = users/s; steady = requests started in the window ÷ its length:"
  echo
  echo "| run | users | s | requests | errors | intended req/s | steady req/s (window s) | % of intended | peak RSS MiB | CPU µs/request | load1 before | % of a core used |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for row in "${paced_rows[@]}"; do
    IFS='|' read -r t u s n e i o st w rss cpu l cp <<<"$row"
    pct=$(awk -v a="$st" -v b="$i" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }')
    echo "| $t | $u | $s | $n | $e | $i | $st ($w) | $pct % | $rss | $cpu | $l | $cp |"
  done
fi
echo
echo "Goals:"
if [ "$USE_JMETER" = 1 ]; then
  awk -v b="${cost[barrage]}" -v j="${cost[JMeter 2.13]}" 'BEGIN {
    printf "- CPU per script call, whole run: barrage %.1f µs, JMeter 2.13 %.1f µs (goal barrage ≤ JMeter): %s\n", b, j, (b <= j ? "met" : "MISSED") }'
  if [ "${steady_cost[barrage]}" != n/a ] && [ "${steady_cost[JMeter 2.13]}" != n/a ]; then
    awk -v b="${steady_cost[barrage]}" -v j="${steady_cost[JMeter 2.13]}" 'BEGIN {
      printf "- CPU per script call, steady: barrage %.1f µs, JMeter 2.13 %.1f µs (goal barrage ≤ JMeter): %s\n", b, j, (b <= j ? "met" : "MISSED") }'
  else
    echo "- CPU per script call, steady: not measured (a run ended before its window; longer BENCH_SECONDS)"
  fi
fi
if [ -n "$alone_us" ] && [ "${steady_cost[barrage]}" != n/a ]; then
  awk -v b="${steady_cost[barrage]}" -v a="$alone_us" 'BEGIN {
    printf "- barrage per call (steady) above the script alone (%.1f µs): %.1f µs of %.1f µs (%.0f %%)\n", a, b - a, b, (b > 0 ? 100 * (b - a) / b : 0) }'
fi
if [ -n "$(column_of barrage empty steady)" ] && [ "${steady_cost[barrage]}" != n/a ]; then
  sp=$(column_of barrage plain steady | median); se=$(column_of barrage empty steady | median)
  awk -v p="$sp" -v e="$se" -v b="${steady_cost[barrage]}" 'BEGIN {
    printf "- barrage, steady: a call of the empty script (the plumbing) %.1f µs; the JSON script'"'"'s own work %.1f µs of its %.1f µs per call (%.0f %%)\n", e - p, b - (e - p), b, (b > 0 ? 100 * (b - (e - p)) / b : 0) }'
fi
exit 0
}
