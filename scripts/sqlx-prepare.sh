#!/usr/bin/env bash
# Refreshes .sqlx/, the saved metadata of every checked query, so builds need no database.
# Run it after changing a query or a migration, and commit the result.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
admin=${DATABASE_URL:-$(scripts/pg.sh start)}
db=ops_sqlx_prepare
psql "$admin" -qAt -v ON_ERROR_STOP=1 -f scripts/roles.sql -c "drop database if exists $db with (force)" -c "create database $db"
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
rm -rf .sqlx && mkdir .sqlx
# Touch the crates with queries so the macros run again and write their metadata.
touch server/src/lib.rs app/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$ROOT/.sqlx" DATABASE_URL="$url" cargo check -p server --all-targets
psql "$admin" -qAt -c "drop database $db with (force)"
echo "wrote $(ls .sqlx | wc -l) query files to .sqlx/"
