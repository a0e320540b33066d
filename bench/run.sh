#!/usr/bin/env bash
# End-to-end benchmark of the bridge (issue 7), on loopback, with a private mosquitto:
#
#   bench/run.sh [--build DIR] [--extensions 10000] [--calls 2000] [--events 500000]
#                [--latency-events 10000] [--latency-rate 1000] [--no-peer] [--keep]
#                [--qos 1] [--broker-inflight N] [--cpu one|any] [--bridge-env VAR=VALUE]...
#                [--rounds 3] [--bridge PATH]
#
# --qos: the bridge's [mqtt] qos (the ceiling's bare publisher stays at QoS 1); --broker-inflight:
# mosquitto's max_inflight_messages (its MQTT 5 Receive Maximum; default 20); --cpu: the bridge's
# [process] cpu (default "one", the bridge's default: it runs on one CPU), and the same for the
# ceiling's bare publisher. --bridge-env: an environment variable for the measured bridge only
# (e.g. LD_LIBRARY_PATH=DIR from bench/untraced_paho.py; the table header shows it).
# --bridge PATH: measure this pbx2mqtt binary instead of the one built (an A/B of two builds,
# run alternately; the fresh bridge that checks "exact" stays the built one).
# --rounds: how many throughput + ceiling pairs, one right after the other (this VM's speed moves
# by 20-40 % within minutes: a ratio is only fair between two measurements taken together); the
# table shows each metric's median over the rounds (ratios: the median of the rounds' ratios),
# and every round's drain/ceiling ratio, CPU per message and context switches per message.
#
# Builds (Release, DIR default build-bench) pbx2mqtt, the AMI simulator and bench_driver; installs
# the Node.js peer (bench/peer, npm ci) unless --no-peer; then, with the simulator holding
# --extensions extensions:
#   startup     launch of the bridge -> every extension's status retained at a subscriber
#   latency     --latency-events device state changes at --latency-rate events/s: from the
#               simulator writing each one to the subscriber receiving the status it changes
#   memory/idle --calls answered calls held, then the bridge's RSS and its CPU over 5 idle seconds
#   throughput  a prepared storm of --events AMI events (device and extension states,
#               registrations, whole calls, queue callers) written as fast as the bridge reads:
#               events/s read, events/s end to end (until the last resulting message reached the
#               subscriber), messages/s, CPU per 100,000 events, peak RSS; then the final
#               retained tree is compared with a fresh bridge's ("exact")
#   ceiling     the messages of the throughput phase, pre-built, through a bare Paho publisher to
#               the same broker and the same kind of subscriber: the bridge's messages/s as a
#               fraction of it, over the whole storm, over its drain (the messages that arrive
#               after the simulator wrote the last event: the bridge still reads the AMI the
#               kernel holds, ~0.3 s of it) and over its publishing (the messages that arrive
#               after the bridge read the last AMI byte, seen in /proc/net/tcp: the bridge only
#               publishes then)
#   peer        the same storm through bench/peer (Node.js, asterisk-manager + mqtt)
# and prints one table. Exit status 0 when the run completed (the table says which targets hold).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build-bench"
EXTENSIONS=10000
CALLS=2000
EVENTS=500000
LAT_EVENTS=10000
LAT_RATE=1000
PEER=1
KEEP=0
QOS=1
INFLIGHT=""
CPU=one
BRIDGE_ENV=()
ROUNDS=3
MEASURED_BIN=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build) BUILD_DIR="$2"; shift 2 ;;
        --extensions) EXTENSIONS="$2"; shift 2 ;;
        --calls) CALLS="$2"; shift 2 ;;
        --events) EVENTS="$2"; shift 2 ;;
        --latency-events) LAT_EVENTS="$2"; shift 2 ;;
        --latency-rate) LAT_RATE="$2"; shift 2 ;;
        --no-peer) PEER=0; shift ;;
        --qos) QOS="$2"; shift 2 ;;
        --broker-inflight) INFLIGHT="$2"; shift 2 ;;
        --cpu) CPU="$2"; shift 2 ;;
        --bridge-env) BRIDGE_ENV+=("$2"); shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --bridge) MEASURED_BIN="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,41p' "$0"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done

