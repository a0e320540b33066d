#!/usr/bin/env bash
# Soak benchmark: 1,000,000 AMI events through the bridge, its memory sampled as they go.
#
# Starts a private mosquitto, the AMI simulator, the bridge and a subscriber (mosquitto_sub on
# <base>/#) on loopback; asks the simulator for a `storm` (device states, registrations, whole
# calls over the known extensions, paced on the bridge's reading); samples the bridge's VmRSS at
# every 100,000 events; prints a table. Pass: RSS at the end within 10% of RSS after the first
# 100,000 events. Exit status 0 on pass, 1 on fail, 2 on a setup error.
#
#   bench/soak.sh [--build DIR] [--events N] [--step N] [--extensions N] [--flavor NAME]
#
# DIR is a build tree with pbx2mqtt and tools/ami-sim/ami-sim (a Release build:
# cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DPBX2MQTT_BENCH=ON -DPBX2MQTT_TESTS=OFF).
# build-rel/bench/soak.sh is this script with that build directory as its default.
set -euo pipefail

BUILD_DIR="${BUILD_DIR:-@PBX2MQTT_BENCH_BUILD_DIR@}"
EVENTS=1000000
STEP=100000
EXTENSIONS=0
FLAVOR=asterisk20-chansip
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) BUILD_DIR="$2"; shift 2 ;;
        --events) EVENTS="$2"; shift 2 ;;
        --step) STEP="$2"; shift 2 ;;
        --extensions) EXTENSIONS="$2"; shift 2 ;;
        --flavor) FLAVOR="$2"; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
if [[ "$BUILD_DIR" == @* || ! -x "$BUILD_DIR/pbx2mqtt" || ! -x "$BUILD_DIR/tools/ami-sim/ami-sim" || ! -x "$BUILD_DIR/bench/bench_driver" ]]; then
    echo "no pbx2mqtt / tools/ami-sim/ami-sim in '$BUILD_DIR' (use --build DIR)" >&2
    exit 2
fi
BRIDGE_BIN="$BUILD_DIR/pbx2mqtt"
SIM_BIN="$BUILD_DIR/tools/ami-sim/ami-sim"

WORK="$(mktemp -d /tmp/pbx2mqtt-soak.XXXXXX)"
PIDS=()
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cleanup() { stop_all; }
trap cleanup EXIT

free_port() { "$BUILD_DIR/bench/bench_driver" port; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# mosquitto
MQTT_PORT="$(free_port)"
cat >"$WORK/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
EOF
if [[ "$(id -u)" == 0 ]]; then echo "user root" >>"$WORK/mosquitto.conf"; fi
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)

# simulator
SIM_ARGS=(--port 0 --control-port 0 --port-file "$WORK/ports.txt" --flavor "$FLAVOR")
if ((EXTENSIONS > 0)); then SIM_ARGS+=(--extensions "$EXTENSIONS"); fi
"$SIM_BIN" "${SIM_ARGS[@]}" >"$WORK/ami-sim.log" 2>&1 &
PIDS+=($!)
wait_for 10 test -s "$WORK/ports.txt" || { echo "the simulator did not start" >&2; exit 2; }
AMI_PORT="$(sed -n 's/^ami=//p' "$WORK/ports.txt")"
CONTROL_PORT="$(sed -n 's/^control=//p' "$WORK/ports.txt")"
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MQTT_PORT" 2>/dev/null || { echo "mosquitto did not start" >&2; exit 2; }

# subscriber: every message the bridge publishes, counted at the end
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t 'soak/#' -q 1 -F '%t' >"$WORK/received.txt" 2>"$WORK/sub.log" &
PIDS+=($!)

# bridge
cat >"$WORK/config.toml" <<EOF
[ami]
host = "127.0.0.1"
port = $AMI_PORT
username = "bridge"
password = "bridgepass"
[mqtt]
uri = "tcp://127.0.0.1:$MQTT_PORT"
base_topic = "soak"
[pbx]
trunks = ["trunk1"]
[log]
level = "warn"
EOF
"$BRIDGE_BIN" --config "$WORK/config.toml" >"$WORK/pbx2mqtt.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=($BRIDGE_PID)
logged_in() { [[ "$(control clients)" == "OK 1" ]]; }
wait_for 30 logged_in || { echo "the bridge did not log in to the simulator" >&2; cat "$WORK/pbx2mqtt.log" >&2; exit 2; }
wait_for 30 grep -q '^soak/ami/state$' "$WORK/received.txt" || { echo "the bridge did not publish" >&2; exit 2; }
sleep 1  # the initial snapshot settles

