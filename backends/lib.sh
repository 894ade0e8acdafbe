# shellcheck shell=bash
# Shared logic for the backends/<name> scripts (see README.md).
#
# A backend script sets NAME and TAG, sources this file, defines the hooks
# below and calls `backend_main "$@"`:
#
#   have_tool           optional: succeed when a usable server is already
#                       installed elsewhere (then install_tool is skipped)
#   install_tool        install the pinned server into $TOOL_DIR (runs under
#                       an exclusive lock, only when $TOOL_DIR/.installed is
#                       missing; output goes to the install log)
#   server_command PORT DATA
#                       set the SERVER array (command line) and optionally
#                       SERVER_ENV (VAR=value words passed to env)
#   prepare_data DATA   optional: fill the fresh data dir before launch
#   ready URL           succeed once the server answers at http://127.0.0.1:PORT
#   create_bucket URL   create $BUCKET on the running server
#   settings URL        print the KEY=value lines (without <TAG>_PID)
#
# Everything except the settings goes to stderr.

set -euo pipefail

FERRY_TOOLS_DIR=${FERRY_TOOLS_DIR:-$HOME/.cache/ferry/tools}
FERRY_BACKENDS_STATE=${FERRY_BACKENDS_STATE:-/tmp/ferry-backends}
READY_TIMEOUT=${FERRY_BACKENDS_READY_TIMEOUT:-120}
INSTALL_LOCK_TIMEOUT=${FERRY_BACKENDS_INSTALL_LOCK_TIMEOUT:-1800}
BUCKET=ferry-test

: "${NAME:?backend script must set NAME}" "${TAG:?backend script must set TAG}"
STATE_DIR=$FERRY_BACKENDS_STATE/$NAME
PIDFILE=$STATE_DIR/pid
PORTFILE=$STATE_DIR/port
SETTINGS=$STATE_DIR/settings
LOG=$STATE_DIR/server.log
DATA_DIR=$STATE_DIR/data

log() { echo "$NAME: $*" >&2; }
die() { echo "$NAME: error: $*" >&2; exit 1; }

# HTTP status code of a request (000 when nothing answered).
http_code() {
    curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" || true
}

# Any HTTP answer at all (servers that require auth answer 403 to `GET /`).
answers() { [[ $(http_code "$1/") != 000 ]]; }

# A free loopback TCP port chosen by the kernel.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start time of a process in clock ticks since boot (field 22 of
# /proc/PID/stat); a PID plus its start time names one process even if the
# PID is later reused.
proc_start_time() {
    local stat fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    read -ra fields <<<"${stat##*) }"
    echo "${fields[19]}"
}

# Succeeds when the process recorded in the pidfile is still the one we started.
recorded_alive() {
    local pid started now
    [[ -f $PIDFILE ]] || return 1
    read -r pid started <"$PIDFILE" || return 1
    now=$(proc_start_time "$pid") || return 1
    [[ $now == "$started" ]]
}

recorded_pid() {
    local pid _rest
    read -r pid _rest <"$PIDFILE" && echo "$pid"
}

base_url() { echo "http://127.0.0.1:$(cat "$PORTFILE")"; }

# Serialise start/stop of this backend (per state dir).
take_state_lock() {
    mkdir -p "$STATE_DIR"
    exec 8>"$STATE_DIR/lock"
    flock -w 300 8 || die "timed out waiting for $STATE_DIR/lock"
}

