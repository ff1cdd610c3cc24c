#!/usr/bin/env bash
# Prints the release WASM's size (raw and brotli) and the throughput and p99 latency of GET /
# at 64 connections, against the budgets. A measurement, not a test: it never fails on a figure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_build_tools
apt_install wrk brotli
cd "$ROOT"

WASM_BUDGET_KB=400
P99_BUDGET_MS=20
DURATION=${BENCH_SECONDS:-15}
PORT=${BENCH_PORT:-3200}

say "release build"
cargo leptos build --release >/dev/null 2>&1 || cargo leptos build --release

kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v <= max) ? "within budget" : "OVER BUDGET" }'; }

say "sizes"
for f in target/site/pkg/ops_intel_bg.wasm target/site/pkg/ops_intel.js target/site/pkg/ops_intel.css; do
  [ -f "$f" ] || f=${f/_bg.wasm/.wasm}
  raw=$(stat -c%s "$f"); br=$(brotli -q 11 -c "$f" | wc -c)
  printf '%-36s raw %8s KB   brotli %7s KB\n' "$(basename "$f")" "$(kb "$raw")" "$(kb "$br")"
  case "$f" in *.wasm) wasm_br=$br ;; esac
done
echo "WASM brotli $(kb "$wasm_br") KB (budget ${WASM_BUDGET_KB} KB): $(verdict "$(kb "$wasm_br")" "$WASM_BUDGET_KB")"

say "GET / at 64 connections for ${DURATION}s (wrk, Accept-Encoding: br as browsers send)"
admin=${DATABASE_URL:-$(scripts/pg.sh start)}
db="ops_bench_$$"
psql "$admin" -qAt -c "create database $db"
url=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$admin" "$db")
RUST_LOG=warn DATABASE_URL="$url" OPS_BIND="127.0.0.1:$PORT" ./target/release/server serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; psql "$admin" -qAt -c "drop database if exists $db with (force)"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H 'Accept-Encoding: br' "http://127.0.0.1:$PORT/")
echo "$out" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors' || true
p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }')
rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
echo "GET /: ${rps} requests/s, p99 ${p99} ms (budget ${P99_BUDGET_MS} ms): $(verdict "$p99" "$P99_BUDGET_MS")"
