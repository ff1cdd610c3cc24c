#!/usr/bin/env bash
# The inbox's figures: inbound mail accepted per second by the webhook (signed Inbound Parse
# requests of about 20 KB, 16 at once), then the inbox list's server function (p50/p99, one
# caller) for an organisation with 100,000 messages. A measurement, not a test: it prints the
# figures against the targets (>= 200 messages/s; list p99 <= 50 ms) and never fails on one.
#
#   BENCH_MESSAGES   messages in the large organisation's inbox (default 100000)
#   BENCH_SECONDS    length of the list measurement (default 15)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_build_tools
apt_install wrk
cd "$ROOT"
MESSAGES=${BENCH_MESSAGES:-100000}
DURATION=${BENCH_SECONDS:-15}
PORT=${BENCH_PORT:-3300}
DOMAIN=in.bench.test

say "release build (server and the benchmark)"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split
cargo build --release -p server --example inbound_bench

admin=$(scripts/pg.sh start)
db="ops_bench_inbox_$$"
psql "$admin" -qAt -v ON_ERROR_STOP=1 -f scripts/roles.sql -c "create database $db owner ops_owner"
db_admin=$(database_url "$admin" "$db")
db_app=$(database_url "$admin" "$db" ops_app)
db_owner=$(database_url "$admin" "$db" ops_owner)
pid=
trap '[ -z "$pid" ] || { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }; psql "$admin" -qAt -c "drop database if exists $db with (force)" >/dev/null' EXIT
export OPS_ENV=development DATABASE_URL="$db_app" OPS_MIGRATION_DATABASE_URL="$db_owner"
"$TARGET_DIR/release/server" migrate
"$TARGET_DIR/release/server" generate 20 100000 >/dev/null

say "an inbox of $MESSAGES messages for the large organisation"
psql "$db_admin" -qAt -v ON_ERROR_STOP=1 -v messages="$MESSAGES" <<'SQL'
select set_config('app.org_id', org_id::text, false) from organisations where slug = 'bench-large';
insert into inbox_threads (org_id, subject, customer_address, customer_name, status, awaiting_reply,
                           created_at, last_message_at)
select current_setting('app.org_id')::uuid, 'Conversation ' || t, 'customer' || (t % 5000) || '@example.com',
       'Customer ' || (t % 5000), (array['open', 'waiting', 'closed', 'closed'])[1 + t % 4], t % 4 = 0,
       now() - make_interval(mins => t * 3), now() - make_interval(mins => t * 2)
from generate_series(1, :messages / 4) t;
insert into inbox_messages (org_id, thread_id, direction, rfc_message_id, from_address, subject, text_body, created_at)
select t.org_id, t.thread_id, 'in', t.thread_id || '-' || n || '@customers.example', t.customer_address, t.subject,
       repeat('A message from the customer about their visit. ', 20), t.created_at + make_interval(mins => n)
from inbox_threads t, generate_series(1, 4) n;
vacuum analyze inbox_threads;
vacuum analyze inbox_messages;
select 'in the inbox: ' || count(*) || ' messages' from inbox_messages;
SQL
to=$(psql "$db_admin" -qAt -c "select local_part from inbound_addresses a join organisations o using (org_id) where o.slug = 'bench-large' and a.retired_at is null")@$DOMAIN

key=$("$TARGET_DIR/release/examples/inbound_bench" public-key)
RUST_LOG=warn OPS_BIND="127.0.0.1:$PORT" OPS_INBOUND_DOMAIN=$DOMAIN OPS_SENDGRID_INBOUND_KEY="$key" \
  OPS_DB_MAX_CONNECTIONS=20 "$TARGET_DIR/release/server" serve >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$PORT"

say "inbound mail through the webhook"
"$TARGET_DIR/release/examples/inbound_bench" "$base/webhooks/sendgrid/inbound" "$to" 4000 16

say "the inbox list, one caller at a time, ${DURATION}s each"
read -r cookie token < <(ops_sign_in "$base" bench-1@opsintel.test "synthetic benchmark data")
for filter in "form%5Bstatus%5D=open" "form%5Bstatus%5D=&form%5Bwho%5D=unassigned"; do
  out=$(FN_PATH=/api/inbox/threads FN_BODY="slug=bench-large&$filter" FN_COOKIE="$cookie" FN_TOKEN="$token" \
    wrk -t1 -c1 -d"${DURATION}s" --latency -s scripts/server-fn.lua "$base/")
  echo "$out" | grep -E 'Requests/sec|Non-2xx' || true
  echo "inbox list ($filter): p50 $(echo "$out" | awk '$1 == "50%" { print $2 }' | ms) ms, p99 $(echo "$out" | awk '$1 == "99%" { print $2 }' | ms) ms (target p99 <= 50 ms)"
done