# Install the tool once, under an exclusive lock shared by every process
# using the same tools dir. A half-finished install (no marker) is redone.
ensure_installed() {
    [[ -f $TOOL_DIR/.installed ]] && return 0
    if declare -F have_tool >/dev/null && have_tool; then
        return 0
    fi
    mkdir -p "$FERRY_TOOLS_DIR/.locks" "$STATE_DIR"
    local lock=$FERRY_TOOLS_DIR/.locks/${TOOL_DIR##*/}.lock
    local ilog=$STATE_DIR/install.log
    exec 9>"$lock"
    if ! flock -n 9; then
        log "waiting for install lock $lock"
        flock -w "$INSTALL_LOCK_TIMEOUT" 9 || die "timed out waiting for install lock $lock"
    fi
    if [[ ! -f $TOOL_DIR/.installed ]]; then
        log "installing into $TOOL_DIR (log: $ilog)"
        rm -rf "$TOOL_DIR"
        mkdir -p "$TOOL_DIR"
        local t0=$SECONDS
        # Run in the background and wait: inside an `if` condition bash
        # would ignore `set -e` in install_tool.
        # 8>&-: installer processes must not hold the state lock.
        (install_tool) >"$ilog" 2>&1 8>&- &
        if ! wait $!; then
            tail -n 20 "$ilog" >&2
            die "install failed (see $ilog)"
        fi
        touch "$TOOL_DIR/.installed"
        log "installed in $((SECONDS - t0)) s"
    fi
    exec 9>&-
}

# Create a python venv in $TOOL_DIR/venv and pip install the given packages.
venv_install() {
    python3 -m venv "$TOOL_DIR/venv"
    "$TOOL_DIR/venv/bin/pip" install --disable-pip-version-check --no-input "$@"
}

print_settings() { cat "$SETTINGS"; }

# Kill the process group we started (setsid made the PID its group leader),
# wait for it to exit, escalate to SIGKILL after a grace period.
kill_recorded() {
    local pid i
    if recorded_alive; then
        pid=$(recorded_pid)
        log "stopping PID $pid (process group)"
        kill -TERM -- "-$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do
            kill -0 -- "-$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 -- "-$pid" 2>/dev/null; then
            log "still running after 15 s, sending SIGKILL"
            kill -KILL -- "-$pid" 2>/dev/null || true
            for ((i = 0; i < 50; i++)); do
                kill -0 -- "-$pid" 2>/dev/null || break
                sleep 0.1
            done
            ! kill -0 -- "-$pid" 2>/dev/null || die "process group $pid did not exit"
        fi
    fi
    rm -f "$PIDFILE" "$SETTINGS" "$PORTFILE"
}

do_start() {
    take_state_lock
    if recorded_alive; then
        if ready "$(base_url)"; then
            log "already running (PID $(recorded_pid))"
            print_settings
            return 0
        fi
        log "recorded process is alive but not answering; restarting it"
    fi
    [[ ! -f $PIDFILE ]] || kill_recorded

    ensure_installed

    if [[ ${FERRY_BACKENDS_KEEP_DATA:-0} != 1 ]]; then
        rm -rf "$DATA_DIR"
    fi
    mkdir -p "$DATA_DIR"
    if declare -F prepare_data >/dev/null; then
        prepare_data "$DATA_DIR"
    fi

    local port url pid started i
    port=$(free_port) || die "could not pick a free port"
    url=http://127.0.0.1:$port
    SERVER=() SERVER_ENV=()
    server_command "$port" "$DATA_DIR"
    log "starting on $url (log: $LOG)"
    # 8>&-: the server must not inherit (and so hold) the state lock.
    setsid env ${SERVER_ENV[@]+"${SERVER_ENV[@]}"} "${SERVER[@]}" >"$LOG" 2>&1 </dev/null 8>&- &
    pid=$!
    started=$(proc_start_time "$pid") || {
        tail -n 30 "$LOG" >&2
        die "server exited immediately"
    }
    echo "$pid $started" >"$PIDFILE"
    echo "$port" >"$PORTFILE"

    for ((i = 0; i < READY_TIMEOUT * 2; i++)); do
        ready "$url" && break
        if ! recorded_alive; then
            tail -n 30 "$LOG" >&2
            rm -f "$PIDFILE" "$PORTFILE"
            die "server exited before answering (see $LOG)"
        fi
        sleep 0.5
    done
    if ! ready "$url"; then
        tail -n 30 "$LOG" >&2
        kill_recorded
        die "not answering on $url after ${READY_TIMEOUT} s (see $LOG)"
    fi

    if ! create_bucket "$url"; then
        tail -n 10 "$LOG" >&2
        kill_recorded
        die "could not create bucket $BUCKET on $url"
    fi

    {
        settings "$url"
        echo "${TAG}_PID=$pid"
    } >"$SETTINGS.tmp"
    mv "$SETTINGS.tmp" "$SETTINGS"
    log "ready on $url (PID $pid)"
    print_settings
}

do_stop() {
    take_state_lock
    if [[ -f $PIDFILE ]]; then
        kill_recorded
        log "stopped"
    else
        log "not running"
    fi
}

do_status() {
    if recorded_alive && [[ -f $SETTINGS ]] && ready "$(base_url)"; then
        print_settings
        return 0
    fi
    log "not running"
    return 1
}

backend_main() {
    case ${1:-} in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
    esac
}
