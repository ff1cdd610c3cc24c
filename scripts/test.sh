#!/usr/bin/env bash
# Runs every test: formatting, Rust unit and integration tests against real PostgreSQL, then the
# Playwright suite in Chromium against the release build. Exits non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_test_tools
cd "$ROOT"

if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL=$(scripts/pg.sh start)
  export DATABASE_URL
fi
# Each test makes its own database on this server and drops it afterwards.
export TEST_DATABASE_URL="$DATABASE_URL"

say "formatting"
cargo fmt --all -- --check

say "Rust tests"
cargo test -p app -p server --locked

say "release build"
cargo leptos build --release --split

say "end-to-end tests (Playwright, Chromium)"
E2E_DB="ops_e2e_$$"
E2E_PORT=${E2E_PORT:-3100}
admin_psql() { psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 "$@"; }
admin_psql -f scripts/roles.sql
admin_psql -c "create database $E2E_DB owner ops_owner"
app_url=$(database_url "$DATABASE_URL" "$E2E_DB" ops_app)
owner_url=$(database_url "$DATABASE_URL" "$E2E_DB" ops_owner)
log=$(mktemp)
DATABASE_URL="$app_url" OPS_MIGRATION_DATABASE_URL="$owner_url" OPS_BIND="127.0.0.1:$E2E_PORT" OPS_PUBLIC_URL="http://127.0.0.1:$E2E_PORT" \
  OPS_SECURITY_CONTACT="security@opsintel.test" OPS_SECURITY_UPDATED="2026-11-29" \
  ./target/release/server serve >"$log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  admin_psql -c "drop database if exists $E2E_DB with (force)" || true
  rm -f "$log"
}
trap cleanup EXIT
status=0
(cd end2end && BASE_URL="http://127.0.0.1:$E2E_PORT" npx playwright test) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log ---"; tail -n 50 "$log"
fi
exit "$status"
