# Shell helpers of the benchmark scripts (bench/run.sh, bench/soak.sh): sourced, not run.
# The caller sets PIDS=() (processes stopped at exit) and CONTROL_PORT (the simulator's).

# wait_for SECONDS COMMAND...: until COMMAND succeeds; status 1 after SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        if ((SECONDS >= deadline)); then return 1; fi
        sleep 0.05
    done
}

# control LINE: one line to the simulator's control port; prints its one-line reply.
control() {
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$CONTROL_PORT"
    printf '%s\n' "$1" >&3
    IFS= read -r reply <&3
    exec 3<&-
    printf '%s\n' "$reply"
}

# stop_all: SIGTERM to every process in PIDS, then wait for them.
stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# wait_idle SECONDS PID...: until every PID used at most 10 ms of CPU in one second (steady
# state: the bridge's startup, its stale sweep reading back the retained tree, mosquitto
# delivering it); status 1 after SECONDS.
wait_idle() {
    local deadline=$((SECONDS + $1)); shift
    local pid busy after
    local -A before=()
    while ((SECONDS < deadline)); do
        for pid in "$@"; do before[$pid]=$(awk '{print $14 + $15}' "/proc/$pid/stat"); done
        sleep 1
        busy=0
        for pid in "$@"; do
            after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
            if ((after - ${before[$pid]} > 1)); then busy=1; fi
        done
        ((busy)) || return 0
    done
    return 1
}
