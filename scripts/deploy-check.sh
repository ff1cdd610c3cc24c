#!/usr/bin/env bash
# Stands up the production shape on this machine from the files in deploy/ — nginx terminating
# TLS in front of two instances of `server serve`, PgBouncer pooling by transaction between them
# and PostgreSQL — and checks what that shape promises:
#
#   a. a session started on one instance works on the other;
#   b. under concurrent load from two organisations, no answer carries the other's data
#      (the tenant is set per transaction, and PgBouncer hands connections between them);
#   c. each queued email is sent exactly once, though both instances' workers deliver;
#   d. SIGTERM to an instance under load fails no request, and loses no acknowledged write;
#   e. a PostgreSQL restart under load: quick 503s while it is down, never a hang, recovery
#      within seconds without restarting anything, no acknowledged write lost;
#   f. a backup (pg_dump -Fc) restored into a fresh database serves the same data.
#
# Everything runs on loopback: a PostgreSQL cluster of its own (so restarting it disturbs no other
# test), a throwaway certificate, free ports, SendGrid's stand-in (the `standins` binary); all
# of it is removed on exit. One line per check; exits non-zero if any fails.
#
#   scripts/deploy-check.sh        SERVER_BIN: the server binary (default: the tests' debug build);
#                                  the `standins` binary beside it
#                                  KEEP=1: keep the work folder (logs) for a look afterwards
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
cd "$ROOT"
started=$SECONDS
SERVER_BIN=${SERVER_BIN:-$TARGET_DIR/debug/server}
STANDINS_BIN="$(dirname "$SERVER_BIN")/standins"
if [ ! -x "$SERVER_BIN" ] || [ ! -x "$STANDINS_BIN" ]; then
  echo "no server and standins binaries at $SERVER_BIN: build them (scripts/test.sh does) or set SERVER_BIN" >&2
  exit 1
fi
apt_install nginx openssl curl postgresql-15 postgresql-client-15
NGINX=/usr/sbin/nginx

# PgBouncer 1.21 or later, which keeps a client's prepared statements across transactions
# (deploy/pgbouncer/pgbouncer.ini says why the application needs that). Debian 12's own package
# is 1.18, so unless the machine has a later one (or PGBOUNCER names one), it is built once from
# Debian 13's source package, with Debian's own tools and keys, into a folder kept for next time.
pgbouncer_version() { "$1" --version 2>/dev/null | awk 'NR == 1 { print $2 }'; }
version_at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }
PGBOUNCER_MIN=1.21
PGBOUNCER_SOURCE_SUITE=trixie
PGBOUNCER_BUILD=/var/tmp/ops-intel-pgbouncer
find_pgbouncer() {
  local bin
  for bin in ${PGBOUNCER:-} /usr/sbin/pgbouncer "$PGBOUNCER_BUILD/pgbouncer"; do
    if [ -x "$bin" ] && version_at_least "$(pgbouncer_version "$bin")" "$PGBOUNCER_MIN"; then
      echo "$bin"
      return
    fi
  done
  return 1
}
build_pgbouncer() {
  local sudo="" tmp apt_opts
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "building PgBouncer from Debian $PGBOUNCER_SOURCE_SUITE's source (Debian 12's is too old; once)"
  apt_install gcc make pkg-config libevent-dev libssl-dev
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial"
  echo "deb-src http://deb.debian.org/debian $PGBOUNCER_SOURCE_SUITE main" >"$tmp/sources.list"
  # A package list of its own: the machine's apt configuration is left as it is.
  apt_opts=(-qq -o "Dir::Etc::sourcelist=$tmp/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$tmp/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
    -o APT::Sandbox::User=root)
  $sudo apt-get update "${apt_opts[@]}"
  (cd "$tmp" && $sudo apt-get source --download-only "${apt_opts[@]}" pgbouncer >/dev/null)
  tar -xzf "$tmp"/pgbouncer_*.orig.tar.gz -C "$tmp"
  (cd "$tmp"/pgbouncer-*/ && ./configure --quiet >/dev/null && make -s -j"$(nproc)" pgbouncer >/dev/null)
  mkdir -p "$PGBOUNCER_BUILD"
  cp "$tmp"/pgbouncer-*/pgbouncer "$PGBOUNCER_BUILD/pgbouncer.new"
  mv "$PGBOUNCER_BUILD/pgbouncer.new" "$PGBOUNCER_BUILD/pgbouncer"
  $sudo rm -rf "$tmp"
}
PGBOUNCER=$(find_pgbouncer) || { build_pgbouncer; PGBOUNCER=$(find_pgbouncer) || true; }
[ -n "$PGBOUNCER" ] || { echo "no PgBouncer $PGBOUNCER_MIN or later" >&2; exit 1; }

