# shellcheck shell=bash
# Zipkin server 3.4.x (the `io.zipkin:zipkin-server:<v>:jar:exec` executable jar from Maven Central), in-memory
# storage, HTTP on 127.0.0.1:9411: the UI at /zipkin/, span intake at /api/v2/spans, traces at /api/v2/trace/{id}.
# The services export to it when started with OTEL_TRACES_EXPORTER=zipkin and ZIPKIN_ENDPOINT (docs/operations/tracing.md).

ZIPKIN_VERSION="3.4.2"
ZIPKIN_HOST="127.0.0.1"
ZIPKIN_PORT=9411
ZIPKIN_URL="http://$ZIPKIN_HOST:$ZIPKIN_PORT"
ZIPKIN_SPANS_ENDPOINT="$ZIPKIN_URL/api/v2/spans"
# Spans kept in memory before the oldest traces are dropped (the server's default is 500 000; fewer keeps the heap small).
ZIPKIN_MAX_SPANS=300000
ZIPKIN_CACHE="$CACHE_DIR/zipkin-server-$ZIPKIN_VERSION"
ZIPKIN_JAR="$ZIPKIN_CACHE/zipkin-server-$ZIPKIN_VERSION-exec.jar"
ZIPKIN_STATE="$STATE_DIR/zipkin"
ZIPKIN_PID="$ZIPKIN_STATE/zipkin.pid"
ZIPKIN_LOG="$LOG_DIR/zipkin.log"
# identifies our process in /proc/<pid>/cmdline independently of the cache location
ZIPKIN_PATTERN="-Dcloseout.devstack.zipkin=$ZIPKIN_STATE"

zipkin_fetch() {
  [ -f "$ZIPKIN_CACHE/.complete" ] && return 0
  ensure_cmd curl curl || return 1
  local name
  name="$(basename "$ZIPKIN_JAR")"
  mkdir -p "$ZIPKIN_CACHE"
  # ~86 MB. Exact-path download with sha1 check; falls back to Maven (honours ~/.m2/settings.xml mirrors/proxies).
  if ! maven_download_file io/zipkin zipkin-server "$ZIPKIN_VERSION" "$name" "$ZIPKIN_JAR"; then
    warn "zipkin: direct download failed, trying mvn dependency:copy"
    mvn_cmd "$MVN_DEP_PLUGIN:copy" -Dartifact="io.zipkin:zipkin-server:$ZIPKIN_VERSION:jar:exec" \
      -DoutputDirectory="$ZIPKIN_CACHE" || { err "zipkin: download failed"; return 1; }
  fi
  [ -f "$ZIPKIN_JAR" ] || { err "zipkin: $ZIPKIN_JAR missing after download"; return 1; }
  touch "$ZIPKIN_CACHE/.complete"
}

zipkin_running_pid() { pid_running "$ZIPKIN_PID" "$ZIPKIN_PATTERN"; }

zipkin_ready() { curl -sf -o /dev/null --max-time 3 "$ZIPKIN_URL/health"; }

zipkin_start() {
  ZIPKIN_STARTED_PID=""
  local pid
  if pid="$(zipkin_running_pid)"; then
    log "zipkin: already running (pid $pid)"
    return 0
  fi
  if tcp_open "$ZIPKIN_HOST" "$ZIPKIN_PORT"; then
    if zipkin_ready; then
      log "zipkin: something not started by devstack already serves $ZIPKIN_URL; leaving it alone"
      return 0
    fi
    err "zipkin: port $ZIPKIN_PORT is taken by another process"
    return 1
  fi
  mkdir -p "$ZIPKIN_STATE"
  log "zipkin: starting on $ZIPKIN_URL (in-memory storage, at most $ZIPKIN_MAX_SPANS spans)"
  # Spring Boot properties of zipkin-server 3 (zipkin-server-shared.yml): one Armeria HTTP port bound to 127.0.0.1,
  # mem storage, no self-tracing, no collectors other than HTTP.
  (cd "$ZIPKIN_STATE" && spawn "$ZIPKIN_PID" "$ZIPKIN_LOG" \
    "$JAVA_BIN" -Xms64m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true "$ZIPKIN_PATTERN" \
    -jar "$ZIPKIN_JAR" \
    --armeria.ports[0].ip="$ZIPKIN_HOST" --armeria.ports[0].port="$ZIPKIN_PORT" \
    --armeria.ports[0].protocols[0]=http \
    --zipkin.storage.type=mem --zipkin.storage.mem.max-spans="$ZIPKIN_MAX_SPANS" \
    --zipkin.self-tracing.enabled=false --zipkin.collector.scribe.enabled=false \
    --logging.level.root=WARN --logging.level.zipkin2=INFO)
  ZIPKIN_STARTED_PID="$(cat "$ZIPKIN_PID")"
}

zipkin_wait_ready() {
  local pid="${ZIPKIN_STARTED_PID:-}"
  wait_until 90 "$pid" zipkin_ready || { err "zipkin: $ZIPKIN_URL/health did not answer"; return 1; }
  log "zipkin: ready ($ZIPKIN_URL/health answers; UI $ZIPKIN_URL/zipkin/)"
}

zipkin_stop() { stop_pid zipkin "$ZIPKIN_PID" "$ZIPKIN_PATTERN" 20; }

zipkin_status_line() {
  local pid extra=""
  pid="$(zipkin_running_pid)" && extra="pid $pid"
  if zipkin_ready; then
    printf '%-9s %-5s %-40s %s\n' zipkin up "$ZIPKIN_URL" "${extra:-not started by devstack}"
    return 0
  fi
  printf '%-9s %-5s %-40s %s\n' zipkin down "$ZIPKIN_URL" "$extra"
  return 1
}
