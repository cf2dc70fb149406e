# shellcheck shell=bash
# PostgreSQL: the machine's own (Debian) cluster on 127.0.0.1:5432. devstack starts it if
# it is stopped and installs it if it is missing, but never stops it (it is shared).

pg_psql() {
  psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -w -v ON_ERROR_STOP=1 -Atq "$@"
}

pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

# Prints "version name status logfile" of the Debian cluster on $PG_PORT, if any.
pg_cluster() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 1
  pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p { print $1, $2, $4, $7; found = 1; exit } END { exit !found }'
}

pg_log_file() {
  local ver name logfile
  if read -r ver name _ logfile < <(pg_cluster); then
    printf '%s' "$logfile"
  fi
}

pg_status_line() {
  if pg_ready 2>/dev/null; then
    printf '%-9s %-5s %-40s %s\n' postgres up "$PG_HOST:$PG_PORT" "db $PG_DB (system PostgreSQL, shared)"
    return 0
  fi
  printf '%-9s %-5s %-40s %s\n' postgres down "$PG_HOST:$PG_PORT" ""
  return 1
}

# A freshly apt-installed cluster uses scram auth on 127.0.0.1; this machine's convention
# (and DATABASE_URL) is passwordless trust for local TCP connections. Only done as root.
pg_ensure_trust() {
  pg_psql -d postgres -c 'select 1' >/dev/null 2>&1 && return 0
  is_root || { err "postgres: cannot log in as $PG_USER on $PG_HOST:$PG_PORT without a password"; return 1; }
  local hba
  hba="$(runuser -u postgres -- psql -Atqc 'show hba_file' 2>/dev/null)" || {
    err "postgres: cannot connect as $PG_USER over TCP or the local socket"
    return 1
  }
  log "postgres: enabling trust auth for 127.0.0.1/::1 in $hba (dev machine convention)"
  { printf 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'; cat "$hba"; } >"$hba.devstack.tmp"
  cat "$hba.devstack.tmp" >"$hba" && rm -f "$hba.devstack.tmp"
  runuser -u postgres -- psql -Atqc 'select pg_reload_conf()' >/dev/null
  sleep 0.5
  pg_psql -d postgres -c 'select 1' >/dev/null
}

pg_up() {
  ensure_cmd psql postgresql-client || return 1
  if ! pg_ready 2>/dev/null; then
    if ! pg_cluster >/dev/null; then
      if tcp_open "$PG_HOST" "$PG_PORT"; then
        err "postgres: something listens on $PG_HOST:$PG_PORT but pg_isready fails"
        return 1
      fi
      log "postgres: no PostgreSQL cluster on port $PG_PORT, installing the Debian package"
      apt_install postgresql || return 1
      pg_cluster >/dev/null || { err "postgres: still no cluster on port $PG_PORT after install (see pg_lsclusters)"; return 1; }
    fi
    local ver name
    read -r ver name _ < <(pg_cluster)
    if ! pg_ready 2>/dev/null; then
      log "postgres: starting cluster $ver/$name"
      if is_root || [ "$(id -un)" = postgres ]; then
        pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || {
          err "postgres: pg_ctlcluster $ver $name start failed; log: $(pg_log_file)"
          return 1
        }
      else
        err "postgres: cluster $ver/$name is stopped and only root can start it: sudo pg_ctlcluster $ver $name start"
        return 1
      fi
    fi
    wait_until 30 "" pg_ready || { err "postgres: not ready; log: $(pg_log_file)"; return 1; }
  fi
  pg_ensure_trust || return 1
  local db s
  for db in "$PG_DB" apicurio; do
    if [ "$(pg_psql -d postgres -c "select 1 from pg_database where datname = '$db'")" != 1 ]; then
      log "postgres: creating database $db"
      pg_psql -d postgres -c "create database \"$db\"" || return 1
    fi
  done
  local sql=""
  for s in "${PG_SCHEMAS[@]}"; do sql+="create schema if not exists \"$s\"; "; done
  PGOPTIONS='-c client_min_messages=warning' pg_psql -d "$PG_DB" -c "$sql" || return 1
  # verify
  local have
  have="$(pg_psql -d "$PG_DB" -c "select count(*) from information_schema.schemata where schema_name in ($(printf "'%s'," "${PG_SCHEMAS[@]}" | sed 's/,$//'))")"
  [ "$have" = "${#PG_SCHEMAS[@]}" ] || { err "postgres: expected ${#PG_SCHEMAS[@]} schemas in $PG_DB, found $have"; return 1; }
  log "postgres: ready on $PG_HOST:$PG_PORT (databases $PG_DB with ${#PG_SCHEMAS[@]} schemas, apicurio)"
}
