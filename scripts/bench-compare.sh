#!/usr/bin/env bash
# Ops Intel side by side with the Django reference build of the same pages
# (../shared/perf/django_ref: Django 5.2, gunicorn, its own PostgreSQL), in one run on this
# machine, on data of the same size (20 organisations, 100,000 issues). Each pair of endpoints is
# loaded back to back with wrk, and the script prints both throughputs, their ratio against the
# target, and both p99 latencies. Also the first-load WASM against its budget.
# A measurement, not a test: it never fails on a figure.
#
#   DJANGO_REF        where the reference lives (default: ../shared/perf/django_ref)
#   BENCH_SECONDS     length of each measurement (default 15)
#   BENCH_CONNECTIONS concurrent connections (default 64)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_build_tools
apt_install wrk brotli curl python3-venv
cd "$ROOT"

DJANGO_REF=$(realpath -m "${DJANGO_REF:-$ROOT/../shared/perf/django_ref}")
DURATION=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PORT=${BENCH_PORT:-3400}
DJANGO=http://127.0.0.1:8001
DJANGO_ORG=acme
ORGS=20
ISSUES=100000
DB="ops_bench_${ORGS}_${ISSUES}"
WASM_BUDGET_KB=250
[ -x "$DJANGO_REF/serve.sh" ] || { echo "no Django reference at $DJANGO_REF (set DJANGO_REF)" >&2; exit 1; }

say "release build"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split

admin=$(scripts/pg.sh start)
eval "$(scripts/pg.sh env "$DB")"
db_admin=$(database_url "$admin" "$DB")
"$TARGET_DIR/release/server" migrate
say "Ops Intel data: $ORGS organisations, $ISSUES issues (added once)"
"$TARGET_DIR/release/server" generate "$ORGS" "$ISSUES"
psql "$db_admin" -qAt -c "vacuum analyze"

say "Django reference (its own PostgreSQL and data)"
"$DJANGO_REF/serve.sh"

base="http://127.0.0.1:$PORT"
RUST_LOG=warn OPS_ENV=development OPS_BIND="127.0.0.1:$PORT" OPS_PUBLIC_URL="$base" \
  "$TARGET_DIR/release/server" serve >/dev/null 2>&1 &
pid=$!
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; "$DJANGO_REF/stop.sh" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done

# Both signed in as an organisation's Owner, the way a browser does.
read -r ops_cookie ops_token < <(ops_sign_in "$base" bench-1@opsintel.test "synthetic benchmark data")
slug=bench-large

djar="$work/django"
dtoken=$(curl -s -c "$djar" -b "$djar" "$DJANGO/login" | sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -o /dev/null -c "$djar" -b "$djar" -H "Referer: $DJANGO/login" \
  --data-urlencode "csrfmiddlewaretoken=$dtoken" --data-urlencode "username=bench@example.com" \
  --data-urlencode "password=bench-password-123" --data-urlencode "next=" "$DJANGO/login"
django_cookie=$(awk '$6 == "sessionid" { print "sessionid=" $7 }' "$djar")
[ -n "$ops_cookie" ] && [ -n "$django_cookie" ] || { echo "could not sign in to both" >&2; exit 1; }


# One wrk run; prints "requests/s p99-ms", or "refused" when any answer was not 2xx.
load() { # URL [wrk options…]
  local url=$1 out
  shift
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url")
  if echo "$out" | grep -q 'Non-2xx'; then echo "refused"; return; fi
  echo "$(echo "$out" | awk '/Requests\/sec/ { print $2 }') $(echo "$out" | awk '$1 == "99%" { print $2 }' | ms)"
}

results=()
compare() { # NAME TARGET OPS_RESULT DJANGO_RESULT
  local name=$1 target=$2 ours=$3 theirs=$4
  if [ "$ours" = refused ] || [ "$theirs" = refused ]; then
    results+=("$(printf '%-34s REFUSED requests (ours: %s, Django: %s)' "$name" "$ours" "$theirs")")
    return
  fi
  results+=("$(awk -v n="$name" -v t="$target" -v o="$ours" -v d="$theirs" 'BEGIN {
    split(o, a, " "); split(d, b, " "); r = a[1] / b[1]
    printf "%-34s %9.0f/s vs %7.0f/s  %5.1fx (target >= %sx: %s)  p99 %7.2f ms vs %8.2f ms (%s)",
      n, a[1], b[1], r, t, (r >= t) ? "met" : "NOT MET", a[2], b[2], (a[2] < b[2]) ? "below" : "NOT BELOW" }')")
}

say "each pair back to back: ${CONNECTIONS} connections, ${DURATION}s each"
# Pages are asked for as a browser asks for them.
page='Accept: text/html'
compare "public home page" 4 "$(load "$base/" -H "$page")" "$(load "$DJANGO/" -H "$page")"
compare "signed-in dashboard page" 5 \
  "$(load "$base/o/$slug/dashboard" -H "$page" -H "Cookie: $ops_cookie")" \
  "$(load "$DJANGO/o/$DJANGO_ORG/dashboard" -H "$page" -H "Cookie: $django_cookie")"
compare "issue list page (open)" 5 \
  "$(load "$base/o/$slug/issues?status=open" -H "$page" -H "Cookie: $ops_cookie")" \
  "$(load "$DJANGO/o/$DJANGO_ORG/issues?status=open&page=1" -H "$page" -H "Cookie: $django_cookie")"
compare "issue list as data (open)" 10 \
  "$(FN_PATH=/api/work/issues FN_BODY="slug=$slug&form%5Bstatus%5D=open" FN_COOKIE="$ops_cookie" FN_TOKEN="$ops_token" \
      load "$base/" -s scripts/server-fn.lua)" \
  "$(load "$DJANGO/api/o/$DJANGO_ORG/issues?status=open&page=1" -H "Cookie: $django_cookie")"

say "results (Ops Intel vs Django)"
printf '%s\n' "${results[@]}"

kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
wasm_br=$(brotli -q 11 -c target/site/pkg/ops_intel.wasm | wc -c)
printf '%-34s %s KB brotli (budget %s KB: %s)\n' "first-load WASM" "$(kb "$wasm_br")" "$WASM_BUDGET_KB" \
  "$(awk -v v="$wasm_br" -v max="$WASM_BUDGET_KB" 'BEGIN { print (v / 1024 <= max) ? "within budget" : "OVER BUDGET" }')"
