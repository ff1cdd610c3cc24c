#!/usr/bin/env bash
# Refreshes .sqlx/, the saved metadata of every checked query, so builds need no database.
# Run it after changing a query or a migration, and commit the result.
#
#   scripts/sqlx-prepare.sh           rewrite .sqlx/
#   scripts/sqlx-prepare.sh --check   fail when .sqlx/ is missing a query or differs from what
#                                     the migrations' schema gives (scripts/test.sh runs this)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
check=()
[ "${1:-}" = "--check" ] && check=(--check)
command -v sqlx >/dev/null || ensure_test_tools
admin=${DATABASE_URL:-$(scripts/pg.sh start)}
db="ops_sqlx_prepare_$$"
psql "$admin" -qAt -v ON_ERROR_STOP=1 -f scripts/roles.sql -c "create database $db"
trap 'psql "$admin" -qAt -c "drop database if exists $db with (force)" >/dev/null' EXIT
url=$(database_url "$admin" "$db")
# The schema the queries are checked against: every migration, plus the table sqlx keeps its
# migration history in (the readiness check reads it).
psql "$url" -qAt -v ON_ERROR_STOP=1 <<'SQL'
create table _sqlx_migrations (
    version bigint primary key, description text not null,
    installed_on timestamptz not null default now(), success boolean not null,
    checksum bytea not null, execution_time bigint not null);
SQL
for f in migrations/*.sql; do psql "$url" -qAt -v ON_ERROR_STOP=1 -f "$f" >/dev/null; done
# Every query of the server and the app, its tests included.
DATABASE_URL="$url" cargo sqlx prepare --workspace "${check[@]}" -- -p server --all-targets --locked
