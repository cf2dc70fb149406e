# shellcheck shell=bash
# The local SMTP server (tools/simulators/smtp-sink, a test double): SMTP on 127.0.0.1:2525 (no TLS, no AUTH),
# a read API on http://127.0.0.1:8025, every received message stored under .devstack/smtp-sink/messages.
# Runs on the workspace's Node (node_modules/.bin/node): `npm install` must have run.

SMTP_HOST="127.0.0.1"
SMTP_PORT=2525
SMTP_API_PORT=8025
SMTP_API_URL="http://$SMTP_HOST:$SMTP_API_PORT"
SMTP_STATE="$STATE_DIR/smtp-sink"
SMTP_MESSAGES="$SMTP_STATE/messages"
SMTP_PID="$SMTP_STATE/smtp-sink.pid"
SMTP_LOG="$LOG_DIR/smtp-sink.log"
# Messages over this size are refused with 552.
SMTP_MAX_MESSAGE_BYTES=10485760
SMTP_NODE="$REPO_ROOT/node_modules/.bin/node"
SMTP_MAIN="$REPO_ROOT/tools/simulators/smtp-sink/main.ts"

# identifies our process in /proc/<pid>/cmdline: the data dir is this checkout's
smtp_running_pid() { pid_running "$SMTP_PID" "$SMTP_MESSAGES"; }

smtp_api_ready() { curl -sf -o /dev/null --max-time 3 "$SMTP_API_URL/health"; }

smtp_ready() { tcp_open "$SMTP_HOST" "$SMTP_PORT" && smtp_api_ready; }

smtp_start() {
  SMTP_STARTED_PID=""
  local pid
  if pid="$(smtp_running_pid)"; then
    log "smtp: already running (pid $pid)"
    return 0
  fi
  if tcp_open "$SMTP_HOST" "$SMTP_PORT" || tcp_open "$SMTP_HOST" "$SMTP_API_PORT"; then
    err "smtp: port $SMTP_PORT or $SMTP_API_PORT is taken by another process"
    return 1
  fi
  if [ ! -x "$SMTP_NODE" ]; then
    err "smtp: $SMTP_NODE missing; run npm install first"
    return 1
  fi
  mkdir -p "$SMTP_MESSAGES"
  log "smtp: starting the SMTP sink on $SMTP_HOST:$SMTP_PORT (read API $SMTP_API_URL, messages in $SMTP_MESSAGES)"
  (cd "$REPO_ROOT" && spawn "$SMTP_PID" "$SMTP_LOG" "$SMTP_NODE" -r @swc-node/register "$SMTP_MAIN" \
    --host "$SMTP_HOST" --smtp-port "$SMTP_PORT" --api-port "$SMTP_API_PORT" \
    --data-dir "$SMTP_MESSAGES" --max-message-bytes "$SMTP_MAX_MESSAGE_BYTES")
  SMTP_STARTED_PID="$(cat "$SMTP_PID")"
}

smtp_wait_ready() {
  local pid="${SMTP_STARTED_PID:-}"
  wait_until 60 "$pid" smtp_ready || { err "smtp: SMTP port or $SMTP_API_URL/health did not answer"; return 1; }
  log "smtp: ready (SMTP $SMTP_HOST:$SMTP_PORT, $SMTP_API_URL/health answers)"
}

smtp_stop() { stop_pid smtp "$SMTP_PID" "$SMTP_MESSAGES" 10; }

smtp_status_line() {
  local pid extra=""
  pid="$(smtp_running_pid)" && extra="pid $pid, API $SMTP_API_URL"
  if smtp_ready; then
    printf '%-9s %-5s %-40s %s\n' smtp up "$SMTP_HOST:$SMTP_PORT" "${extra:-not started by devstack}"
    return 0
  fi
  printf '%-9s %-5s %-40s %s\n' smtp down "$SMTP_HOST:$SMTP_PORT" "$extra"
  return 1
}
