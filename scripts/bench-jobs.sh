#!/usr/bin/env bash
# The background job queue's figures: no-op jobs per second through one worker at 1, 4 and 16 at
# once, and the time from enqueue to start (p50/p99), first with the machine idle, then while the
# release server answers GET / at 64 connections. A measurement, not a test: it prints figures
# against the targets (1,000 jobs/s; p99 enqueue to start 100 ms when idle) and never fails on one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_build_tools
apt_install wrk
cd "$ROOT"
JOBS=${BENCH_JOBS:-20000}
PORT=${BENCH_PORT:-3300}

say "release build (server and the benchmark)"
cargo build --release -p server --bin server --example jobs_bench

admin=$(scripts/pg.sh start)
db="ops_bench_jobs_$$"
psql "$admin" -qAt -v ON_ERROR_STOP=1 -f scripts/roles.sql -c "create database $db owner ops_owner"
db_admin=$(database_url "$admin" "$db")
db_app=$(database_url "$admin" "$db" ops_app)
db_owner=$(database_url "$admin" "$db" ops_owner)
pid=
trap '[ -z "$pid" ] || { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }; psql "$admin" -qAt -c "drop database if exists $db with (force)" >/dev/null' EXIT
OPS_ENV=development DATABASE_URL="$db_app" OPS_MIGRATION_DATABASE_URL="$db_owner" \
  "$TARGET_DIR/release/server" migrate

say "idle machine"
"$TARGET_DIR/release/examples/jobs_bench" "$db_app" "$db_admin" "$JOBS"

say "while the web server answers GET / at 64 connections"
RUST_LOG=warn OPS_ENV=development OPS_JOBS_IN_SERVE=0 DATABASE_URL="$db_app" \
  OPS_BIND="127.0.0.1:$PORT" "$TARGET_DIR/release/server" serve >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
wrk -t2 -c64 -d600s -H 'Accept-Encoding: br' "http://127.0.0.1:$PORT/" >/dev/null 2>&1 &
load=$!
sleep 2
"$TARGET_DIR/release/examples/jobs_bench" "$db_app" "$db_admin" "$JOBS" || true
kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true
echo "targets: >= 1000 no-op jobs/s; p99 enqueue to start <= 100 ms when idle"
