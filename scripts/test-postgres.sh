#!/usr/bin/env bash
# test-postgres.sh — throwaway real PostgreSQL (with pgvector) for tests, on loopback.
#
# Usage: scripts/test-postgres.sh start|stop|url
#   start  install pgvector if needed (scripts/install-pgvector.sh), initdb a cluster
#          in $NEREID_TEST_PG_DIR if there is none, start it (or reuse a running one),
#          check that `CREATE EXTENSION vector` works, and print the URL as last line.
#   stop   stop the server (pg_ctl stop -m fast) if it is running.
#   url    print the connection URL.
#
# Progress messages go to stderr; stdout carries only the URL, so
#   DATABASE_URL="$(scripts/test-postgres.sh start)"
# works.
#
# Environment:
#   NEREID_TEST_PG_DIR   data directory (default /tmp/nereid-test-pg); also holds the
#                        unix socket and the server log (server.log)
#   NEREID_TEST_PG_PORT  TCP port on 127.0.0.1 (default 55432)
#   PG_MAJOR             PostgreSQL major version (default: newest installed, else 15)
#
# The cluster is for tests only: trust auth, fsync/synchronous_commit/full_page_writes off.
# It never listens on anything but 127.0.0.1. As root, initdb/postgres run as the
# `postgres` OS user (they refuse to run as root); as non-root, as the current user.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PGDIR="${NEREID_TEST_PG_DIR:-/tmp/nereid-test-pg}"
PORT="${NEREID_TEST_PG_PORT:-55432}"
URL="postgres://postgres@127.0.0.1:${PORT}/postgres"
LOGFILE="$PGDIR/server.log"

log() { echo "[test-postgres] $*" >&2; }
die() { echo "[test-postgres] ERROR: $*" >&2; exit 1; }

usage() { echo "usage: $0 start|stop|url" >&2; exit 2; }

detect_major() {
  if [ -n "${PG_MAJOR:-}" ]; then echo "$PG_MAJOR"; return; fi
  local m="" d
  if [ -d /usr/lib/postgresql ]; then
    for d in $(ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n); do
      [ -x "/usr/lib/postgresql/$d/bin/postgres" ] && m="$d"
    done
  fi
  echo "${m:-15}"
}

# Run a command as the cluster owner (postgres when we are root), from a neutral cwd.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    ( cd / && runuser -u postgres -- "$@" )
  else
    ( cd / && "$@" )
  fi
}

# 0 = running, 3 = not running, 4 = no (valid) data directory
pg_status() {
  local rc=0
  as_pg "$PG_BIN/pg_ctl" status -D "$PGDIR" >/dev/null 2>&1 || rc=$?
  echo "$rc"
}

set_bin() {
  PG_MAJOR="$(detect_major)"
  PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
  [ -x "$PG_BIN/pg_ctl" ] || die "$PG_BIN/pg_ctl not found (is postgresql-$PG_MAJOR installed? run scripts/install-pgvector.sh)"
}

running_port() {
  # line 4 of postmaster.pid is the port
  sed -n 4p "$PGDIR/postmaster.pid" 2>/dev/null || true
}

psql_url() {
  local db="$1"; shift
  PGCONNECT_TIMEOUT=10 PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "postgres://postgres@127.0.0.1:${PORT}/${db}" "$@"
}

write_conf() {
  # Settings live in a separate file included from postgresql.conf; rewritten on every
  # start so that changes to NEREID_TEST_PG_PORT/DIR take effect.
  local conf="$PGDIR/nereid-test.conf"
  as_pg tee "$conf" >/dev/null <<EOF
# Written by scripts/test-postgres.sh — throwaway test cluster, do not use for real data.
listen_addresses = '127.0.0.1'
port = ${PORT}
unix_socket_directories = '${PGDIR}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
# pgvector's advice: HNSW indexes should fit in shared memory, or every search reads index pages
# through the OS cache (measured at 100k chunks: ~1,000 page reads per search with the 128MB default).
shared_buffers = 1GB
EOF
  if ! grep -qE "^include_if_exists = 'nereid-test.conf'" "$PGDIR/postgresql.conf"; then
    log "adding include of nereid-test.conf to $PGDIR/postgresql.conf"
    echo "include_if_exists = 'nereid-test.conf'" | as_pg tee -a "$PGDIR/postgresql.conf" >/dev/null
  fi
}

