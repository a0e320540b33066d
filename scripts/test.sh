#!/usr/bin/env bash
# Builds pbx2mqtt and runs the whole test suite (unit, integration with a real mosquitto, scale)
# in a Debug build with AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors, in
# build-asan/. Ends with one line "N passed, N failed". (One sanitized build keeps a clean run
# on 2 cores within CI's 15 minutes; a second, unsanitized pass doubles the compile time.)
# Meanwhile, scripts/fuzz.sh builds the libFuzzer targets and runs each for
# PBX2MQTT_FUZZ_SECONDS (default 60; 0 skips them) in the background at the lowest priority;
# the fuzz run counts as one more test in the final line.
#
#   scripts/test.sh [--both | --no-asan] [-R REGEX]
#     --both        also a plain Debug build in build/ (warnings are errors there too)
#     --no-asan     only the plain Debug build (fastest to iterate)
#     -R REGEX      passed to ctest: run only the tests whose name matches
set -euo pipefail

usage() { sed -n '2,14s/^# \{0,1\}//p' "$0"; }

run_debug=0
run_asan=1
ctest_filter=()
while (( $# > 0 )); do
  case "$1" in
    --no-asan) run_asan=0; run_debug=1 ;;
    --both) run_debug=1; run_asan=1 ;;
    --asan-only) run_debug=0 ;;  # the default; kept for old habits
    -R) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; ctest_filter=(-R "$2"); shift ;;
    -R*) ctest_filter=(-R "${1#-R}") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "test.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if (( ! run_debug && ! run_asan )); then
  echo "test.sh: --no-asan and --asan-only exclude each other" >&2
  exit 2
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/deps.sh

jobs=$(nproc)
fuzz_seconds=${PBX2MQTT_FUZZ_SECONDS:-60}
fuzz_pid=
fuzz_log=
fuzz_skip_reason=
if [[ ! $fuzz_seconds =~ ^[0-9]+$ ]]; then
  echo "test.sh: PBX2MQTT_FUZZ_SECONDS must be a number of seconds, not '$fuzz_seconds'" >&2
  exit 2
elif (( fuzz_seconds == 0 )); then
  fuzz_skip_reason="PBX2MQTT_FUZZ_SECONDS=0"
elif (( ${#ctest_filter[@]} > 0 )); then
  fuzz_skip_reason="-R selects tests"
fi
total_passed=0
total_failed=0
total_skipped=0
status=0

# Starts scripts/fuzz.sh in the background (once), at the lowest CPU priority, both targets at
# the same time; its output goes to build-fuzz/fuzz-output.log.
start_fuzz() {
  [[ -z $fuzz_pid && -z $fuzz_skip_reason ]] || return 0
  mkdir -p build-fuzz
  fuzz_log=build-fuzz/fuzz-output.log
  echo "==> [fuzz] scripts/fuzz.sh $fuzz_seconds in the background (log: $fuzz_log)"
  PBX2MQTT_FUZZ_PARALLEL=1 nice -n 19 bash scripts/fuzz.sh "$fuzz_seconds" >"$fuzz_log" 2>&1 &
  fuzz_pid=$!
  fuzz_start=$SECONDS
  # Interrupted or failed early: stop the fuzz run (its fuzzers end by themselves within SECONDS).
  trap 'if [[ -n $fuzz_pid ]]; then kill "$fuzz_pid" 2>/dev/null || true; fi' EXIT
}

# Waits for the background fuzz run and counts it as one test.
finish_fuzz() {
  if [[ -n $fuzz_skip_reason ]]; then
    echo "==> [fuzz] skipped: $fuzz_skip_reason"
    return 0
  fi
  [[ -n $fuzz_pid ]] || return 0
  local rc=0
  wait "$fuzz_pid" || rc=$?
  fuzz_pid=
  if (( rc == 0 )); then
    grep '^fuzz.sh: ' "$fuzz_log" || true
    echo "==> [fuzz] passed ($((SECONDS - fuzz_start)) s since start, build included)"
    total_passed=$((total_passed + 1))
  else
    echo "==> [fuzz] FAILED (exit $rc); $fuzz_log:" >&2
    tail -n 80 "$fuzz_log" >&2
    total_failed=$((total_failed + 1))
    status=1
  fi
}

# run_suite NAME BUILD_DIR [cmake args...]: configure, build, ctest; adds to the totals.
run_suite() {
  local name=$1 dir=$2
  shift 2
  local start=$SECONDS
  echo "==> [$name] configure + build $dir"
  # Ninja: a target's sources compile while the libraries it links are still being built (make
  # waits for them), which keeps both cores busy. A tree configured for another generator is
  # configured again from scratch.
  if [[ -f $dir/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
    echo "==> [$name] $dir was configured for another generator: starting it over with Ninja"
    rm -rf "$dir"
  fi
  if ! cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null \
     || ! cmake --build "$dir" -j"$jobs"; then
    echo "==> [$name] BUILD FAILED (counted as one failure)" >&2
    total_failed=$((total_failed + 1))
    status=1
    return
  fi

  echo "==> [$name] ctest ${ctest_filter[*]}"
  local log="$dir/ctest-output.log" rc=0
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$jobs" "${ctest_filter[@]}" 2>&1 \
    | tee "$log" || rc=$?

  # "100% tests passed, 0 tests failed out of 12"; skipped tests count as passed there.
  local summary failed=0 total=0 skipped
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1 || true)
  if [[ -n $summary ]]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$summary")
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
  fi
  skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .* \((Skipped|Disabled)\)$' "$log" || true)
  local passed=$((total - failed - skipped))
  (( passed >= 0 )) || passed=0
  if (( rc != 0 && failed == 0 )); then
    failed=1  # ctest failed without a test failing (no tests found, a crash): still a failure
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
  (( rc == 0 )) || status=1
  echo "==> [$name] done in $((SECONDS - start)) s: $passed passed, $failed failed, $skipped skipped"
}

# The npm packages of the Node-RED test (build-node/, ~15 s the first time, then nothing).
if ! bash scripts/node-deps.sh; then
  echo "==> [node] scripts/node-deps.sh FAILED (counted as one failure; the Node-RED test will skip)" >&2
  total_failed=$((total_failed + 1))
  status=1
fi

# The fuzz build starts now, at the lowest priority: it takes what the main build leaves idle
# (configure, links) and the ctest run's waits, so it is done about when ctest is.
start_fuzz
if (( run_debug )); then
  run_suite debug build
fi
if (( run_asan )); then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite asan build-asan -DPBX2MQTT_SANITIZE=ON
fi

finish_fuzz

if (( total_skipped > 0 )); then
  echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
else
  echo "$total_passed passed, $total_failed failed"
fi
exit "$status"
