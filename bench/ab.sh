#!/usr/bin/env bash
# A/B of two micro_bench binaries on this noisy VM: runs them in turn N times (never both at once)
# and prints min, median and max of one counter for each.
#   bench/ab.sh OLD_BIN NEW_BIN [FILTER] [COUNTER] [N]
#   bench/ab.sh /tmp/old/micro_bench build-rel/bench/micro_bench 'BM_CoreStorm/10000/' us_per_event 6
set -euo pipefail
if [[ $# -lt 2 ]]; then
    sed -n '2,5p' "$0" >&2
    exit 2
fi
A=$1 B=$2 FILTER=${3:-BM_CoreStorm/10000/} COUNTER=${4:-us_per_event} N=${5:-6}
for bin in "$A" "$B"; do
    [[ -x $bin ]] || { echo "ab.sh: $bin is not an executable" >&2; exit 2; }
done
for ((i = 0; i < N; ++i)); do
    for bin in "$A" "$B"; do
        value=$("$bin" --benchmark_filter="$FILTER" 2>/dev/null | grep -o "$COUNTER=[0-9.e+-]*" | head -1 | cut -d= -f2)
        [[ -n $value ]] || { echo "ab.sh: $bin printed no $COUNTER for $FILTER" >&2; exit 1; }
        echo "$bin $value"
    done
done | python3 -c '
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in sys.stdin:
    name, value = line.rsplit(" ", 1)
    runs[name].append(float(value))
for name, values in runs.items():
    print(f"{name}  min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}  (n={len(values)})")
'