WORK=$(mktemp -d /tmp/ops-deploy-check.XXXXXX)
chmod 711 "$WORK" # the cluster and PgBouncer run as `postgres` when we are root
PGDIR="$WORK/pg"
declare -A PIDS=()
cleanup() {
  set +e
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ -f "$WORK/pgbouncer/pgbouncer.pid" ]; then
    pid=$(cat "$WORK/pgbouncer/pgbouncer.pid")
    kill -INT "$pid" 2>/dev/null # its clients are gone: a safe shutdown is immediate
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null
  fi
  "$ROOT/scripts/pg.sh" stop "$PGDIR" >/dev/null 2>&1
  if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# As the cluster's owner: `postgres` when we are root (PostgreSQL and PgBouncer refuse root).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

free_ports() { # COUNT
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
read -r P_HTTPS P_HTTP P_BOUNCER P_A P_B P_C P_MAIL <<<"$(free_ports 7)"

say "deploy check: PostgreSQL, PgBouncer, two instances, nginx"

# --- PostgreSQL: a private cluster, the roles, a database owned by ops_owner, migrated once ---
ADMIN_URL=$("$ROOT/scripts/pg.sh" start "$PGDIR" 2>"$WORK/pg.log") || { cat "$WORK/pg.log" >&2; exit 1; }
DB=ops_intel_check
RESTORED=ops_intel_restored
admin_psql() { psql "$ADMIN_URL" -qAt -v ON_ERROR_STOP=1 "$@"; }
db_psql() { psql "$(database_url "$ADMIN_URL" "$DB")" -qAt -v ON_ERROR_STOP=1 "$@"; }
# Its data is thrown away, as the test cluster's is: no flushing to disk.
admin_psql -c "alter system set fsync = off" -c "select pg_reload_conf()" >/dev/null
admin_psql -f scripts/roles.sql
admin_psql -c "create database $DB owner ops_owner"
# The application's password, as production gives ops_app one (PgBouncer checks it by SCRAM).
APP_PASSWORD=$(openssl rand -hex 16)
admin_psql -c "alter role ops_app password '$APP_PASSWORD'"

# --- PgBouncer: deploy/pgbouncer/pgbouncer.ini with this machine's values ---
mkdir -p "$WORK/pgbouncer"
deploy/pgbouncer/write-userlist.sh "$ADMIN_URL" ops_app >"$WORK/pgbouncer/userlist.txt"
sed -e "s#@PG_HOST@#$PGDIR#g; s#@PG_PORT@#5432#g; s#@DB_NAME@#$DB#g; s#@LISTEN_PORT@#$P_BOUNCER#g" \
  -e "s#@AUTH_FILE@#$WORK/pgbouncer/userlist.txt#g; s#@RUN_DIR@#$WORK/pgbouncer#g" \
  -e "s#@LOG_FILE@#$WORK/pgbouncer/pgbouncer.log#g" \
  -e "/^ops_intel = /a ops_intel_restored = host=$PGDIR port=5432 dbname=$RESTORED" \
  deploy/pgbouncer/pgbouncer.ini >"$WORK/pgbouncer/pgbouncer.ini"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$WORK/pgbouncer"
as_owner "$PGBOUNCER" -q -d "$WORK/pgbouncer/pgbouncer.ini"

# --- The instances' environment: deploy/ops-intel.env.example with this machine's values ---
ENV_FILE="$WORK/ops-intel.env"
CERT="$WORK/cert.pem"
SENDGRID_KEY=deploy-check-$(openssl rand -hex 8)
example_value() { sed -n "s/^$1=//p" deploy/ops-intel.env.example; }
# The example's DATABASE_URL (its options included) with this machine's password and port.
database_via_bouncer() { # DBNAME
  python3 - "$(example_value DATABASE_URL)" "$APP_PASSWORD" "$P_BOUNCER" "$1" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
print(u.urlunsplit(p._replace(netloc=f"{p.username}:{sys.argv[2]}@127.0.0.1:{sys.argv[3]}", path="/" + sys.argv[4])))
PY
}
declare -A VALUE=(
  [OPS_PUBLIC_URL]="https://127.0.0.1:$P_HTTPS"
  [OPS_TRUSTED_PROXIES]=127.0.0.1
  [DATABASE_URL]="$(database_via_bouncer ops_intel)"
  [OPS_TOTP_KEY]="$(openssl rand -base64 32)"
  [SENDGRID_API_KEY]="$SENDGRID_KEY"
  [OPS_EMAIL_FROM]=no-reply@deploy-check.test
  [OPS_SENDGRID_BASE_URL]="http://127.0.0.1:$P_MAIL"
  [OPS_SECURITY_CONTACT]=security@deploy-check.test
  [OPS_SITE_ROOT]="$ROOT/target/site"
  # The load below adds hundreds of businesses: its organisations are on Business, as an
  # operator would put a customer's without billing.
  [OPS_DEFAULT_PLAN]=business
)
used=" "
while IFS= read -r line; do
  if [[ $line =~ ^([A-Z][A-Z0-9_]*)= ]]; then
    name=${BASH_REMATCH[1]}
    if [[ -v "VALUE[$name]" ]]; then
      printf "%s='%s'\n" "$name" "${VALUE[$name]}"
      used+="$name "
    else
      printf '%s\n' "$line"
    fi
  fi
done <deploy/ops-intel.env.example >"$ENV_FILE"
for name in "${!VALUE[@]}"; do
  [[ $used == *" $name "* ]] || { echo "deploy/ops-intel.env.example does not list $name" >&2; exit 1; }
done
if grep -n 'CHANGE' "$ENV_FILE" >&2; then echo "a value marked CHANGE was left in the environment" >&2; exit 1; fi

# `server` with exactly the environment file's variables (nothing inherited from this shell),
# OPS_BIND as the systemd unit sets it, and any NAME=VALUE overrides.
server_env() { # PORT [NAME=VALUE...] COMMAND...
  local port=$1; shift
  env -i /bin/bash -c 'set -a; . "$1"; set +a; shift; exec /usr/bin/env "$@"' _ "$ENV_FILE" \
    "OPS_BIND=127.0.0.1:$port" "$@"
}
start_instance() { # NAME PORT [NAME=VALUE...]
  local name=$1 port=$2; shift 2
  # As server_env, but a simple command, so that $! is the server itself (each exec keeps it).
  env -i /bin/bash -c 'set -a; . "$1"; set +a; shift; exec /usr/bin/env "$@"' _ "$ENV_FILE" \
    "OPS_BIND=127.0.0.1:$port" "$@" "$SERVER_BIN" serve >>"$WORK/$name.log" 2>&1 &
  PIDS[$name]=$!
  PORT[$name]=$port
}
declare -A PORT=()
wait_ready() { # NAME [SECONDS]
  local name=$1 deadline=$((SECONDS + ${2:-30}))
  until curl -fsS -o /dev/null "http://127.0.0.1:${PORT[$name]}/readyz" 2>/dev/null; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null || [ $SECONDS -gt "$deadline" ]; then
      echo "instance $name did not become ready; its log ends:" >&2
      tail -n 15 "$WORK/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Migrations: once, as the owner, straight to PostgreSQL, with the instances' environment.
server_env 0 "OPS_MIGRATION_DATABASE_URL=$(database_url "$ADMIN_URL" "$DB" ops_owner)" \
  "$SERVER_BIN" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; exit 1; }

# SendGrid's stand-in answers after 0.2 s, so both instances' workers are busy at once.
"$STANDINS_BIN" sendgrid "$P_MAIL" "$SENDGRID_KEY" "$WORK/mail.jsonl" 0.2 2>/dev/null &
PIDS[sendgrid]=$!
touch "$WORK/mail.jsonl"
start_instance a "$P_A"
start_instance b "$P_B"

# --- nginx: deploy/nginx/ops-intel.conf with a throwaway certificate and free ports ---
mkdir -p "$WORK/nginx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$CERT" 2>/dev/null
sed -e "s#@SERVER_NAME@#127.0.0.1#g; s#@HTTPS_LISTEN@#127.0.0.1:$P_HTTPS#g; s#@HTTP_LISTEN@#127.0.0.1:$P_HTTP#g" \
  -e "s#@CERT@#$CERT#g; s#@KEY@#$WORK/key.pem#g" \
  -e "s#@UPSTREAM_A@#127.0.0.1:$P_A#g; s#@UPSTREAM_B@#127.0.0.1:$P_B#g" \
  deploy/nginx/ops-intel.conf >"$WORK/nginx/ops-intel.conf"
for f in "$WORK/nginx/ops-intel.conf" "$WORK/pgbouncer/pgbouncer.ini"; do
  if grep -n '@[A-Z_]*@' "$f" >&2; then echo "a placeholder was left in $f" >&2; exit 1; fi
done
n="$WORK/nginx"
# One process in the foreground, every file it writes in the work folder; the site is the file.
cat >"$n/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 1024; }
http {
    log_format upstreams '\$status \$upstream_addr \$upstream_status \$request_time';
    access_log $n/access.log upstreams;
    client_body_temp_path $n/client_body;
    proxy_temp_path $n/proxy;
    fastcgi_temp_path $n/fastcgi;
    uwsgi_temp_path $n/uwsgi;
    scgi_temp_path $n/scgi;
    include $n/ops-intel.conf;
}
CONF
"$NGINX" -t -q -p "$n" -c "$n/nginx.conf" -e "$n/error.log"
"$NGINX" -p "$n" -c "$n/nginx.conf" -e "$n/error.log" </dev/null >/dev/null 2>&1 &
PIDS[nginx]=$!
wait_ready a
wait_ready b
BASE="https://127.0.0.1:$P_HTTPS"
until curl -fsS -o /dev/null --cacert "$CERT" "$BASE/readyz" 2>/dev/null; do
  kill -0 "${PIDS[nginx]}" 2>/dev/null || { cat "$n/error.log" >&2; exit 1; }
  sleep 0.1
done

# --- Helpers for the checks ---
PASSWORD="deploy check $(openssl rand -hex 6)"
hash=$(python3 - "$PASSWORD" <<'PY'
import base64, hashlib, secrets, sys
salt = secrets.token_hex(11)
dk = hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(), salt.encode(), 1_000_000)
print(f"pbkdf2_sha256$1000000${salt}${base64.b64encode(dk).decode()}")
PY
)
MAIL_USERS=20
# Verified accounts, made as the tests make theirs: the two organisations' owners, and the
# accounts that ask for password resets.
db_psql -v hash="$hash" -v n="$MAIL_USERS" <<'SQL'
insert into users (email, name, password_hash, email_verified_at)
select email, initcap(split_part(email, '@', 1)), :'hash', now()
from unnest(array['owner@tangerine.test', 'owner@aubergine.test']
            || array(select 'reset' || i || '@deploy-check.test' from generate_series(1, :n) i)) email;