echo "soak: $EVENTS events, bridge $BRIDGE_BIN (pid $BRIDGE_PID), flavor $FLAVOR, work dir $WORK"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
RSS_START="$(rss_kib "$BRIDGE_PID")"
printf '%10s %10s %10s %12s\n' events seconds rss_kib events_per_s
printf '%10s %10s %10s %12s\n' 0 0.0 "$RSS_START" -
control "storm $EVENTS" >/dev/null
START_NS="$(date +%s%N)"
NEXT=$STEP
RSS_FIRST=""
RSS_LAST="$RSS_START"
STATE=running
PREV_T=0
PREV_E=0
while :; do
    read -r _ STATE EMITTED _ SECONDS_SIM <<<"$(control storm-status)"
    while ((EMITTED >= NEXT)) && ((NEXT <= EVENTS)); do
        RSS="$(rss_kib "$BRIDGE_PID")"
        T="$(( ($(date +%s%N) - START_NS) / 1000000 ))"
        RATE="$(awk -v e="$EMITTED" -v pe="$PREV_E" -v t="$T" -v pt="$PREV_T" 'BEGIN { if (t > pt) printf "%.0f", (e - pe) * 1000 / (t - pt); else print "-" }')"
        printf '%10d %10.1f %10d %12s\n' "$EMITTED" "$(awk -v t="$T" 'BEGIN{print t/1000}')" "$RSS" "$RATE"
        if [[ -z "$RSS_FIRST" ]]; then RSS_FIRST="$RSS"; fi
        RSS_LAST="$RSS"
        PREV_T=$T
        PREV_E=$EMITTED
        NEXT=$((NEXT + STEP))
    done
    if [[ "$STATE" != running ]]; then break; fi
    kill -0 "$BRIDGE_PID" 2>/dev/null || { echo "the bridge died" >&2; tail -20 "$WORK/pbx2mqtt.log" >&2; exit 1; }
    sleep 0.05
done
read -r _ STATE EMITTED _ SECONDS_SIM <<<"$(control storm-status)"
# The bridge drains what the broker still has to take, then RSS once more.
LAST_COUNT=-1
while COUNT="$(wc -l <"$WORK/received.txt")"; ((COUNT != LAST_COUNT)); do LAST_COUNT=$COUNT; sleep 1; done
RSS_END="$(rss_kib "$BRIDGE_PID")"
CLIENTS="$(control clients)"
echo "storm $STATE: $EMITTED events in $SECONDS_SIM s = $(awk -v e="$EMITTED" -v s="$SECONDS_SIM" 'BEGIN{printf "%.0f", e/s}') events/s"
echo "MQTT messages received by the subscriber: $COUNT; simulator clients at the end: ${CLIENTS#OK }"
echo "RSS after the first $STEP events: $RSS_FIRST KiB; at the end: $RSS_LAST KiB; after draining: $RSS_END KiB"
LIMIT_PCT=10
if [[ -z "$RSS_FIRST" ]]; then echo "FAIL: no sample"; exit 1; fi
DIFF_PCT="$(awk -v a="$RSS_FIRST" -v b="$RSS_END" 'BEGIN{d=(b-a)*100/a; printf "%.1f", d}')"
if awk -v a="$RSS_FIRST" -v b="$RSS_END" -v l="$LIMIT_PCT" 'BEGIN{d=(b-a)/a*100; if (d<0) d=-d; exit !(d<=l)}'; then
    echo "PASS: RSS at the end is within ${LIMIT_PCT}% of RSS after $STEP events (${DIFF_PCT}%)"
    exit 0
fi
echo "FAIL: RSS at the end differs by ${DIFF_PCT}% from RSS after $STEP events"
exit 1
