#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) in build-fuzz/, writes their seeds
# (the recorded AMI transcripts; the command examples of docs/topics.md and a hostile corpus) and
# runs each target for SECONDS (default 60). Prints per target: executions, exec/s, coverage and
# whether it found anything; exits non-zero on any finding (crash, leak, timeout, out of memory,
# broken invariant) or build failure.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: fuzz_ami_parser fuzz_command_decoder
#
# Corpus (grows across runs): build-fuzz/corpus/<target>/; findings: build-fuzz/artifacts/<target>/;
# logs: build-fuzz/logs/<target>.log. The inputs in fuzz/regressions/<target>/ are replayed first.
# Environment: PBX2MQTT_FUZZ_PARALLEL=1 runs the targets at the same time (one core each);
# PBX2MQTT_FUZZ_JOBS (default: nproc) for the build; CXX (default clang++-14, else clang++);
# PBX2MQTT_FUZZ_TIMEOUT (default 60) the seconds after which an input counts as slow or timed
# out (such an input is a finding only if it is slow run alone too: see starved_only).
set -euo pipefail

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }

seconds=60
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
all_targets=(fuzz_ami_parser fuzz_command_decoder)
targets=()
for t in "$@"; do
  case "$t" in
    -h|--help) usage; exit 0 ;;
    fuzz_ami_parser|fuzz_command_decoder) targets+=("$t") ;;
    *) echo "fuzz.sh: unknown target or argument: $t" >&2; usage >&2; exit 2 ;;
  esac
done
(( ${#targets[@]} > 0 )) || targets=("${all_targets[@]}")

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
bash scripts/deps.sh

cxx=${CXX:-}
if [[ -z $cxx ]]; then
  if command -v clang++-14 >/dev/null 2>&1; then cxx=clang++-14; else cxx=clang++; fi
fi
dir=build-fuzz
jobs=${PBX2MQTT_FUZZ_JOBS:-$(nproc)}

start=$SECONDS
if ! cmake -S fuzz -B "$dir" -DCMAKE_CXX_COMPILER="$cxx" >/dev/null \
   || ! cmake --build "$dir" -j"$jobs" --target make_seeds "${targets[@]}"; then
  echo "fuzz.sh: BUILD FAILED" >&2
  exit 1
fi
echo "fuzz.sh: built in $((SECONDS - start)) s"
"$dir/make_seeds" "$root" "$dir/seeds"

export ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

dict_of() { case "$1" in fuzz_ami_parser) echo fuzz/ami.dict ;; *) echo fuzz/json.dict ;; esac; }
# The parser's seeds are ~4 KiB pieces of transcripts; a command payload is small.
max_len_of() { case "$1" in fuzz_ami_parser) echo 16384 ;; *) echo 4096 ;; esac; }

mkdir -p "$dir/logs"
findings=0
# Wall-clock limits. scripts/test.sh runs this at nice 19 beside the ASan test suite: a process at
# nice 19 gets ~1.5 % of a busy core, so an input that takes 0.2 s alone took 10 s there and was
# reported as a "slow unit" (twice in one day). The limit is generous, and an input reported as
# slow or timed out counts as a finding only when it is slow again run alone (starved_only below).
timeout=${PBX2MQTT_FUZZ_TIMEOUT:-60}
alone_limit=2

# Replays the saved regressions: each must now pass.
for t in "${targets[@]}"; do
  reg=fuzz/regressions/$t
  if [[ -d $reg ]] && compgen -G "$reg/*" >/dev/null; then
    if "$dir/$t" "$reg"/* >"$dir/logs/$t-regressions.log" 2>&1; then
      echo "fuzz.sh: $t: $(ls "$reg" | wc -l) regression input(s) pass"
    else
      echo "fuzz.sh: $t: a regression input fails again, see $dir/logs/$t-regressions.log" >&2
      tail -n 30 "$dir/logs/$t-regressions.log" >&2
      findings=$((findings + 1))
    fi
  fi
done

# True when every new artifact of target $1 is a slow unit or a timeout (libFuzzer's names) and
# runs alone, at normal priority, in under $alone_limit s: the run was starved, not the input
# slow. Those artifacts move to $dir/starved/<target>/. A crash, a leak or an input slow alone
# too stays a finding. A timed-out run (exit 70) counts only when its input is slow alone.
starved_only() {
  local t=$1 artifacts=$2 before=$3 f start_ns end_ns
  local newest
  newest=$(find "$artifacts" -type f -printf '%T@ %p\n' | sort -n | tail -n "$(( $(find "$artifacts" -type f | wc -l) - before ))" | cut -d' ' -f2-)
  [[ -n $newest ]] || return 1
  while IFS= read -r f; do
    case "$(basename "$f")" in slow-unit-*|timeout-*) ;; *) return 1 ;; esac
    start_ns=$(date +%s%N)
    "$dir/$t" -timeout=$((alone_limit * 5)) "$f" >/dev/null 2>&1 || return 1
    end_ns=$(date +%s%N)
    (( (end_ns - start_ns) < alone_limit * 1000000000 )) || return 1
  done <<<"$newest"
  mkdir -p "$dir/starved/$t"
  while IFS= read -r f; do mv "$f" "$dir/starved/$t/"; done <<<"$newest"
  return 0
}

run_target() {
  local t=$1 corpus=$dir/corpus/$1 artifacts=$dir/artifacts/$1 log=$dir/logs/$1.log
  mkdir -p "$corpus" "$artifacts"
  local before rc=0
  before=$(find "$artifacts" -type f | wc -l)
  # New inputs go to the first directory (the corpus); the seeds are only read.
  "$dir/$t" "$corpus" "$dir/seeds/$t" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" -dict="$(dict_of "$t")" -max_len="$(max_len_of "$t")" \
    -timeout="$timeout" -report_slow_units="$timeout" -rss_limit_mb=2048 >"$log" 2>&1 || rc=$?
  echo "$rc $before" >"$log.rc"
}

if [[ ${PBX2MQTT_FUZZ_PARALLEL:-0} == 1 ]]; then
  pids=()
  for t in "${targets[@]}"; do run_target "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || true; done
else
  for t in "${targets[@]}"; do run_target "$t"; done
fi

for t in "${targets[@]}"; do
  log=$dir/logs/$t.log artifacts=$dir/artifacts/$t
  read -r rc before <"$log.rc"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$last")
  after=$(find "$artifacts" -type f | wc -l)
  if [[ $after -gt $before ]] && starved_only "$t" "$artifacts" "$before"; then
    echo "fuzz.sh: $t: ${runs:-?} runs in $seconds s (${speed:-?} exec/s), cov: ${cov:-?} ft: ${ft:-?} corp: ${corp:-?}, no crash" \
         "(an input reported slow while this process was starved runs in under ${alone_limit} s alone: moved to $dir/starved/$t/)"
  elif [[ $rc != 0 || $after -gt $before ]]; then
    findings=$((findings + 1))
    echo "fuzz.sh: $t: FOUND a problem (exit $rc) after ${runs:-?} runs; input(s) in $artifacts/, log $log:" >&2
    grep -E 'ERROR: |invariant violated|SUMMARY:|Test unit written|runtime error' "$log" | head -n 20 >&2 || true
  else
    echo "fuzz.sh: $t: ${runs:-?} runs in $seconds s (${speed:-?} exec/s), cov: ${cov:-?} ft: ${ft:-?} corp: ${corp:-?}, no crash"
  fi
done

if (( findings > 0 )); then
  echo "fuzz.sh: $findings finding(s)" >&2
  exit 1
fi