SQL

session_cookie_of() { # HEADERS_FILE
  grep -i '^set-cookie: [^=]*ops_session=' "$1" | tail -n 1 | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r' || true
}
# Signs in at BASE as EMAIL, as a browser does; prints the session cookie and its CSRF token.
sign_in_at() { # BASE EMAIL
  local base=$1 h="$WORK/headers" token cookie
  token=$(curl -fsS --cacert "$CERT" -D "$h" -H 'Accept: text/html' "$base/sign-in" | csrf_token_of)
  cookie=$(session_cookie_of "$h")
  curl -fsS --cacert "$CERT" -o /dev/null -D "$h" -H "Cookie: $cookie" -H "x-csrf-token: $token" \
    -H 'Accept: application/json' --data-urlencode "form[email]=$2" \
    --data-urlencode "form[password]=$PASSWORD" "$base/api/auth/sign_in"
  cookie=$(session_cookie_of "$h")
  token=$(awk 'tolower($1) == "x-csrf-token:" { print $2 }' "$h" | tr -d '\r')
  [ -n "$token" ] || token=$(curl -fsS --cacert "$CERT" -H "Cookie: $cookie" -H 'Accept: text/html' "$base/o" | csrf_token_of)
  echo "$cookie $token"
}
# Calls server function PATH at BASE; the body goes to $WORK/body, the status to standard output.
call() { # BASE COOKIE TOKEN PATH [curl data arguments...]
  local base=$1 cookie=$2 token=$3 path=$4
  shift 4
  curl -sS --cacert "$CERT" -o "$WORK/body" -w '%{http_code}' -H "Cookie: $cookie" \
    -H "x-csrf-token: $token" -H 'Accept: application/json' --data "" "$@" "$base/api/$path" || true
}
# The instances' warnings and errors since MARK (a line count per log), in a few lines.
log_marks() { local m=""; for i in a b c; do m+="$(cat "$WORK/$i.log" 2>/dev/null | wc -l) "; done; echo "$m"; }
log_problems() { # MARK
  local marks=($1) i=0 name
  for name in a b c; do
    [ -f "$WORK/$name.log" ] && tail -n +"$((${marks[$i]} + 1))" "$WORK/$name.log" | sed "s/^/$name /"
    i=$((i + 1))
  done | python3 -c '
import json, sys
seen = {}
for line in sys.stdin:
    name, _, rest = line.partition(" ")
    try:
        e = json.loads(rest)
    except ValueError:
        continue
    # The sqlx pool reports each failed connection attempt: the consequences show elsewhere.
    if e.get("level") not in ("WARN", "ERROR") or e.get("target", "").startswith("sqlx_core"):
        continue
    f = e.get("fields") or e
    key = (f.get("message") or e.get("target"), f.get("error") or f.get("err"), f.get("code"))
    seen.setdefault(key, [0, name, e["level"]])[0] += 1
ranked = sorted(seen.items(), key=lambda kv: (kv[1][2] != "ERROR", -kv[1][0]))
for (message, error, code), (count, name, _) in ranked[:4]:
    print(f"    instance {name}, {count}x: {message}" + (f": {error}" if error else "") + (f" (SQLSTATE {code})" if code else ""))
'
}

