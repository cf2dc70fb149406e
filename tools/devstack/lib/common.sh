# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for tools/devstack/devstack. Sourced, never executed.

DEVSTACK_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$DEVSTACK_HOME/../.." && pwd)"
STATE_DIR="$REPO_ROOT/.devstack"
LOG_DIR="$STATE_DIR/logs"
CACHE_DIR="$(realpath -m "${CLOSEOUT_CACHE_DIR:-$HOME/.cache/closeout}")"
MAVEN_REPO_URL="${CLOSEOUT_MAVEN_REPO_URL:-https://repo1.maven.org/maven2}"
# Maven local repository used for devstack downloads. Kept inside the cache dir so that
# clearing the cache really means "download everything again", and ~/.m2 stays untouched.
M2_REPO="$CACHE_DIR/m2"
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

KAFKA_VERSION="3.9.1"
SCALA_VERSION="2.13"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
# SASL_PLAINTEXT with SCRAM-SHA-512: what the services, tests and tools use (`env` points them at it).
KAFKA_SASL_PORT=9094
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
# One SCRAM user per service, one for tools and tests; passwords generated once into $STATE_DIR/kafka/users/.
KAFKA_TOOLS_USER=closeout-tools
KAFKA_SERVICE_USERS=(trigger-ingest orchestrator writeback-rest writeback-soap writeback-sftp reconciler messaging mini-app-backend audit-exporter)

APICURIO_VERSION="3.0.9"
APICURIO_HOST="127.0.0.1"
APICURIO_PORT=8081
APICURIO_URL="http://$APICURIO_HOST:$APICURIO_PORT"

PG_HOST="127.0.0.1"
PG_PORT=5432
PG_USER="postgres"
PG_DB="closeout"
PG_SCHEMAS=(ingest orchestrator messaging miniapp writeback_rest writeback_soap writeback_sftp reconciler audit)

SFTP_HOST="127.0.0.1"
SFTP_PORT=2222

JAVA_BIN="${JAVA_HOME:+$JAVA_HOME/bin/}java"

log()  { printf '[devstack] %s\n' "$*"; }
warn() { printf '[devstack] WARNING: %s\n' "$*" >&2; }
err()  { printf '[devstack] ERROR: %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

now() { date +%s.%N; }
elapsed_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }

# apt-get update at most once per devstack invocation.
_APT_UPDATED=0
apt_install() {
  if ! is_root; then
    err "need to install Debian package(s) $* but not running as root; install them and retry"
    return 1
  fi
  if [ "$_APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    _APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" || return 1
}

# ensure_cmd <command> <debian package>
ensure_cmd() {
  command -v "$1" >/dev/null 2>&1 && return 0
  apt_install "$2" || return 1
  command -v "$1" >/dev/null 2>&1
}

# tcp_open <host> <port>: true if something accepts TCP connections there.
tcp_open() {
  # shellcheck disable=SC2016
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# pid_running <pidfile> <pattern>: the pid in the file is alive and its command line
# contains <pattern> (guards against a recycled pid). Prints the pid.
pid_running() {
  local pidfile="$1" pattern="$2" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" || return 1
  printf '%s' "$pid"
}

# stop_pid <name> <pidfile> <pattern> <grace seconds>: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local name="$1" pidfile="$2" pattern="$3" grace="$4" pid i
  if ! pid="$(pid_running "$pidfile" "$pattern")"; then
    rm -f "$pidfile"
    log "$name: not running (nothing to stop)"
    return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    proc_alive "$pid" || break
    sleep 0.1
  done
  if proc_alive "$pid"; then
    warn "$name: pid $pid still alive after ${grace}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$pidfile"
  log "$name: stopped"
}

# proc_alive <pid>: exists and is not a zombie.
proc_alive() {
  [ -r "/proc/$1/stat" ] || return 1
  local st
  st="$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_until <timeout seconds> <pid or ""> <command...>: polls the command every 0.5 s.
# Fails early if the given pid dies.
wait_until() {
  local timeout="$1" pid="$2" deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "$pid" ] && ! proc_alive "$pid"; then
      err "process $pid exited while waiting"
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      err "timed out after ${timeout}s"
      return 1
    fi
    sleep 0.5
  done
}

# spawn <pidfile> <logfile> <command...>: start a daemon in its own session (so Ctrl-C on
# the terminal that ran `up` does not kill it), stdin from /dev/null, output appended to
# the log. setsid does not fork here (the shell has no job control, so the child is not a
# process-group leader), hence $! is the daemon's pid.
spawn() {
  local pidfile="$1" logfile="$2"
  shift 2
  printf '\n===== %s devstack start: %s =====\n' "$(date -Is)" "$*" >>"$logfile"
  # 9>&- : do not leak the devstack lock fd into the daemon
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  printf '%s\n' "$!" >"$pidfile"
}

require_java() {
  if ! command -v "$JAVA_BIN" >/dev/null 2>&1; then
    apt_install openjdk-17-jre-headless || return 1
    JAVA_BIN=java
  fi
  local v
  v="$("$JAVA_BIN" -version 2>&1 | awk -F'"' '/version/ { print $2; exit }')"
  if [ "${v%%.*}" -lt 17 ] 2>/dev/null; then
    err "Java 17+ required, found $v ($JAVA_BIN); set JAVA_HOME"
    return 1
  fi
}

# maven_download_file <group path> <artifact> <version> <file name> <dest>
# Fetches one exact file from Maven Central with curl and checks its .sha1.
maven_download_file() {
  local gpath="$1" artifact="$2" version="$3" file="$4" dest="$5" url sha_expected sha_actual
  url="$MAVEN_REPO_URL/$gpath/$artifact/$version/$file"
  log "downloading $url"
  curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$dest.part" "$url" || return 1
  sha_expected="$(curl -fsSL --retry 3 --connect-timeout 20 "$url.sha1" | awk '{ print $1 }')" || return 1
  sha_actual="$(sha1sum "$dest.part" | awk '{ print $1 }')"
  if [ -z "$sha_expected" ] || [ "$sha_expected" != "$sha_actual" ]; then
    err "checksum mismatch for $url (expected '$sha_expected', got '$sha_actual')"
    rm -f "$dest.part"
    return 1
  fi
  mv "$dest.part" "$dest"
}

mvn_cmd() {
  ensure_cmd mvn maven || return 1
  mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$M2_REPO" -Dmaven.wagon.http.retryHandler.count=3 "$@"
}
