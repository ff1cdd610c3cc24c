#!/usr/bin/env bash
# Runs every test: formatting, lints, the checked queries' metadata, Rust unit and integration
# tests against real PostgreSQL, the Playwright suite in Chromium against the server those tests
# built, and the production shape (nginx, two instances, PgBouncer) with that same server.
# Exits non-zero on any failure.
#
# Built once: the integration tests build the server binary (dev profile, the same compiled
# dependencies as the tests) and the browser tests run against that binary; only the browser's
# WASM is built on top. The optimised release build is for serving and benchmarks
# (scripts/run.sh, scripts/bench*.sh), not for tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_test_tools
cd "$ROOT"
started=$SECONDS
step() { say "$* ($((SECONDS - started)) s so far)"; }

if [ -z "${DATABASE_URL:-}" ]; then
  # A cluster of the tests' own, apart from the one scripts/run.sh keeps data in.
  DATABASE_URL=$(scripts/pg.sh test)
  export DATABASE_URL
fi
# Each test makes its own database on this server and drops it afterwards.
export TEST_DATABASE_URL="$DATABASE_URL"

step "formatting"
cargo fmt --all -- --check

step "lints (server and browser builds, warnings are errors)"
cargo clippy -p app -p server --all-targets --locked -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --locked -- -D warnings

step "checked queries: .sqlx/ matches the code and the migrations"
scripts/sqlx-prepare.sh --check

step "Rust tests"
cargo test -p app -p server --locked

step "browser build (WASM, split per page)"
cargo leptos build --split --frontend-only

step "end-to-end tests (Playwright, Chromium)"
E2E_DB="ops_e2e_$$"
E2E_PORT=${E2E_PORT:-3100}
admin_psql() { psql "$DATABASE_URL" -qAt -v ON_ERROR_STOP=1 "$@"; }
admin_psql -f scripts/roles.sql
admin_psql -c "create database $E2E_DB owner ops_owner"
app_url=$(database_url "$DATABASE_URL" "$E2E_DB" ops_app)
owner_url=$(database_url "$DATABASE_URL" "$E2E_DB" ops_owner)
log=$(mktemp)
# SendGrid's stand-in as its own process, at an address the browser tests know: it takes the
# server's answers to customers and delivers customers' email to the server's webhook.
SENDGRID_PORT=$((E2E_PORT + 1))
STANDIN_INBOUND_WEBHOOK="http://127.0.0.1:$E2E_PORT/webhooks/sendgrid/inbound" \
  "$TARGET_DIR/debug/standins" sendgrid "$SENDGRID_PORT" standin-development-key >>"$log" 2>&1 &
standin_pid=$!
# Anthropic's stand-in too, so the browser tests can read what the server sent it.
ANTHROPIC_PORT=$((E2E_PORT + 2))
"$TARGET_DIR/debug/standins" anthropic "$ANTHROPIC_PORT" standin-development-key >>"$log" 2>&1 &
anthropic_pid=$!
# Development, chosen explicitly, with the mailbox the browser tests read their links from and
# the outside services' stand-ins (server/src/standins/).
# A test file may act as a visitor from another address through the forwarding header, as
# behind the production proxy.
OPS_ENV=development OPS_DEV_MAILBOX=1 OPS_STANDINS=1 OPS_TRUSTED_PROXIES=127.0.0.1 \
DATABASE_URL="$app_url" OPS_MIGRATION_DATABASE_URL="$owner_url" OPS_BIND="127.0.0.1:$E2E_PORT" OPS_PUBLIC_URL="http://127.0.0.1:$E2E_PORT" \
  OPS_SECURITY_CONTACT="security@opsintel.test" OPS_SECURITY_UPDATED="2026-11-29" \
  SENDGRID_API_KEY=standin-development-key OPS_SENDGRID_BASE_URL="http://127.0.0.1:$SENDGRID_PORT" \
  OPS_EMAIL_FROM="no-reply@opsintel.test" OPS_INBOUND_DOMAIN="in.opsintel.test" OPS_EMAIL_RETRY_SECS=1 OPS_NOTIFICATION_EMAIL_SECS=2 \
  ANTHROPIC_API_KEY=standin-development-key OPS_ANTHROPIC_BASE_URL="http://127.0.0.1:$ANTHROPIC_PORT" OPS_AI_RETRY_SECS=1 \
  "$TARGET_DIR/debug/server" serve >>"$log" 2>&1 &
server_pid=$!
cleanup() {
  kill "$server_pid" "$standin_pid" "$anthropic_pid" 2>/dev/null || true
  wait "$server_pid" "$standin_pid" "$anthropic_pid" 2>/dev/null || true
  admin_psql -c "drop database if exists $E2E_DB with (force)" || true
  rm -f "$log"
}
trap cleanup EXIT
status=0
(cd end2end && BASE_URL="http://127.0.0.1:$E2E_PORT" SENDGRID_STANDIN_URL="http://127.0.0.1:$SENDGRID_PORT" \
  ANTHROPIC_STANDIN_URL="http://127.0.0.1:$ANTHROPIC_PORT" E2E_DATABASE_URL="$(database_url "$DATABASE_URL" "$E2E_DB")" \
  E2E_SERVER_BIN="$TARGET_DIR/debug/server" E2E_APP_DATABASE_URL="$app_url" E2E_OWNER_DATABASE_URL="$owner_url" \
  npx playwright test) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log ---"; tail -n 50 "$log"
fi

step "the production shape: nginx, two instances, PgBouncer (scripts/deploy-check.sh)"
deploy_status=0
SERVER_BIN="$TARGET_DIR/debug/server" scripts/deploy-check.sh || deploy_status=$?
[ "$status" -ne 0 ] || status=$deploy_status
step "done, status $status"
exit "$status"
