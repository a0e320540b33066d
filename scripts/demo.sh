#!/usr/bin/env bash
# Runs pbx2mqtt against the AMI simulator and a private mosquitto, all on 127.0.0.1, and shows
# the MQTT topics it publishes under pbx/ as they change.
#
#   scripts/demo.sh [--for SECONDS]
#     --for SECONDS   stop by itself after SECONDS (default: run until Ctrl-C)
set -euo pipefail

usage() { sed -n '2,6s/^# \{0,1\}//p' "$0"; }

duration=""
while (( $# > 0 )); do
  case "$1" in
    --for)
      [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || { usage >&2; exit 2; }
      duration=$2; shift ;;
    --for=*)
      duration=${1#--for=}
      [[ $duration =~ ^[0-9]+$ ]] || { usage >&2; exit 2; } ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
repo=$PWD

say() { printf '==> %s\n' "$*"; }
fail() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

bash scripts/deps.sh

# ---- build -------------------------------------------------------------------------------
say "building ami-sim and pbx2mqtt in build/ (first time: a minute or two)"
cmake -S . -B build >/dev/null || fail "cmake could not configure build/: see the errors above"
cmake --build build -j"$(nproc)" --target ami-sim \
  || fail "the AMI simulator (tools/ami-sim) does not build: see the errors above"
sim_bin=$repo/build/tools/ami-sim/ami-sim
bridge_bin=$repo/build/pbx2mqtt
bridge_built=1
if ! cmake --build build -j"$(nproc)" --target pbx2mqtt; then
  bridge_built=0
  echo "demo.sh: pbx2mqtt does not build (errors above); starting the broker and the simulator anyway" >&2
fi

# ---- processes and their cleanup ------------------------------------------------------------
workdir=$(mktemp -d -t pbx2mqtt-demo.XXXXXX)
pids=()      # started in this order; stopped in the reverse order
keep_logs=0

alive() {  # a running process that is not a zombie
  kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]
}

stop_pid() {  # SIGTERM, SIGTERM again (mosquitto can miss an early one), then SIGKILL
  local pid=$1 step
  for step in TERM TERM KILL; do
    alive "$pid" || break
    kill -s "$step" "$pid" 2>/dev/null || true
    for _ in $(seq 20); do alive "$pid" || break; sleep 0.1; done
  done
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local i
  for (( i=${#pids[@]}-1; i>=0; i-- )); do stop_pid "${pids[i]}"; done
  if (( (rc != 0 && rc != 143) || keep_logs )); then
    echo "demo.sh: logs kept in $workdir" >&2
  else
    rm -rf "$workdir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; say "stopping"; exit 0' INT   # Ctrl-C is the normal way to end the demo
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # PORT PID SECONDS: true once PORT accepts connections while PID runs
  local deadline=$((SECONDS + $3))
  while (( SECONDS <= deadline )); do
    port_in_use "$1" && return 0
    alive "$2" || return 1
    sleep 0.05
  done
  return 1
}

# ---- mosquitto ----------------------------------------------------------------------------
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
mqtt_port=""
for _ in $(seq 20); do
  candidate=$((20000 + RANDOM % 40000))
  port_in_use "$candidate" && continue
  {
    echo "listener $candidate 127.0.0.1"
    echo "allow_anonymous true"
    echo "persistence false"
    echo "log_dest stderr"
    # As root, mosquitto would switch to user "mosquitto", which cannot read this private dir.
    if [[ $(id -u) -eq 0 ]]; then echo "user root"; fi
  } >"$workdir/mosquitto.conf"
  "$mosquitto_bin" -c "$workdir/mosquitto.conf" >"$workdir/mosquitto.log" 2>&1 &
  mosquitto_pid=$!
  pids+=("$mosquitto_pid")
  if wait_port "$candidate" "$mosquitto_pid" 5; then
    mqtt_port=$candidate
    break
  fi
  stop_pid "$mosquitto_pid"   # most likely the port was taken meanwhile: try another
done
[[ -n $mqtt_port ]] || { cat "$workdir/mosquitto.log" >&2; fail "mosquitto did not start"; }

# ---- AMI simulator ------------------------------------------------------------------------
"$sim_bin" --scenario lively --port 0 --control-port 0 --port-file "$workdir/ami-sim.ports" \
  --username bridge --secret bridgepass >"$workdir/ami-sim.log" 2>&1 &
sim_pid=$!
pids+=("$sim_pid")
ami_port="" control_port=""
for _ in $(seq 100); do
  if [[ -f $workdir/ami-sim.ports ]]; then
    ami_port=$(sed -n 's/^ami=\([0-9]*\)$/\1/p' "$workdir/ami-sim.ports")
    control_port=$(sed -n 's/^control=\([0-9]*\)$/\1/p' "$workdir/ami-sim.ports")
    [[ -n $ami_port && -n $control_port ]] && break
  fi
  alive "$sim_pid" || break
  sleep 0.05
done
if [[ -z $ami_port || -z $control_port ]]; then
  tail -n 20 "$workdir/ami-sim.log" >&2
  fail "ami-sim did not start (no port file); its log is above"
fi

# ---- the bridge ---------------------------------------------------------------------------
cat >"$workdir/pbx2mqtt.toml" <<TOML
# Written by scripts/demo.sh
[ami]
host = "127.0.0.1"
port = $ami_port
username = "bridge"
password = "bridgepass"
reconnect = true
reconnect_after = 1000

[mqtt]
uri = "tcp://127.0.0.1:$mqtt_port"
client_id = "pbx2mqtt-demo"
base_topic = "pbx"

[pbx]
trunks = ["trunk1"]

[log]
level = "info"
TOML

(( bridge_built )) || fail "mosquitto (port $mqtt_port) and ami-sim (AMI port $ami_port) ran, but pbx2mqtt could not be built: nothing to show"
[[ -x $bridge_bin ]] || fail "$bridge_bin does not exist"

"$bridge_bin" -c "$workdir/pbx2mqtt.toml" >"$workdir/pbx2mqtt.log" 2>&1 &
bridge_pid=$!
pids+=("$bridge_pid")
sleep 1
if ! alive "$bridge_pid"; then
  wait "$bridge_pid" && bridge_rc=0 || bridge_rc=$?
  echo "---- pbx2mqtt log ----" >&2
  tail -n 30 "$workdir/pbx2mqtt.log" >&2
  echo "----------------------" >&2
  fail "pbx2mqtt exited at once (exit status $bridge_rc) instead of running; mosquitto and ami-sim were fine"
fi

cat <<INFO
==> pbx2mqtt demo (everything on 127.0.0.1)
    mosquitto   port $mqtt_port (pid $mosquitto_pid)
    ami-sim     AMI port $ami_port, control port $control_port, scenario "lively" (pid $sim_pid)
    pbx2mqtt    pid $bridge_pid, config $workdir/pbx2mqtt.toml
    logs        $workdir/*.log (removed on a clean exit)
    drive the simulator from another shell, e.g.:
      exec 3<>/dev/tcp/127.0.0.1/$control_port; echo 'call 2001 2002' >&3; head -n1 <&3
    watch from another shell too:
      mosquitto_sub -h 127.0.0.1 -p $mqtt_port -v -t 'pbx/#'
==> showing pbx/# below; $( [[ -n $duration ]] && echo "stops after $duration s" || echo "Ctrl-C stops everything")
INFO

sub=(mosquitto_sub -h 127.0.0.1 -p "$mqtt_port" -v -t 'pbx/#')
if [[ -n $duration ]]; then
  timeout --foreground "$duration" "${sub[@]}" || { rc=$?; (( rc == 124 )) || exit "$rc"; }
else
  "${sub[@]}" || true   # Ctrl-C ends it; the INT trap then cleans up
fi

if ! alive "$bridge_pid"; then
  keep_logs=1
  echo "demo.sh: pbx2mqtt stopped during the demo; see $workdir/pbx2mqtt.log" >&2
  exit 1
fi
say "stopping"
