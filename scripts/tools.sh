#!/usr/bin/env bash
# Installs the pinned tools the build and the tests need, each only when it is missing or at the
# wrong version, so a warm machine skips straight through. Sourced by run.sh and test.sh.
#
# Only crates.io, npm and Debian packages are reachable from these machines, so every tool comes
# from one of them; cargo-leptos would otherwise try to download wasm-bindgen, wasm-opt and sass.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10   # newest that builds --locked on rustc 1.95
WASM_BINDGEN_VERSION=0.2.129  # must equal the `wasm-bindgen = "=…"` pin in Cargo.toml
BINARYEN_NPM_VERSION=132.0.0  # Debian's binaryen 108 produces WASM that breaks at run time
DJANGO_VERSION=5.2.19         # the password tests check our hashes against Django itself
SQLX_CLI_VERSION=0.8.6        # must equal the sqlx crate's version in Cargo.lock

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_NPM="$ROOT/.tools/npm"
export PATH="$HOME/.cargo/bin:$TOOLS_NPM/node_modules/.bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# A build directory outside the checkout, used when it exists (create it to opt in): every
# checkout on the machine then shares the dependencies compiled once, so a fresh clone builds
# only the project's own crates. Without it, each checkout builds into its own target/.
SHARED_TARGET=${OPS_SHARED_TARGET:-/var/tmp/ops-intel-target}
if [ -z "${CARGO_TARGET_DIR:-}" ] && [ -d "$SHARED_TARGET" ]; then
  export CARGO_TARGET_DIR="$SHARED_TARGET"
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# Cargo judges freshness by file times, with paths relative to the workspace, so in a shared
# build directory another checkout's newer build would look fresh to this one. When the last
# checkout built there was another, this checkout's sources are marked as newer first.
if [ "${CARGO_TARGET_DIR:-}" = "$SHARED_TARGET" ] && [ -d "$SHARED_TARGET" ] &&
  [ "$(cat "$SHARED_TARGET/.checkout" 2>/dev/null || true)" != "$ROOT" ]; then
  find "$ROOT/app" "$ROOT/server" "$ROOT/frontend" "$ROOT/migrations" "$ROOT/.sqlx" "$ROOT/style" \
    -type f -exec touch {} + 2>/dev/null || true
  echo "$ROOT" > "$SHARED_TARGET/.checkout"
fi

# The URL of database NAME on the server ADMIN_URL points at (same host and options), as USER
# when given (no password: local trust authentication), else as the admin's user.
database_url() { # ADMIN_URL NAME [USER]
  python3 - "$@" <<'PY'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
netloc = p.netloc if len(sys.argv) < 4 else sys.argv[3] + "@" + p.netloc.rpartition("@")[2]
print(u.urlunsplit(p._replace(netloc=netloc, path="/" + sys.argv[2])))
PY
}

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# wrk's latency figure (us, ms or s) on standard input, in milliseconds.
ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } printf "%.2f", v }'; }

# The CSRF token of the first form in the HTML on standard input.
csrf_token_of() { grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }

# Signs in to the server at BASE as a browser does, and prints the session cookie
# ("ops_session=…") and that session's CSRF token, on one line. For the benchmarks.
ops_sign_in() { # BASE EMAIL PASSWORD
  local base=$1 jar token cookie
  jar=$(mktemp)
  token=$(curl -s -c "$jar" -b "$jar" -H 'Accept: text/html' "$base/sign-in" | csrf_token_of)
  curl -s -o /dev/null -c "$jar" -b "$jar" -H "x-csrf-token: $token" -H 'Accept: application/json' \
    --data-urlencode "form[email]=$2" --data-urlencode "form[password]=$3" "$base/api/auth/sign_in"
  cookie=$(awk '$6 ~ /ops_session/ { print $6 "=" $7 }' "$jar")
  # Signing in starts a new session with its own token; any page with a form carries it.
  token=$(curl -s -b "$jar" -H 'Accept: text/html' "$base/o" | csrf_token_of)
  rm -f "$jar"
  echo "$cookie $token"
}

# apt-get only when a package is missing; sudo only when not already root.
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

cargo_install() { # crate version binary [cargo install options…]
  local crate=$1 version=$2 bin=$3
  shift 3
  if ! "$bin" --version 2>/dev/null | grep -q "$version"; then
    say "installing $crate $version (one-off, several minutes)"
    # In cargo's own temporary directory, not a shared CARGO_TARGET_DIR.
    env -u CARGO_TARGET_DIR cargo install "$crate" --version "$version" --locked "$@"
  fi
}

ensure_build_tools() {
  apt_install mold pkg-config postgresql-15 postgresql-client-15
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32 target"
    rustup target add wasm32-unknown-unknown
  fi
  cargo_install wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
  cargo_install cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-leptos
  if ! wasm-opt --version 2>/dev/null | grep -q "version ${BINARYEN_NPM_VERSION%%.*}"; then
    say "installing wasm-opt (npm binaryen $BINARYEN_NPM_VERSION)"
    mkdir -p "$TOOLS_NPM"
    (cd "$TOOLS_NPM" && { [ -f package.json ] || echo '{"private":true}' > package.json; } &&
      npm install --no-audit --no-fund --silent "binaryen@$BINARYEN_NPM_VERSION")
  fi
}

ensure_test_tools() {
  ensure_build_tools
  # nginx: the tests serve the app behind it, as a TLS proxy in front.
  apt_install chromium wrk brotli python3-venv nginx
  # `cargo sqlx prepare --check`: PostgreSQL only, with rustls (no OpenSSL).
  cargo_install sqlx-cli "$SQLX_CLI_VERSION" sqlx --no-default-features --features postgres,rustls
  if ! "$ROOT/.tools/django/bin/python" -c "import django, sys; sys.exit(django.__version__ != '$DJANGO_VERSION')" 2>/dev/null; then
    say "installing Django $DJANGO_VERSION for the password compatibility tests"
    python3 -m venv "$ROOT/.tools/django"
    "$ROOT/.tools/django/bin/pip" install --quiet "django==$DJANGO_VERSION"
  fi
  export OPS_DJANGO_PYTHON="$ROOT/.tools/django/bin/python"
  if [ ! -d "$ROOT/end2end/node_modules" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing end-to-end test packages"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --silent)
  fi
}