[[ "$CPU" == one || "$CPU" == any ]] || { echo "--cpu must be one or any" >&2; exit 2; }
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds must be a positive number" >&2; exit 2; }

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- dependencies and build ------------------------------------------------------------------
"$ROOT/scripts/deps.sh" >&2
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DPBX2MQTT_BENCH=ON -DPBX2MQTT_TESTS=OFF >/dev/null
fi
log "building (Release) in $BUILD_DIR"
cmake --build "$BUILD_DIR" -j"$(nproc)" --target pbx2mqtt ami-sim bench_driver >/dev/null
BRIDGE_BIN="$BUILD_DIR/pbx2mqtt"
TRUTH_BIN="$BRIDGE_BIN"
if [[ -n "$MEASURED_BIN" ]]; then
    [[ -x "$MEASURED_BIN" ]] || { echo "--bridge: $MEASURED_BIN is not an executable" >&2; exit 2; }
    BRIDGE_BIN="$MEASURED_BIN"
fi
SIM_BIN="$BUILD_DIR/tools/ami-sim/ami-sim"
DRIVER="$BUILD_DIR/bench/bench_driver"
PEER_DIR="$BUILD_DIR/bench-peer"
if ((PEER)); then
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        if [[ $(id -u) -eq 0 ]]; then as_root=(); else as_root=(sudo); fi
        "${as_root[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    mkdir -p "$PEER_DIR"
    if ! cmp -s "$ROOT/bench/peer/package-lock.json" "$PEER_DIR/package-lock.json" || [[ ! -d "$PEER_DIR/node_modules" ]]; then
        cp "$ROOT/bench/peer/package.json" "$ROOT/bench/peer/package-lock.json" "$PEER_DIR/"
        (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    cp "$ROOT/bench/peer/peer.js" "$PEER_DIR/"
fi

# --- processes -------------------------------------------------------------------------------
WORK="$(mktemp -d /tmp/pbx2mqtt-bench.XXXXXX)"
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
cleanup() {
    stop_all
    if ((KEEP)); then log "work files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
json() {  # json FILE KEY: a number from a one-line JSON object
    sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p" "$1"
}
stop_pid() {  # SIGTERM and wait
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

MQTT_PORT="$("$DRIVER" port)"
MQTT_URI="tcp://127.0.0.1:$MQTT_PORT"
cat >"$WORK/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
# Nagle's algorithm on the broker's sockets (mosquitto's default) held small messages to the
# subscriber for up to one delayed ACK: latency p50 17 ms instead of 0.5 ms, run to run.
set_tcp_nodelay true
EOF
if [[ -n "$INFLIGHT" ]]; then echo "max_inflight_messages $INFLIGHT" >>"$WORK/mosquitto.conf"; fi
if [[ "$(id -u)" == 0 ]]; then echo "user root" >>"$WORK/mosquitto.conf"; fi
mosquitto -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
MOSQUITTO_PID=$!
PIDS+=("$MOSQUITTO_PID")

"$SIM_BIN" --port 0 --control-port 0 --port-file "$WORK/ports.txt" --extensions "$EXTENSIONS" >"$WORK/ami-sim.out" 2>"$WORK/ami-sim.log" &
SIM_PID=$!
PIDS+=("$SIM_PID")
wait_for 30 test -s "$WORK/ports.txt" || { echo "the simulator did not start" >&2; exit 2; }
AMI_PORT="$(sed -n 's/^ami=//p' "$WORK/ports.txt")"
CONTROL_PORT="$(sed -n 's/^control=//p' "$WORK/ports.txt")"
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MQTT_PORT" 2>/dev/null || { echo "mosquitto did not start" >&2; exit 2; }

bridge_config() {  # bridge_config BASE_TOPIC CLIENT_ID
    cat <<EOF
[ami]
host = "127.0.0.1"
port = $AMI_PORT
username = "bridge"
password = "bridgepass"
[mqtt]
uri = "$MQTT_URI"
base_topic = "$1"
client_id = "$2"
stats_interval = 0
qos = $QOS
[process]
cpu = "$CPU"
[pbx]
trunks = ["trunk1"]
[log]
level = "warn"
EOF
}
bridge_config pbx bench-bridge >"$WORK/bridge.toml"
bridge_config truth bench-truth >"$WORK/truth.toml"

log "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); work dir $WORK"

# --- startup ---------------------------------------------------------------------------------
log "startup: $EXTENSIONS extensions"
coproc STARTUP { "$DRIVER" startup --mqtt "$MQTT_URI" --base pbx --expect "$EXTENSIONS" --timeout 120; }
read -r line <&"${STARTUP[0]}"
[[ "$line" == ready ]] || { echo "bench_driver startup: $line" >&2; exit 2; }
T0=$(date +%s%N)
env ${BRIDGE_ENV[@]+"${BRIDGE_ENV[@]}"} "$BRIDGE_BIN" --config "$WORK/bridge.toml" >"$WORK/bridge.log" 2>&1 &
BRIDGE_PID=$!
PIDS+=("$BRIDGE_PID")
read -r line <&"${STARTUP[0]}" || true
read -r _ T1 STARTUP_STATUSES STARTUP_MESSAGES <<<"$line"
[[ "${T1:-}" =~ ^[0-9]+$ ]] || { echo "startup did not complete: $line" >&2; cat "$WORK/bridge.log" >&2; exit 2; }
STARTUP_S=$(awk -v a="$T0" -v b="$T1" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
# The bridge's CPU so far (utime + stime of /proc/<pid>/stat): all of it went to the startup.
STARTUP_CPU=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$BRIDGE_PID/stat")
log "startup: ${STARTUP_S} s ($STARTUP_STATUSES statuses, $STARTUP_MESSAGES messages; bridge CPU ${STARTUP_CPU} s)"

# --- latency ---------------------------------------------------------------------------------
# First, on the PBX as it started (every extension registered and idle, no call): every step of a
# devstate storm then changes its extension's status, so each step has one status message.
# Steady state first: the rest of the snapshot's messages, the stale sweep reading the retained
# tree back (30,000 messages through mosquitto) — a latency phase started during it measured that.
wait_idle 60 "$BRIDGE_PID" "$MOSQUITTO_PID" || log "latency: the bridge or mosquitto did not go idle within 60 s"
log "latency: $LAT_EVENTS device state events at $LAT_RATE/s"
control "storm-log $WORK/steps.txt" >/dev/null
"$DRIVER" latency --mqtt "$MQTT_URI" --control "$CONTROL_PORT" --command "storm $LAT_EVENTS $LAT_RATE devstate" \
    --steps "$WORK/steps.txt" --prefix pbx >"$WORK/latency.json" || true
control "storm-log off" >/dev/null
log "latency: $(cat "$WORK/latency.json")"
# --- held calls, memory, idle ----------------------------------------------------------------
if ((CALLS > 0)); then
    reply="$(control "calls $CALLS")"
    [[ "$reply" == OK* ]] || { echo "calls $CALLS: $reply" >&2; exit 2; }
fi
sleep 5  # the calls' events and messages settle
"$DRIVER" cpu --pid "$BRIDGE_PID" --seconds 5 >"$WORK/idle.json"
log "idle: $(cat "$WORK/idle.json")"

# --- throughput and ceiling, ROUNDS pairs ----------------------------------------------------
# Each round: a prepared storm through the bridge, then the messages it produced through the bare
# publisher (the ceiling) to the same broker and the same kind of subscriber.
for ((round = 1; round <= ROUNDS; round++)); do
    log "throughput (round $round of $ROUNDS): preparing and sending $EVENTS events"
    "$DRIVER" storm --mqtt "$MQTT_URI" --filter 'pbx/#' --control "$CONTROL_PORT" --prepare "storm-prepare $EVENTS" \
        --command "storm-go 0" --pid "$BRIDGE_PID" --ami-port "$AMI_PORT" --capture "$WORK/capture-$round.txt" >"$WORK/throughput-$round.json"
    log "throughput (round $round): $(cat "$WORK/throughput-$round.json")"
    log "ceiling (round $round): the captured messages through a bare Paho publisher"
    "$DRIVER" ceiling --mqtt "$MQTT_URI" --replay "$WORK/capture-$round.txt" --from-prefix pbx --to-prefix ceiling --pin "$CPU" >"$WORK/ceiling-$round.json"
    log "ceiling (round $round): $(cat "$WORK/ceiling-$round.json")"
    drain=$(json "$WORK/throughput-$round.json" drain_messages_per_s); ceil=$(json "$WORK/ceiling-$round.json" messages_per_s)
    dcost=$(json "$WORK/throughput-$round.json" drain_cpu_us_per_message); ccost=$(json "$WORK/ceiling-$round.json" cpu_us_per_message)
    dsw=$(json "$WORK/throughput-$round.json" drain_switches_per_message); csw=$(json "$WORK/ceiling-$round.json" switches_per_message)
    pub=$(json "$WORK/throughput-$round.json" publish_messages_per_s); pcost=$(json "$WORK/throughput-$round.json" publish_cpu_us_per_message)
    tail_s=$(json "$WORK/throughput-$round.json" ami_tail_s)
    awk -v r="$round" -v a="$drain" -v b="$ceil" -v dc="$dcost" -v cc="$ccost" -v ds="$dsw" -v cs="$csw" -v p="$pub" -v pc="$pcost" -v t="$tail_s" \
        'BEGIN {printf "%d %.4f %s %s %s %s %.4f %s %s\n", r, (b > 0 ? a / b : 0), dc, cc, ds, cs, (b > 0 ? p / b : 0), pc, t}' >>"$WORK/drain-ratios.txt"
done
# The table shows each metric's median over the rounds (the lower middle one for an even count),
# and every round's drain/ceiling ratio, costs and switches.
median() {  # median KEY FILE...: a number from each one-line JSON file
    local key=$1; shift
    for f in "$@"; do json "$f" "$key"; done | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
ROUND_RATIOS=$(awk '{printf "%s%.0f%%", (NR > 1 ? ", " : ""), 100 * $2}' "$WORK/drain-ratios.txt")
ROUND_COSTS=$(awk '{printf "%s%s/%s", (NR > 1 ? ", " : ""), $3, $4}' "$WORK/drain-ratios.txt")
ROUND_SWITCHES=$(awk '{printf "%s%s/%s", (NR > 1 ? ", " : ""), $5, $6}' "$WORK/drain-ratios.txt")
ROUND_PUBLISH=$(awk '{printf "%s%.0f%%", (NR > 1 ? ", " : ""), 100 * $7}' "$WORK/drain-ratios.txt")
ROUND_PCOSTS=$(awk '{printf "%s%s/%s", (NR > 1 ? ", " : ""), $8, $4}' "$WORK/drain-ratios.txt")
ROUND_TAILS=$(awk '{printf "%s%s", (NR > 1 ? ", " : ""), $9}' "$WORK/drain-ratios.txt")

# The final tree against a fresh bridge's.
"$TRUTH_BIN" --config "$WORK/truth.toml" >"$WORK/truth.log" 2>&1 &
TRUTH_PID=$!
PIDS+=("$TRUTH_PID")
"$DRIVER" startup --mqtt "$MQTT_URI" --base truth --expect "$EXTENSIONS" --timeout 120 >/dev/null
sleep 2
if "$DRIVER" compare --mqtt "$MQTT_URI" --a pbx --b truth >"$WORK/compare.txt"; then EXACT=yes; else EXACT=no; fi
log "final tree against a fresh bridge: $(tail -1 "$WORK/compare.txt")"
stop_pid "$TRUTH_PID"

stop_pid "$BRIDGE_PID"

# --- peer ------------------------------------------------------------------------------------
if ((PEER)); then
    log "peer: the same storm through bench/peer (Node.js)"
    coproc PEERP { exec node "$PEER_DIR/peer.js" --ami-host 127.0.0.1 --ami-port "$AMI_PORT" --ami-user bridge \
        --ami-secret bridgepass --mqtt-url "mqtt://127.0.0.1:$MQTT_PORT" --prefix peer 2>"$WORK/peer.log"; }
    PEER_PID=$PEERP_PID
    PIDS+=("$PEER_PID")
    while read -r line <&"${PEERP[0]}"; do [[ "$line" == ready ]] && break; done
    sleep 2  # its initial ExtensionStateList publishes settle
    "$DRIVER" storm --mqtt "$MQTT_URI" --filter 'peer/#' --control "$CONTROL_PORT" --prepare "storm-prepare $EVENTS" \
        --command "storm-go 0" --pid "$PEER_PID" >"$WORK/peer.json"
    log "peer: $(cat "$WORK/peer.json")"
    stop_pid "$PEER_PID"
fi

# --- table -----------------------------------------------------------------------------------
TS=("$WORK"/throughput-*.json); CS=("$WORK"/ceiling-*.json)
ingest=$(median ingest_events_per_s "${TS[@]}"); e2e=$(median e2e_events_per_s "${TS[@]}"); msgs=$(median messages_per_s "${TS[@]}")
cpu100k=$(median cpu_s_per_100k_events "${TS[@]}"); peak=$(median peak_rss_kib "${TS[@]}")
ceil=$(median messages_per_s "${CS[@]}")
# Ratios per round (each against the ceiling measured right after it), then their median.
ratio=$(for ((r = 1; r <= ROUNDS; r++)); do
    awk -v a="$(json "$WORK/throughput-$r.json" messages_per_s)" -v b="$(json "$WORK/ceiling-$r.json" messages_per_s)" 'BEGIN {print (b > 0 ? a / b : 0)}'
done | sort -g | awk '{v[NR] = $1} END {printf "%.0f%%", 100 * v[int((NR + 1) / 2)]}')
drain=$(median drain_messages_per_s "${TS[@]}"); drained=$(median drain_messages "${TS[@]}")
dratio=$(sort -k2,2g "$WORK/drain-ratios.txt" | awk '{v[NR] = $2} END {printf "%.0f%%", 100 * v[int((NR + 1) / 2)]}')
publish=$(median publish_messages_per_s "${TS[@]}"); published=$(median publish_messages "${TS[@]}")
pratio=$(sort -k7,7g "$WORK/drain-ratios.txt" | awk '{v[NR] = $7} END {printf "%.0f%%", 100 * v[int((NR + 1) / 2)]}')
idle_cpu=$(json "$WORK/idle.json" cpu_s); idle_rss=$(json "$WORK/idle.json" rss_kib)
p50=$(json "$WORK/latency.json" p50_us); p99=$(json "$WORK/latency.json" p99_us); pmax=$(json "$WORK/latency.json" max_us)
printf '\n'
printf 'pbx2mqtt benchmark: %s extensions, %s held calls, %s storm events; %s cores, %s; QoS %s, [process] cpu = "%s"\n' \
    "$EXTENSIONS" "$CALLS" "$EVENTS" "$(nproc)" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" "$QOS" "$CPU"
if ((${#BRIDGE_ENV[@]})); then printf 'bridge environment: %s\n' "${BRIDGE_ENV[*]}"; fi
printf '%-12s %-44s %s\n' metric value target
printf '%-12s %-44s %s\n' startup "${STARTUP_S} s to ${STARTUP_STATUSES} statuses ($STARTUP_MESSAGES msgs, ${STARTUP_CPU} CPU s)" "< 2 s"
printf '%-12s %-44s %s\n' throughput "$ingest events/s read, $e2e events/s end to end" ">= 100000 events/s"
printf '%-12s %-44s %s\n' messages "$msgs msgs/s = $ratio of the ceiling ($ceil msgs/s)" "(whole storm: reads first, coalesces)"
printf '%-12s %-44s %s\n' drain "$drain msgs/s = $dratio of the ceiling ($drained msgs after the last event)" "(AMI still read in it)"
printf '%-12s %-44s %s\n' rounds "$ROUNDS; the rows above and below: medians over the rounds; drain/ceiling per round: $ROUND_RATIOS" ""
printf '%-12s %-44s %s\n' msg-cost "CPU us per message, drain/ceiling, per round: $ROUND_COSTS" ""
printf '%-12s %-44s %s\n' switches "context switches per message, drain/ceiling, per round: $ROUND_SWITCHES" ""
printf '%-12s %-44s %s\n' publish "$publish msgs/s = $pratio of the ceiling ($published msgs after the bridge read the last AMI byte)" ">= 80% of the ceiling"
printf '%-12s %-44s %s\n' pub-rounds "publish/ceiling per round: $ROUND_PUBLISH; CPU us per message, publish/ceiling: $ROUND_PCOSTS; AMI still unread at the last write, s: $ROUND_TAILS" ""
printf '%-12s %-44s %s\n' exact "$EXACT ($(tail -1 "$WORK/compare.txt"))" "yes"
printf '%-12s %-44s %s\n' latency "p50 ${p50} us, p99 ${p99} us, max ${pmax} us" "p99 < 2000 us"
printf '%-12s %-44s %s\n' cost "$cpu100k CPU s per 100k events; peak RSS $((peak / 1024)) MB" ""
printf '%-12s %-44s %s\n' memory "$((idle_rss / 1024)) MB RSS with the calls held" "< 50 MB"
printf '%-12s %-44s %s\n' idle "$idle_cpu CPU s over 5 idle seconds" "~0"
if ((PEER)); then
    P="$WORK/peer.json"
    pcpu=$(json "$P" cpu_s_per_100k_events); pe2e=$(json "$P" e2e_events_per_s); ppeak=$(json "$P" peak_rss_kib)
    cratio=$(awk -v a="$pcpu" -v b="$cpu100k" 'BEGIN {if (b > 0) printf "%.1fx", a / b; else print "-"}')
    eratio=$(awk -v a="$e2e" -v b="$pe2e" 'BEGIN {if (b > 0) printf "%.1fx", a / b; else print "-"}')
    printf '%-12s %-44s %s\n' peer "$pcpu CPU s per 100k events, $pe2e events/s, peak RSS $((ppeak / 1024)) MB" ""
    printf '%-12s %-44s %s\n' vs-peer "$cratio less CPU per event, $eratio the events/s" ">= 10x less CPU, higher events/s"
fi
