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
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split

kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v <= max) ? "within budget" : "OVER BUDGET" }'; }

say "sizes"
for f in target/site/pkg/ops_intel.wasm target/site/pkg/ops_intel.js target/site/pkg/ops_intel.css; do
  raw=$(stat -c%s "$f"); br=$(brotli -q 11 -c "$f" | wc -c)
  printf '%-36s raw %8s KB   brotli %7s KB\n' "$(basename "$f")" "$(kb "$raw")" "$(kb "$br")"
  case "$f" in *.wasm) wasm_br=$br ;; esac
done
# The build is split: pages behind sign-in load their own pieces when first opened.
pieces=(target/site/pkg/split_*.wasm target/site/pkg/chunk_*.wasm)
if [ -e "${pieces[0]}" ]; then
  total=$(cat "${pieces[@]}" | wc -c)
  largest=$(ls -S target/site/pkg/split_*.wasm | head -1)
  echo "lazy pieces: ${#pieces[@]} files, $(kb "$total") KB raw in all; largest page $(basename "$largest" | sed 's/^split___//; s/_route_view.*//'), brotli $(kb "$(brotli -q 11 -c "$largest" | wc -c)") KB"
fi
echo "first-load WASM brotli $(kb "$wasm_br") KB (budget ${WASM_BUDGET_KB} KB): $(verdict "$(kb "$wasm_br")" "$WASM_BUDGET_KB")"

say "GET / at 64 connections for ${DURATION}s (wrk, Accept-Encoding: br as browsers send)"
admin=${DATABASE_URL:-$(scripts/pg.sh start)}
db="ops_bench_$$"
psql "$admin" -qAt -c "create database $db"
url=$(database_url "$admin" "$db")
RUST_LOG=warn DATABASE_URL="$url" OPS_BIND="127.0.0.1:$PORT" "$TARGET_DIR/release/server" serve >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; psql "$admin" -qAt -c "drop database if exists $db with (force)"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -H 'Accept-Encoding: br' "http://127.0.0.1:$PORT/")
echo "$out" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors' || true
p99=$(echo "$out" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }')
rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
echo "GET /: ${rps} requests/s, p99 ${p99} ms (budget ${P99_BUDGET_MS} ms): $(verdict "$p99" "$P99_BUDGET_MS")"

say "password hashing: one PBKDF2-SHA256 hash at 1,000,000 iterations"
rust_ms=$(cargo run -q --release -p server --example hash_time 2>/dev/null)
py_ms=$(python3 -c '
import hashlib, time
best = min((lambda s: (hashlib.pbkdf2_hmac("sha256", b"correct horse battery staple", b"seasaltseasaltseasalt1", 1_000_000), time.perf_counter() - s)[1])(time.perf_counter()) for _ in range(5))
print(f"{best * 1000:.1f}")')
ratio=$(awk -v r="$rust_ms" -v p="$py_ms" 'BEGIN { printf "%.2f", r / p }')
echo "ours ${rust_ms} ms, Python hashlib (OpenSSL) ${py_ms} ms: ratio ${ratio} (target <= 1.2): $(verdict "$ratio" 1.2)"

say "sign-in throughput, and GET / at 64 connections while sign-ins run (${DURATION}s)"
email="bench@example.com"; password="tangerine lighthouse"
jar=$(mktemp); 
page() { curl -s -c "$jar" -b "$jar" -H 'Accept: text/html' "http://127.0.0.1:$PORT$1"; }
t=$(page /sign-up | csrf_token_of)
curl -s -o /dev/null -b "$jar" -H "x-csrf-token: $t" -H 'Accept: application/json' \
  --data-urlencode "form[name]=Bench" --data-urlencode "form[email]=$email" --data-urlencode "form[password]=$password" \
  "http://127.0.0.1:$PORT/api/auth/sign_up"
for i in 1 2; do
  rm -f "$jar"; t=$(page /sign-in | csrf_token_of)
  export "SIGNIN_TOKEN_$i=$t" "SIGNIN_COOKIE_$i=$(awk '$6 ~ /ops_session/ { print $6 "=" $7 }' "$jar")"
done
export SIGNIN_EMAIL="bench%40example.com" SIGNIN_PASSWORD="tangerine+lighthouse"
signin_out=$(mktemp)
wrk -t2 -c2 -d"${DURATION}s" -s scripts/signin.lua "http://127.0.0.1:$PORT/" >"$signin_out" &
wrk_pid=$!
sleep 1
under_load=$(wrk -t2 -c64 -d"$((DURATION - 2))s" --latency -H 'Accept-Encoding: br' "http://127.0.0.1:$PORT/")
wait $wrk_pid
signins=$(awk '/Requests\/sec/ { print $2 }' "$signin_out")
non2xx=$(awk '/Non-2xx/ { print $5 }' "$signin_out")
p99_load=$(echo "$under_load" | awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } print v }')
echo "sign-ins: ${signins}/s (refused: ${non2xx:-0})"
echo "GET / while signing in: $(echo "$under_load" | awk '/Requests\/sec/ { print $2 }') requests/s, p99 ${p99_load} ms"
rm -f "$jar" "$signin_out"