failures=0
check() { # LABEL FUNCTION
  local out="$WORK/$2.out" mark
  mark=$(log_marks)
  if "$2" >"$out" 2>&1; then
    printf 'PASS  %s%s\n' "$1" "$( [ -s "$out" ] && printf ' (%s)' "$(tail -n 1 "$out")")"
  else
    failures=$((failures + 1))
    printf 'FAIL  %s\n' "$1"
    sed 's/^/    /' "$out" | head -n 12
    log_problems "$mark"
  fi
}

# --- The checks ---
ORG1=tangerine-trading
ORG2=aubergine-supplies

check_proxy() {
  local code
  curl -fsS -o /dev/null --cacert "$CERT" --tlsv1.2 --tls-max 1.2 "$BASE/healthz" || { echo "TLS 1.2 refused"; return 1; }
  curl -fsS -o /dev/null --cacert "$CERT" --tlsv1.3 "$BASE/healthz" || { echo "TLS 1.3 refused"; return 1; }
  if openssl s_client -connect "127.0.0.1:$P_HTTPS" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>/dev/null |
    grep -q 'Protocol *: TLSv1.1'; then
    echo "TLS 1.1 accepted"; return 1
  fi
  code=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$P_HTTP/sign-in")
  [ "$code" = "301 https://127.0.0.1/sign-in" ] || { echo "plain HTTP answered $code"; return 1; }
  code=$(head -c 3000000 /dev/zero | curl -sS -o /dev/null -w '%{http_code}' --cacert "$CERT" \
    -H 'Content-Type: application/octet-stream' --data-binary @- "$BASE/api/auth/sign_in")
  [ "$code" = 413 ] || { echo "a 3 MB body answered $code, not 413"; return 1; }
  systemd_unit_verifies || return 1
  echo "TLS 1.2/1.3 only, HTTP redirected, bodies over 2 MiB refused; unit exposure ${UNIT_EXPOSURE:-n/a}"
}

