#!/usr/bin/env bash
# Builds pbx2mqtt and runs the whole test suite (unit, integration with a real mosquitto, scale)
# in a Debug build with AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors, in
# build-asan/. Ends with one line "N passed, N failed". (One sanitized build keeps a clean run
# on 2 cores within CI's 15 minutes; a second, unsanitized pass doubles the compile time.)
#
#   scripts/test.sh [--both | --no-asan] [-R REGEX]
#     --both        also a plain Debug build in build/ (warnings are errors there too)
#     --no-asan     only the plain Debug build (fastest to iterate)
#     -R REGEX      passed to ctest: run only the tests whose name matches
set -euo pipefail

usage() { sed -n '2,11s/^# \{0,1\}//p' "$0"; }

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
total_passed=0
total_failed=0
total_skipped=0
status=0

# run_suite NAME BUILD_DIR [cmake args...]: configure, build, ctest; adds to the totals.
run_suite() {
  local name=$1 dir=$2
  shift 2
  local start=$SECONDS
  echo "==> [$name] configure + build $dir"
  if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null \
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

if (( run_debug )); then
  run_suite debug build
fi
if (( run_asan )); then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite asan build-asan -DPBX2MQTT_SANITIZE=ON
fi

if (( total_skipped > 0 )); then
  echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
else
  echo "$total_passed passed, $total_failed failed"
fi
exit "$status"