init_cluster() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "OS user 'postgres' does not exist (install postgresql-$PG_MAJOR)"
  fi
  if [ -e "$PGDIR" ] && [ -n "$(ls -A "$PGDIR" 2>/dev/null)" ]; then
    die "$PGDIR exists and is not an empty PostgreSQL data directory; remove it (rm -rf $PGDIR) or set NEREID_TEST_PG_DIR"
  fi
  log "creating data directory $PGDIR"
  mkdir -p "$PGDIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDIR"; fi
  chmod 700 "$PGDIR"
  local locale=C
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
  log "initdb (superuser postgres, trust auth, UTF8, locale $locale) in $PGDIR"
  as_pg "$PG_BIN/initdb" -D "$PGDIR" -U postgres --auth=trust -E UTF8 --locale="$locale" --no-sync >&2
}

verify_vector() {
  local scratch="nereid_pgvector_check_$$"
  log "verifying pgvector: CREATE EXTENSION vector in scratch database $scratch"
  psql_url postgres -c "DROP DATABASE IF EXISTS $scratch" >&2
  psql_url postgres -c "CREATE DATABASE $scratch" >&2
  local out rc=0
  out="$(psql_url "$scratch" -At \
           -c "CREATE EXTENSION IF NOT EXISTS vector" \
           -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'" \
           -c "SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector" 2>&1)" || rc=$?
  psql_url postgres -c "DROP DATABASE IF EXISTS $scratch" >&2
  [ "$rc" = 0 ] || die "pgvector check failed: $out"
  log "pgvector OK: extversion $(echo "$out" | sed -n 1p), distance test $(echo "$out" | sed -n 2p)"
}

cmd_start() {
  log "ensuring pgvector is installed"
  "$SCRIPT_DIR/install-pgvector.sh" >&2
  set_bin
  local st
  st="$(pg_status)"
  if [ "$st" = 0 ]; then
    local rp; rp="$(running_port)"
    if [ -n "$rp" ] && [ "$rp" != "$PORT" ]; then
      die "a server is already running in $PGDIR on port $rp, not $PORT; run '$0 stop' first"
    fi
    log "server already running in $PGDIR on port $PORT; reusing it"
  else
    if [ ! -f "$PGDIR/PG_VERSION" ]; then
      init_cluster
    else
      log "reusing existing cluster in $PGDIR (PostgreSQL $(cat "$PGDIR/PG_VERSION"))"
      [ "$(cat "$PGDIR/PG_VERSION")" = "$PG_MAJOR" ] || die "$PGDIR was created by PostgreSQL $(cat "$PGDIR/PG_VERSION"), but PG_MAJOR is $PG_MAJOR; remove it"
    fi
    write_conf
    log "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$PORT (log: $LOGFILE)"
    if ! as_pg "$PG_BIN/pg_ctl" start -D "$PGDIR" -l "$LOGFILE" -w -t 60 >&2; then
      log "pg_ctl start failed; last lines of $LOGFILE:"
      tail -n 30 "$LOGFILE" >&2 2>/dev/null || true
      die "could not start PostgreSQL (is port $PORT already in use by another server?)"
    fi
  fi
  verify_vector
  log "ready"
  echo "$URL"
}

cmd_stop() {
  set_bin
  local st; st="$(pg_status)"
  if [ "$st" = 0 ]; then
    log "stopping PostgreSQL in $PGDIR (pg_ctl stop -m fast)"
    as_pg "$PG_BIN/pg_ctl" stop -D "$PGDIR" -m fast -w -t 60 >&2
  else
    log "no server running in $PGDIR; nothing to stop"
  fi
}

[ $# -eq 1 ] || usage
case "$1" in
  start) cmd_start ;;
  stop)  cmd_stop ;;
  url)   echo "$URL" ;;
  *)     usage ;;
esac
