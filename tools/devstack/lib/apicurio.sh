# shellcheck shell=bash
# Apicurio Registry 3.0.x (Quarkus "legacy jar" layout: <dir>/apicurio-registry-app-<v>-runner.jar
# + <dir>/lib/*.jar), PostgreSQL storage in database "apicurio", Confluent-compatible API
# at /apis/ccompat/v7.

APICURIO_CACHE="$CACHE_DIR/apicurio-registry-$APICURIO_VERSION"
APICURIO_JAR="$APICURIO_CACHE/apicurio-registry-app-$APICURIO_VERSION-runner.jar"
APICURIO_STATE="$STATE_DIR/apicurio"
APICURIO_PID="$APICURIO_STATE/apicurio.pid"
APICURIO_LOG="$LOG_DIR/apicurio.log"
APICURIO_CCOMPAT="$APICURIO_URL/apis/ccompat/v7"
APICURIO_CT='Content-Type: application/vnd.schemaregistry.v1+json'
# identifies our process in /proc/<pid>/cmdline independently of the cache location
APICURIO_PATTERN="-Dapicurio.storage.snapshot.location=$APICURIO_STATE"

apicurio_fetch() {
  [ -f "$APICURIO_CACHE/.complete" ] && return 0
  ensure_cmd unzip unzip || return 1
  ensure_cmd curl curl || return 1
  local name="apicurio-registry-app-$APICURIO_VERSION-all.zip" dl="$CACHE_DIR/downloads"
  mkdir -p "$dl"
  if [ ! -f "$dl/$name" ]; then
    # io.apicurio:apicurio-registry-app:<v>:zip:all (~109 MB). Exact-path download with sha1
    # check; falls back to Maven (honours ~/.m2/settings.xml mirrors/proxies).
    if ! maven_download_file io/apicurio apicurio-registry-app "$APICURIO_VERSION" "$name" "$dl/$name"; then
      warn "apicurio: direct download failed, trying mvn dependency:copy"
      mvn_cmd "$MVN_DEP_PLUGIN:copy" -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:zip:all" \
        -DoutputDirectory="$dl" || { err "apicurio: download failed"; return 1; }
    fi
  fi
  log "apicurio: unpacking $name"
  rm -rf "$APICURIO_CACHE.tmp"
  mkdir -p "$APICURIO_CACHE.tmp"
  unzip -q "$dl/$name" -d "$APICURIO_CACHE.tmp" || { err "apicurio: unzip failed"; return 1; }
  [ -f "$APICURIO_CACHE.tmp/$(basename "$APICURIO_JAR")" ] || { err "apicurio: runner jar not in zip"; return 1; }
  rm -rf "$APICURIO_CACHE"
  mv "$APICURIO_CACHE.tmp" "$APICURIO_CACHE"
  touch "$APICURIO_CACHE/.complete"
  rm -f "$dl/$name" # unpacked copy is all we need
}

apicurio_running_pid() { pid_running "$APICURIO_PID" "$APICURIO_PATTERN"; }

apicurio_ready() {
  curl -sf -o /dev/null --max-time 5 "$APICURIO_URL/health/ready" &&
    curl -sf -o /dev/null --max-time 5 "$APICURIO_CCOMPAT/subjects"
}