# The unit file, as systemd reads it (systemd cannot run here; its analyser can).
systemd_unit_verifies() {
  command -v systemd-analyze >/dev/null || return 0
  local d="$WORK/systemd" out
  mkdir -p "$d"
  sed "s#/usr/local/bin/server#$SERVER_BIN#" deploy/systemd/ops-intel@.service >"$d/ops-intel@.service"
  out=$(cd "$d" && systemd-analyze verify "./ops-intel@$P_A.service" 2>&1 || true)
  [ -z "$out" ] || { echo "systemd-analyze verify: $out"; return 1; }
  UNIT_EXPOSURE=$(cd "$d" && systemd-analyze security --offline=true "./ops-intel@$P_A.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
}

check_session_shared() {
  local signed status
  signed=$(sign_in_at "http://127.0.0.1:$P_A" owner@tangerine.test)
  read -r COOKIE1 TOKEN1 <<<"$signed"
  [[ $COOKIE1 == __Host-ops_session=* ]] || { echo "instance A set no __Host- session cookie: '$COOKIE1'"; return 1; }
  for port in "$P_B" "$P_A"; do
    status=$(call "http://127.0.0.1:$port" "$COOKIE1" "$TOKEN1" auth/current_user)
    [ "$status" = 200 ] && grep -q 'owner@tangerine.test' "$WORK/body" ||
      { echo "instance on $port: $status $(head -c 200 "$WORK/body")"; return 1; }
  done
  # The rest of the set-up goes through nginx, signed in on whichever instance it picks.
  read -r COOKIE2 TOKEN2 <<<"$(sign_in_at "$BASE" owner@aubergine.test)"
  for org in "1 Tangerine Trading $ORG1 Tangerine" "2 Aubergine Supplies $ORG2 Aubergine"; do
    read -r i first second slug marker <<<"$org"
    local cookie_var="COOKIE$i" token_var="TOKEN$i"
    status=$(call "$BASE" "${!cookie_var}" "${!token_var}" org/create \
      --data-urlencode "form[name]=$first $second" --data-urlencode "form[slug]=$slug")
    [ "$status" = 200 ] || { echo "creating $slug: $status $(head -c 200 "$WORK/body")"; return 1; }
    for k in 1 2 3; do
      status=$(call "$BASE" "${!cookie_var}" "${!token_var}" work/create_business \
        --data-urlencode "slug=$slug" --data-urlencode "form[name]=$marker Supplier $k" \
        --data-urlencode "form[relationship]=supplier" --data-urlencode "form[address]=$k $marker Street" \
        --data "form[phone]=&form[website]=&form[notes]=&form[tags]=")
      [ "$status" = 200 ] || { echo "adding a business to $slug: $status $(head -c 200 "$WORK/body")"; return 1; }
    done
  done
  echo "signed in on A, recognised on B; both organisations set up through nginx"
}

check_tenancy() {
  local before after
  before=$(wc -l <"$n/access.log")
  python3 deploy/check/load.py run --base "$BASE" --cafile "$CERT" --seconds 10 --threads 4 \
    --records "$WORK/b.jsonl" --read="$ORG1,$COOKIE1,$TOKEN1,Tangerine,Aubergine" \
    --read="$ORG2,$COOKIE2,$TOKEN2,Aubergine,Tangerine"
  python3 deploy/check/load.py check "$WORK/b.jsonl" || return 1
  # Both instances served.
  after=$(tail -n +"$((before + 1))" "$n/access.log" | awk '{ print $2 }' | sort -u | wc -l)
  [ "$after" -ge 2 ] || { echo "only one instance served the load"; return 1; }
}

check_email_once() {
  local token cookie h="$WORK/headers" i deadline count
  token=$(curl -fsS --cacert "$CERT" -D "$h" -H 'Accept: text/html' "$BASE/sign-in" | csrf_token_of)
  cookie=$(session_cookie_of "$h")
  # One request per address (each from its own loopback address, as separate people would be),
  # all at once, through nginx to either instance.
  local requests=()
  for i in $(seq 1 "$MAIL_USERS"); do
    curl -sS -o /dev/null -w '%{http_code}\n' --cacert "$CERT" --interface "127.0.1.$i" \
      -H "Cookie: $cookie" -H "x-csrf-token: $token" -H 'Accept: application/json' \
      --data-urlencode "email=reset$i@deploy-check.test" "$BASE/api/auth/forgot_password" \
      >"$WORK/reset.$i" 2>&1 &
    requests+=($!)
  done
  wait "${requests[@]}" || true
  cat "$WORK"/reset.* >"$WORK/resets"
  count=$(grep -c '^200$' "$WORK/resets" || true)
  [ "$count" = "$MAIL_USERS" ] || { echo "reset requests answered: $(sort "$WORK/resets" | uniq -c | tr '\n' ' ')"; return 1; }
  deadline=$((SECONDS + 30))
  until [ "$(db_psql -c "select count(*) from email_outbox where sent_at is null")" = 0 ]; do
    [ $SECONDS -lt "$deadline" ] || { echo "emails still queued after 30 s"; break; }
    sleep 0.5
  done
  sleep 3 # time for a second delivery of any email, were there one
  python3 - "$WORK/mail.jsonl" "$MAIL_USERS" <<'PY'
import collections, json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
refused = [e for e in entries if "refused" in e]
to = collections.Counter(e["to"] for e in entries if "to" in e)
wanted = {f"reset{i}@deploy-check.test" for i in range(1, int(sys.argv[2]) + 1)}
problems = []
if refused:
    problems.append(f"SendGrid would refuse {len(refused)}: {refused[0]['refused']}")
twice = [a for a, n in to.items() if n > 1]
if twice:
    problems.append(f"{len(twice)} sent more than once, e.g. {twice[0]} x{to[twice[0]]}")
missing = wanted - set(to)
if missing:
    problems.append(f"{len(missing)} never sent, e.g. {sorted(missing)[0]}")
for p in problems:
    print(p)
if problems:
    sys.exit(1)
PY
  [ $? = 0 ] || return 1
  echo "$MAIL_USERS reset emails, each delivered once (instance A sent $(grep -c '"email delivered"' "$WORK/a.log"), B $(grep -c '"email delivered"' "$WORK/b.log"))"
}

check_sigterm() {
  local load status before closed
  before=$(wc -l <"$n/error.log")
  python3 deploy/check/load.py run --base "$BASE" --cafile "$CERT" --seconds 8 --threads 5 \
    --records "$WORK/d.jsonl" --write="$ORG1,$COOKIE1,$TOKEN1,d" \
    --read="$ORG2,$COOKIE2,$TOKEN2,Aubergine,Tangerine" &
  load=$!
  sleep 3
  kill -TERM "${PIDS[a]}"
  status=0
  wait "${PIDS[a]}" || status=$?
  wait "$load"
  # Back in service for the next checks, whatever this one finds.
  start_instance a "$P_A"
  wait_ready a || return 1
  [ "$status" = 0 ] || { echo "instance A exited with status $status after SIGTERM, not 0"; return 1; }
  db_psql -c "select name from businesses where name like 'd-%'" >"$WORK/d.names"
  python3 deploy/check/load.py check "$WORK/d.jsonl" --acked-in "$WORK/d.names" && return
  closed=$(tail -n +"$((before + 1))" "$n/error.log" | grep -c 'upstream prematurely closed' || true)
  [ "$closed" = 0 ] || echo "nginx: $closed POST(s) sent on a kept-alive connection that instance A closed on SIGTERM (not retried: not idempotent)"
  return 1
}

check_database_restart() {
  local load down up
  python3 deploy/check/load.py run --base "$BASE" --cafile "$CERT" --seconds 20 --threads 3 \
    --timeout 10 --records "$WORK/e.jsonl" --write="$ORG1,$COOKIE1,$TOKEN1,e" \
    --read="$ORG2,$COOKIE2,$TOKEN2,Aubergine,Tangerine" &
  load=$!
  sleep 3
  # Down for longer than a request waits for a database connection (OPS_DB_ACQUIRE_TIMEOUT_SECS,
  # 5 s), so that requests meet the outage itself rather than only wait it out.
  down=$(date +%s.%N)
  "$ROOT/scripts/pg.sh" stop "$PGDIR"
  sleep 7
  "$ROOT/scripts/pg.sh" start "$PGDIR" >/dev/null
  up=$(date +%s.%N)
  wait "$load"
  for name in a b; do
    kill -0 "${PIDS[$name]}" 2>/dev/null || { echo "instance $name stopped"; return 1; }
  done
  db_psql -c "select name from businesses where name like 'e-%' or name like 'd-%'" >"$WORK/e.names"
  python3 deploy/check/load.py check "$WORK/e.jsonl" --max-seconds 6 --allow-status 503 \
    --down-from "$down" --up-at "$up" --recover-within 8 --acked-in "$WORK/e.names" || return 1
  # The writes check d saw acknowledged are still there after the restart.
  python3 deploy/check/load.py lost "$WORK/d.jsonl" "$WORK/e.names" >"$WORK/d.lost" ||
    { echo "writes acknowledged before the restart were lost: $(cat "$WORK/d.lost")"; return 1; }
}

# Row counts of every table, for comparing a database with its restored copy.
table_counts() { # DBNAME
  local url
  url=$(database_url "$ADMIN_URL" "$1")
  psql "$url" -qAt -v ON_ERROR_STOP=1 -c "select string_agg(format('select %L, count(*) from %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname), ' union all ' order by n.nspname, c.relname)
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\_%'" |
    psql "$url" -qAt -v ON_ERROR_STOP=1
}

check_restore_drill() {
  local status original restored
  # The nightly backup: custom format, taken as a superuser (row-level security binds the owner).
  pg_dump -Fc -f "$WORK/backup.dump" "$(database_url "$ADMIN_URL" "$DB")" || return 1
  # Restored as the owner into a fresh database it owns, on a server that has the roles.
  admin_psql -f scripts/roles.sql
  admin_psql -c "create database $RESTORED owner ops_owner"
  pg_restore --exit-on-error --no-owner -d "$(database_url "$ADMIN_URL" "$RESTORED" ops_owner)" \
    "$WORK/backup.dump" || { echo "pg_restore failed"; return 1; }
  diff <(table_counts "$DB") <(table_counts "$RESTORED") >"$WORK/counts.diff" ||
    { echo "row counts differ:"; head -n 6 "$WORK/counts.diff"; return 1; }
  # An instance on the restored copy (through PgBouncer), sending no email: a drill must not
  # deliver what the live system already did.
  start_instance c "$P_C" "DATABASE_URL=$(database_via_bouncer ops_intel_restored)" \
    OPS_SENDGRID_BASE_URL=http://127.0.0.1:9
  wait_ready c || return 1
  for port in "$P_A" "$P_C"; do
    status=$(call "http://127.0.0.1:$port" "$COOKIE1" "$TOKEN1" work/businesses \
      --data-urlencode "slug=$ORG1" --data "form[q]=Tangerine&form[relationship]=&form[tag]=")
    [ "$status" = 200 ] || { echo "businesses on $port: $status $(head -c 200 "$WORK/body")"; return 1; }
    cp "$WORK/body" "$WORK/businesses.$port"
  done
  cmp -s "$WORK/businesses.$P_A" "$WORK/businesses.$P_C" ||
    { echo "the restored copy lists other businesses"; return 1; }
  grep -q 'Tangerine Supplier 1' "$WORK/businesses.$P_C" || { echo "the restored list lacks the seeded rows"; return 1; }
  kill "${PIDS[c]}"
  wait "${PIDS[c]}" || true
  unset 'PIDS[c]'
  echo "$(wc -l <"$WORK/counts.diff" | sed 's/^0$/every table/') restored with the same rows; a signed-in list matches"
}

check "nginx: TLS, redirect, body limit; systemd unit verifies" check_proxy
check "a. a session started on instance A works on instance B" check_session_shared
check "b. two organisations under load through PgBouncer: no answer carries the other's data" check_tenancy
check "c. each queued email is sent once across both instances" check_email_once
check "d. SIGTERM to an instance under load: no failed request, no lost write" check_sigterm
check "e. PostgreSQL restarted under load: quick 503s, recovery, no lost write" check_database_restart
check "f. backup and restore drill: the restored database serves the same data" check_restore_drill

say "deploy check: $failures failed ($((SECONDS - started)) s)"
[ "$failures" -eq 0 ]
