#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, for machines where DATABASE_URL is not
# set. It listens on a Unix socket inside its own data folder and on no TCP address at all, so
# nothing off this machine can reach it; the socket is readable by its owner only.
#
#   scripts/pg.sh start [DIR]   create (once) and start the cluster; prints its admin URL
#   scripts/pg.sh test          the same for the test suite's own cluster, beside the default one
#                               (DIR-tests): its data is thrown away, so it skips fsync
#   scripts/pg.sh stop  [DIR]
#   scripts/pg.sh env NAME      start it, create database NAME once (owned by ops_owner), print
#                               `export` lines for DATABASE_URL (as ops_app) and
#                               OPS_MIGRATION_DATABASE_URL (as ops_owner)
# Starting also creates the two database roles (scripts/roles.sql).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd=${1:-start}
DB=""
THROWAWAY=0

# The cluster lives in .pgdata/ inside the project. When root runs it as `postgres` and that user
# cannot reach the project folder (a checkout under a private directory), it lives in a folder of
# its own under /var/tmp instead, named after the project's path so each checkout keeps its own.
default_dir() {
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
    echo "/var/tmp/ops-intel-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)"
  else
    echo "$ROOT/.pgdata"
  fi
}
if [ "$cmd" = env ]; then DB=${2:?database name}; DIR=$(default_dir)
elif [ "$cmd" = test ]; then DIR="$(default_dir)-tests"; THROWAWAY=1; cmd=start
else DIR=$(realpath -m "${2:-$(default_dir)}"); fi

pg_bin() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
  [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] || {
    echo "PostgreSQL server binaries are missing (Debian package postgresql)" >&2; exit 1; }
  echo "/usr/lib/postgresql/$v/bin"
}

# PostgreSQL refuses to run as root, so root runs it as the `postgres` system user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

url() { echo "postgres://${2:-postgres}@localhost/${1:-postgres}?host=$DIR"; }

start() {
  local bin; bin=$(pg_bin)
  if [ ! -f "$DIR/PG_VERSION" ]; then
    echo "creating a private PostgreSQL cluster in $DIR" >&2
    mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"
    chmod 700 "$DIR"
    as_owner "$bin/initdb" -D "$DIR" --username=postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >/dev/null
    cat >> "$DIR/postgresql.conf" <<CONF

# Ops Intel: a private cluster reachable only through its own socket.
listen_addresses = ''
unix_socket_directories = '$DIR'
unix_socket_permissions = 0700
CONF
    if [ "$THROWAWAY" -eq 1 ]; then
      echo "fsync = off  # test data only, thrown away: a power cut may lose it" >> "$DIR/postgresql.conf"
    fi
  fi
  # Data that is kept is flushed to disk: clusters made before this rule get fsync back.
  local reload=0 restart=0
  if [ "$THROWAWAY" -eq 0 ] && grep -q '^fsync = off' "$DIR/postgresql.conf"; then
    as_owner sed -i '/^fsync = off/d' "$DIR/postgresql.conf"
    reload=1
  fi
  # Statement statistics, which the benchmarks and the statement-count tests read.
  if ! grep -q '^shared_preload_libraries' "$DIR/postgresql.conf"; then
    echo "shared_preload_libraries = 'pg_stat_statements'" | as_owner tee -a "$DIR/postgresql.conf" >/dev/null
    restart=1
  fi
  if ! as_owner "$bin/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start >/dev/null
  elif [ "$restart" -eq 1 ]; then
    as_owner "$bin/pg_ctl" -D "$DIR" -m fast -w -t 60 restart >/dev/null
  elif [ "$reload" -eq 1 ]; then
    as_owner "$bin/pg_ctl" -D "$DIR" reload >/dev/null
  fi
  psql "$(url)" -qAt -v ON_ERROR_STOP=1 -f "$ROOT/scripts/roles.sql" >/dev/null
  url
}

stop() {
  local bin; bin=$(pg_bin)
  if [ -f "$DIR/PG_VERSION" ]; then as_owner "$bin/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null || true; fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env)
    start >/dev/null
    if ! psql "$(url)" -qAtc "select 1 from pg_database where datname = '$DB'" | grep -q 1; then
      psql "$(url)" -qAtc "create database \"$DB\" owner ops_owner" >/dev/null
    fi
    echo "export DATABASE_URL='$(url "$DB" ops_app)'"
    echo "export OPS_MIGRATION_DATABASE_URL='$(url "$DB" ops_owner)'" ;;
  *) echo "usage: $0 start|stop [DIR] | test | env NAME" >&2; exit 2 ;;
esac