apicurio_start() {
  APICURIO_STARTED_PID=""
  local pid
  if pid="$(apicurio_running_pid)"; then
    log "apicurio: already running (pid $pid)"
    return 0
  fi
  if tcp_open "$APICURIO_HOST" "$APICURIO_PORT"; then
    if apicurio_ready; then
      log "apicurio: something not started by devstack already serves $APICURIO_URL; leaving it alone"
      return 0
    fi
    err "apicurio: port $APICURIO_PORT is taken by another process"
    return 1
  fi
  mkdir -p "$APICURIO_STATE"
  log "apicurio: starting on $APICURIO_URL (storage: postgresql database apicurio)"
  # Config names from the app's application.properties (3.0.x): apicurio.storage.kind=sql +
  # apicurio.storage.sql.kind=postgresql + apicurio.datasource.*. The pool defaults (20
  # initial/min connections) are lowered for a laptop. apicurio.rules.global.compatibility is
  # the default global rule; `up` also PUTs it through ccompat, which persists it in the DB.
  # shellcheck disable=SC2016
  (cd "$APICURIO_STATE" && spawn "$APICURIO_PID" "$APICURIO_LOG" \
    "$JAVA_BIN" -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dquarkus.http.host="$APICURIO_HOST" -Dquarkus.http.port="$APICURIO_PORT" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=postgresql \
    -Dapicurio.datasource.url="jdbc:postgresql://$PG_HOST:$PG_PORT/apicurio" \
    -Dapicurio.datasource.username="$PG_USER" -Dapicurio.datasource.password=postgres \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
    -Dapicurio.datasource.jdbc.max-size=20 \
    -Dapicurio.rules.global.compatibility=BACKWARD \
    "$APICURIO_PATTERN" \
    '-Dquarkus.log.console.format=%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c{2.}] (%t) %s%e%n' \
    -jar "$APICURIO_JAR")
  APICURIO_STARTED_PID="$(cat "$APICURIO_PID")"
}

# Sets the global compatibility to BACKWARD through the Confluent-compatible API and reads it back.
apicurio_configure() {
  local got
  curl -sf --max-time 10 -X PUT -H "$APICURIO_CT" -d '{"compatibility":"BACKWARD"}' \
    "$APICURIO_CCOMPAT/config" >/dev/null || { err "apicurio: PUT $APICURIO_CCOMPAT/config failed"; return 1; }
  got="$(curl -sf --max-time 10 "$APICURIO_CCOMPAT/config")" || { err "apicurio: GET config failed"; return 1; }
  case "$got" in
    *'"BACKWARD"'*) ;;
    *) err "apicurio: global compatibility is $got, expected BACKWARD"; return 1 ;;
  esac
  log "apicurio: global compatibility = BACKWARD ($got)"
}

# Proves that ccompat enforces BACKWARD: v1 registers, v2 adding a field without a default
# (BACKWARD-incompatible for Avro) is refused with 409, then the probe subject is deleted.
apicurio_compat_probe() {
  local subj="devstack-compat-probe-$$-$RANDOM" code ok=0
  local v1='{"schema":"{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"devstack\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}"}'
  local v2='{"schema":"{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"devstack\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"string\"}]}"}'
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "$APICURIO_CT" -d "$v1" "$APICURIO_CCOMPAT/subjects/$subj/versions")"
  if [ "$code" != 200 ]; then
    err "apicurio: compat probe: registering v1 returned HTTP $code"
    ok=1
  else
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "$APICURIO_CT" -d "$v2" "$APICURIO_CCOMPAT/subjects/$subj/versions")"
    if [ "$code" = 409 ]; then
      log "apicurio: compat probe OK (BACKWARD-incompatible v2 refused with 409)"
    else
      err "apicurio: compat probe: incompatible v2 returned HTTP $code, expected 409"
      ok=1
    fi
  fi
  curl -s -o /dev/null --max-time 10 -X DELETE "$APICURIO_CCOMPAT/subjects/$subj" || true
  curl -s -o /dev/null --max-time 10 -X DELETE "$APICURIO_CCOMPAT/subjects/$subj?permanent=true" || true
  return "$ok"
}

apicurio_wait_ready() {
  local pid="${APICURIO_STARTED_PID:-}"
  wait_until 120 "$pid" apicurio_ready || return 1
  log "apicurio: ready ($APICURIO_URL/health/ready and $APICURIO_CCOMPAT/subjects answer)"
  apicurio_configure || return 1
  if [ -n "$pid" ]; then
    apicurio_compat_probe || return 1
  fi
}

apicurio_stop() { stop_pid apicurio "$APICURIO_PID" "$APICURIO_PATTERN" 30; }

apicurio_status_line() {
  local pid extra=""
  pid="$(apicurio_running_pid)" && extra="pid $pid"
  if curl -sf -o /dev/null --max-time 3 "$APICURIO_URL/health/ready"; then
    printf '%-9s %-5s %-40s %s\n' apicurio up "$APICURIO_CCOMPAT" "${extra:-not started by devstack}"
    return 0
  fi
  printf '%-9s %-5s %-40s %s\n' apicurio down "$APICURIO_CCOMPAT" "$extra"
  return 1
}
