#!/usr/bin/env bash
# The workspace benchmark: on a synthetic data set (1,000 organisations, 1,000,000 issues by
# default), the p50/p99 latency of the dashboard and issue-list server functions for the
# organisation with 10,000 issues, of the board's for one with 5,000 open issues (as kept and
# computed each time), the signed-in dashboard page's requests per second at 64
# connections, and whether any tenant table of more than 1,000 rows was read by a sequential
# scan meanwhile.
# A measurement, not a test: it prints figures against the budgets and never fails on one.
#
#   BENCH_ORGS, BENCH_ISSUES   size of the data set (kept in the private cluster between runs;
#                              BENCH_FRESH=1 generates it again)
#   BENCH_SECONDS              length of each measurement (default 15)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_build_tools
apt_install wrk
cd "$ROOT"

ORGS=${BENCH_ORGS:-1000}
ISSUES=${BENCH_ISSUES:-1000000}
DURATION=${BENCH_SECONDS:-15}
PORT=${BENCH_PORT:-3300}
FN_BUDGET_MS=50
DB="ops_bench_${ORGS}_${ISSUES}"

say "release build"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split

admin=$(scripts/pg.sh start)
[ "${BENCH_FRESH:-0}" = 1 ] && psql "$admin" -qAt -c "drop database if exists $DB with (force)"
eval "$(scripts/pg.sh env "$DB")"
db_admin=$(database_url "$admin" "$DB")
"$TARGET_DIR/release/server" migrate

say "synthetic data: $ORGS organisations, $ISSUES issues (added once)"
"$TARGET_DIR/release/server" generate "$ORGS" "$ISSUES"

# The board's organisation: 5,000 open issues (topped up once, after the large organisation's
# own), for the board's columns and counts.
psql "$db_admin" -qAt -v ON_ERROR_STOP=1 <<'SQL'
insert into organisations (org_id, name, slug, plan) values (gen_random_uuid(), 'Bench board', 'bench-board', 'business')
  on conflict do nothing;
insert into organisation_slugs (org_id, slug)
  select org_id, slug from organisations where slug = 'bench-board' on conflict do nothing;
insert into memberships (org_id, user_id, role)
  select o.org_id, u.user_id, 'owner' from organisations o, users u
  where o.slug = 'bench-board' and u.email = 'bench-1@opsintel.test' on conflict do nothing;
insert into issues (org_id, number, title, kind, priority, status)
  select o.org_id, n, 'Board issue ' || n, 'task',
         (array['urgent', 'high', 'normal', 'low'])[1 + n % 4],
         (array['open', 'open', 'in_progress', 'blocked', 'resolved', 'closed'])[1 + n % 6]
  from organisations o, generate_series(1, 7500) n
  where o.slug = 'bench-board' and not exists (select 1 from issues i where i.org_id = o.org_id);
SQL
# Statistics and visibility as a database that has been running has them (autovacuum would not
# yet have caught up with a bulk load).
psql "$db_admin" -qAt -c "vacuum analyze"
psql "$db_admin" -qAt -c "select 'in the database: ' || (select count(*) from organisations) || ' organisations, ' || (select count(*) from issues) || ' issues'"

start_server() { # [ENV…]
  env RUST_LOG=warn OPS_BIND="127.0.0.1:$PORT" OPS_DB_MAX_CONNECTIONS=20 "$@" "$TARGET_DIR/release/server" serve >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
}
start_server
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT

# Sign in as the large organisation's owner, as a browser would.
base="http://127.0.0.1:$PORT"
read -r cookie token < <(ops_sign_in "$base" bench-1@opsintel.test "synthetic benchmark data")
slug=bench-large

verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v <= max) ? "within budget" : "OVER BUDGET" }'; }

psql "$db_admin" -qAt -c "select pg_stat_reset()" >/dev/null

measure_fn() { # NAME PATH BODY
  local out p50 p99
  out=$(FN_PATH="$2" FN_BODY="$3" FN_COOKIE="$cookie" FN_TOKEN="$token" \
    wrk -t1 -c1 -d"${DURATION}s" --latency -s scripts/server-fn.lua "$base/")
  p50=$(echo "$out" | awk '$1 == "50%" { print $2 }' | ms)
  p99=$(echo "$out" | awk '$1 == "99%" { print $2 }' | ms)
  echo "$out" | grep -E 'Requests/sec|Non-2xx' || true
  if echo "$out" | grep -q 'Non-2xx'; then
    echo "$1: REFUSED requests, no figure (see above)"
  else
    echo "$1: p50 ${p50} ms, p99 ${p99} ms (budget p99 <= ${FN_BUDGET_MS} ms): $(verdict "$p99" "$FN_BUDGET_MS")"
  fi
}

say "server functions, one caller at a time, ${DURATION}s each"
measure_fn "dashboard (all sites, 90 days)" /api/work/dashboard "slug=$slug&form%5Bsite%5D=&form%5Bdays%5D=90"
measure_fn "dashboard (all sites, 12 months)" /api/work/dashboard "slug=$slug&form%5Bsite%5D=&form%5Bdays%5D=365"
measure_fn "issue list (newest first)" /api/work/issues "slug=$slug&form%5Border%5D=newest"
measure_fn "issue list (open, most urgent first)" /api/work/issues "slug=$slug&form%5Bstatus%5D=open&form%5Border%5D=priority"

measure_fn "board (5,000 open issues)" /api/work/board "slug=bench-board"
# The same, computed afresh for every request: nothing kept between them.
kill $pid; wait $pid 2>/dev/null || true
start_server OPS_KEEP_FIGURES=0
measure_fn "board (5,000 open issues, computed each time)" /api/work/board "slug=bench-board"
measure_fn "issue list (open, most urgent first, computed each time)" /api/work/issues "slug=$slug&form%5Bstatus%5D=open&form%5Border%5D=priority"
kill $pid; wait $pid 2>/dev/null || true
start_server

say "signed-in dashboard page at 64 connections for ${DURATION}s"
out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H "Cookie: $cookie" -H 'Accept-Encoding: br' "$base/o/$slug/dashboard")
echo "$out" | grep -E 'Requests/sec|Non-2xx|Socket errors' || true
echo "$out" | grep -q 'Non-2xx' && echo "dashboard page: REFUSED requests (see above)"
echo "dashboard page: $(echo "$out" | awk '/Requests\/sec/ { print $2 }') requests/s, p99 $(echo "$out" | awk '$1 == "99%" { print $2 }' | ms) ms"

# Backends report their statistics when they end: stop the server, then read them.
kill $pid; wait $pid 2>/dev/null || true
sleep 1
# A table of a few pages is read fastest whole, and the planner rightly does so; a sequential
# scan of a table of more than SEQ_SCAN_ROWS rows is a missing index.
SEQ_SCAN_ROWS=1000
say "sequential scans on tenant tables during the benchmark (counted above $SEQ_SCAN_ROWS rows)"
psql "$db_admin" -qAt -F ' ' -c "
  select t.relname, t.seq_scan, t.idx_scan, greatest(c.reltuples, 0)::bigint
  from pg_stat_user_tables t join pg_class c on c.oid = t.relid
  where exists (select 1 from information_schema.columns c
                where c.table_name = t.relname and c.column_name = 'org_id')
  order by relname" | awk -v rows="$SEQ_SCAN_ROWS" '{
    printf "%-26s %9s rows   seq scans %6s   index scans %8s\n", $1, $4, $2, $3
    if ($4 > rows) s += $2 }
  END { print (s == 0) ? "no sequential scans of large tenant tables: within budget" : "SEQUENTIAL SCANS of large tenant tables: OVER BUDGET" }'
