#!/usr/bin/env bash
# Runs .jmx plans with real JMeter and with barrage against one barrage-fixture server and
# compares what they record, sample by sample (tests/jmeter_compat/README.md).
#
#   scripts/jmeter_compare.sh [OPTIONS] PLAN...            JMeter vs barrage, live
#   scripts/jmeter_compare.sh --record [OPTIONS] PLAN...   JMeter only: write the golden files
#   scripts/jmeter_compare.sh --golden [OPTIONS] PLAN...   barrage vs golden files (no JMeter)
#
# Options:
#   --barrage PATH   barrage binary        (default: $BARRAGE, else build-cmp/bin/barrage, else build/bin/barrage)
#   --fixture PATH   barrage-fixture       (default: $BARRAGE_FIXTURE, else beside the barrage binary)
#   --jmeter PATH    JMeter launcher       (default: $JMETER, else ../shared/jmeter/jmeter213)
#   --golden-dir DIR golden files          (default: tests/jmeter_compat/golden)
#   --out DIR        keep JTLs, logs and normalised files here (default: a temporary folder)
#   --jmeter-timeout S / --barrage-timeout S   time limit per run (default 180 / 60 seconds)
# Environment: PYTHON (default python3) runs the normaliser.
#
# A plan NAME.jmx may have NAME.args beside it: extra arguments given to both JMeter and
# barrage after the usual ones (e.g. -Djavax.net.ssl.keyStore=@PLAN_DIR@/keystore.p12), one
# per line, taken verbatim; empty lines and lines starting with # are skipped; @PLAN_DIR@
# becomes the plan's folder (absolute), as the runs start in an empty working folder.
#
# Each plan's samples are normalised by tests/jmeter_compat/normalise_jtl.py: per thread,
# the ordered (label, responseCode, success, failureMessage, URL with PORT for the port).
# A plan PLAN.jmx with a file PLAN.fixture beside it gets its own barrage-fixture for each run
# (JMeter's, barrage's), started with `--port 0` and the options on the file's first line
# (e.g. `--dns 127.0.0.153:53`) and stopped after that run; other plans share one fixture.
# Exit status: 0 when every plan matches, 1 on a difference, 2 on a usage or run error, 77
# when a plan was skipped (its fixture may not bind a port: no root) and nothing else failed.
# Every process started here (fixtures, JMeter, barrage) is stopped by its PID on exit.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
mode=compare
barrage=${BARRAGE:-}
fixture=${BARRAGE_FIXTURE:-}
jmeter=${JMETER:-$repo/../shared/jmeter/jmeter213}
golden_dir=$repo/tests/jmeter_compat/golden
out_dir=
jmeter_timeout=180
barrage_timeout=60
plans=()

usage() { sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

while (($#)); do
  case $1 in
    --record) mode=record ;;
    --golden) mode=golden ;;
    --barrage) barrage=$2; shift ;;
    --fixture) fixture=$2; shift ;;
    --jmeter) jmeter=$2; shift ;;
    --golden-dir) golden_dir=$2; shift ;;
    --out) out_dir=$2; shift ;;
    --jmeter-timeout) jmeter_timeout=$2; shift ;;
    --barrage-timeout) barrage_timeout=$2; shift ;;
    -h|--help) usage ;;
    -*) echo "jmeter_compare: unknown option $1" >&2; usage ;;
    *) plans+=("$1") ;;
  esac
  shift
done
((${#plans[@]})) || usage

if [[ -z $barrage ]]; then
  for b in "$repo/build-cmp/bin/barrage" "$repo/build/bin/barrage"; do
    [[ -x $b ]] && { barrage=$b; break; }
  done
fi
[[ -z $fixture && -n $barrage ]] && fixture=$(dirname "$barrage")/barrage-fixture
normaliser=$repo/tests/jmeter_compat/normalise_jtl.py

need() { [[ -x $1 ]] || { echo "jmeter_compare: $2 not found or not executable: $1" >&2; exit 2; }; }
need "$fixture" "barrage-fixture"
[[ $mode == record ]] || need "$barrage" "barrage"
[[ $mode == golden ]] || need "$jmeter" "JMeter launcher"
python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "jmeter_compare: $python (python3) is required" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/jmeter_compare.XXXXXX")
[[ -n $out_dir ]] && { mkdir -p "$out_dir" && out_dir=$(cd "$out_dir" && pwd); }
fixture_pid=
plan_fixture_pid=
run_pid=

stop_pid() {  # PID: TERM, up to 2 s, then KILL
  local pid=$1
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  fi
  [[ -n $pid ]] && wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  local pid
  for pid in $run_pid $plan_fixture_pid $fixture_pid; do stop_pid "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

# Starts a barrage-fixture on a free port with OPTIONS; sets launched_pid and launched_port
# once it listens (it prints "listening on" when everything it serves is up). Returns 0; 3
# when the fixture exited with 3 (not permitted to bind a port: no root); else 2. Says why.
launch_fixture() {  # NAME OPTIONS...
  local name=$1; shift
  local log=$work/$name.out err=$work/$name.err rc=2
  : >"$log"  # before the fixture's shell opens it, so the first read finds it
  "$fixture" --port 0 "$@" >>"$log" 2>"$err" &
  launched_pid=$!
  for _ in $(seq 1 100); do
    launched_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -n1)
    [[ -n $launched_port ]] && return 0
    if ! kill -0 "$launched_pid" 2>/dev/null; then
      wait "$launched_pid"
      rc=$?
      ((rc == 3)) || rc=2
      launched_pid=
      break
    fi
    sleep 0.1
  done
  stop_pid "$launched_pid"
  launched_pid=
  echo "jmeter_compare: barrage-fixture $* did not start:" >&2
  cat "$log" "$err" >&2
  return $rc
}

# Starts the shared fixture; sets fixture_pid and port.
start_fixture() {
  launch_fixture fixture || exit 2
  fixture_pid=$launched_pid
  port=$launched_port
}

# Before one run of a plan: its own fixture when it has PLAN.fixture (sets run_port and
# plan_fixture_pid), else the shared one. Returns launch_fixture's status.
start_plan_fixture() {  # NAME
  run_port=$port
  ((${#plan_options[@]})) || return 0
  launch_fixture "$1-fixture" "${plan_options[@]}" || return
  plan_fixture_pid=$launched_pid
  run_port=$launched_port
}

stop_plan_fixture() {
  stop_pid "$plan_fixture_pid"
  plan_fixture_pid=
}

# Runs "$@" in DIR, output to LOG, in the background under a time limit of S seconds, and
# waits for it (so the traps can fire and stop it by PID). Returns its exit status; 124 or
# 137 mean the limit was reached.
run_bounded() {  # S DIR LOG COMMAND...
  local limit=$1 dir=$2 log=$3; shift 3
  timeout --kill-after=10 "$limit" env -C "$dir" "$@" >"$log" 2>&1 </dev/null &
  run_pid=$!
  wait "$run_pid"
  local rc=$?
  run_pid=
  return $rc
}

# Reads PLAN's NAME.args (see the top of this file) into plan_args.
read_plan_args() {  # PLAN
  plan_args=()
  local file=${1%.jmx}.args dir line
  dir=$(dirname "$1")
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z $line || $line == '#'* ]] && continue
    plan_args+=("${line//@PLAN_DIR@/"$dir"}")
  done <"$file"
}

run_jmeter() {  # PLAN JTL LOG
  local dir=$work/jmeter-run
  rm -rf "$dir"; mkdir -p "$dir"
  run_bounded "$jmeter_timeout" "$dir" "$3.stdout" "$jmeter" -n -t "$1" -l "$2" -j "$3" \
      -Jport="$run_port" \
      -Jjmeter.save.saveservice.output_format=csv \
      -Jjmeter.save.saveservice.print_field_names=true \
      -Jjmeter.save.saveservice.assertion_results_failure_message=true \
      -Jjmeter.save.saveservice.url=true \
      -Jjmeter.save.saveservice.thread_name=true \
      -Jsummariser.out=false "${plan_args[@]}"
}

run_barrage() {  # PLAN JTL LOG
  local dir=$work/barrage-run
  rm -rf "$dir"; mkdir -p "$dir"
  run_bounded "$barrage_timeout" "$dir" "$3" "$barrage" run "$1" -J "port=$run_port" -l "$2" \
      --db "$dir/results.db" --quiet "${plan_args[@]}"
}

start_fixture
echo "jmeter_compare: barrage-fixture on 127.0.0.1:$port (pid $fixture_pid)"

# A plan's own fixture could not start: 77 (skipped) when it may not bind its port, else 2.
plan_fixture_failed() {  # NAME STATUS
  if (($2 == 3)); then
    echo "jmeter_compare: $1: SKIPPED: its barrage-fixture ${plan_options[*]} may not bind its port" \
         "(a port below 1024 needs root or CAP_NET_BIND_SERVICE)" >&2
    skipped=1
  else
    status=2
  fi
}

status=0
skipped=0
for plan in "${plans[@]}"; do
  [[ -f $plan ]] || { echo "jmeter_compare: no such plan: $plan" >&2; status=2; continue; }
  plan=$(cd "$(dirname "$plan")" && pwd)/$(basename "$plan")
  name=$(basename "$plan" .jmx)
  pdir=${out_dir:-$work}/$name
  rm -rf "$pdir"; mkdir -p "$pdir"
  golden=$golden_dir/$name.txt
  plan_options=()
  if [[ -f ${plan%.jmx}.fixture ]]; then
    read -r -a plan_options <"${plan%.jmx}.fixture"
    ((${#plan_options[@]})) || { echo "jmeter_compare: $name: ${plan%.jmx}.fixture is empty" >&2; status=2; continue; }
  fi
  read_plan_args "$plan"

  if [[ $mode != golden ]]; then
    start_plan_fixture "$name" || { plan_fixture_failed "$name" $?; continue; }
    run_jmeter "$plan" "$pdir/jmeter.jtl" "$pdir/jmeter.log"
    rc=$?
    stop_plan_fixture
    jmeter_port=$run_port
    if ((rc != 0)); then
      echo "jmeter_compare: $name: JMeter exited $rc (124/137: timed out; keep its log with --out DIR)" >&2
      tail -n 20 "$pdir/jmeter.log.stdout" >&2
      status=2; continue
    fi
    if [[ ! -s $pdir/jmeter.jtl ]]; then
      echo "jmeter_compare: $name: JMeter wrote no JTL (plan not loaded?)" >&2
      grep -m5 -E 'ERROR|Exception' "$pdir/jmeter.log" >&2
      status=2; continue
    fi
    "$python" "$normaliser" "$pdir/jmeter.jtl" "$jmeter_port" >"$pdir/jmeter.txt" || { status=2; continue; }
  fi

  if [[ $mode == record ]]; then
    mkdir -p "$golden_dir"
    cp "$pdir/jmeter.txt" "$golden"
    echo "jmeter_compare: $name: recorded $(grep -vc '^[#[]' "$golden") samples in $golden"
    continue
  fi

  start_plan_fixture "$name" || { plan_fixture_failed "$name" $?; continue; }
  run_barrage "$plan" "$pdir/barrage.jtl" "$pdir/barrage.log"
  rc=$?
  stop_plan_fixture
  if ((rc == 124 || rc == 137)); then
    echo "jmeter_compare: $name: barrage timed out after ${barrage_timeout}s" >&2
    status=2; continue
  fi
  if [[ ! -f $pdir/barrage.jtl ]]; then
    echo "jmeter_compare: $name: barrage exited $rc without a JTL:" >&2
    tail -n 20 "$pdir/barrage.log" >&2
    status=2; continue
  fi
  "$python" "$normaliser" "$pdir/barrage.jtl" "$run_port" >"$pdir/barrage.txt" || { status=2; continue; }

  if [[ $mode == golden ]]; then
    expected=$golden; expected_name="golden (JMeter)"
    [[ -f $golden ]] || { echo "jmeter_compare: $name: no golden file $golden" >&2; status=2; continue; }
  else
    expected=$pdir/jmeter.txt; expected_name="JMeter"
  fi
  if diff -u --label "$expected_name: $name" --label "barrage: $name" \
       "$expected" "$pdir/barrage.txt" >"$pdir/diff.txt"; then
    echo "jmeter_compare: $name: same samples ($(grep -vc '^[#[]' "$expected") samples, barrage exit $rc)"
  else
    echo "jmeter_compare: $name: DIFFERENT (barrage exit $rc)"
    cat "$pdir/diff.txt"
    ((status == 0)) && status=1
  fi
done
((status == 0 && skipped)) && status=77
exit $status
