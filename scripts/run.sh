#!/usr/bin/env bash
# Builds and serves Ops Intel on http://127.0.0.1:3000, installing whatever is missing first.
# Without DATABASE_URL it uses a private PostgreSQL cluster in .pgdata/ (created on first run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tools.sh"
ensure_build_tools
cd "$ROOT"

# This command is for development on this machine: say so, and open the mailbox page (which
# shows every email the app would send) to browsers here. Outside services not configured in
# the environment are local stand-ins (server/src/standins/): Google Maps enrichment works
# without a Google account.
export OPS_ENV=development OPS_DEV_MAILBOX=1 OPS_STANDINS=1

if [ -z "${DATABASE_URL:-}" ]; then
  # The application connects as ops_app; migrations run as the owner, ops_owner.
  eval "$(scripts/pg.sh env ops_intel)"
  say "using the private PostgreSQL cluster in .pgdata/"
fi

say "building (release)"
cargo leptos build --release --split

say "applying migrations"
"$TARGET_DIR/release/server" migrate

say "loading the demo organisation (once)"
"$TARGET_DIR/release/server" seed-demo

say "serving on http://${OPS_BIND:-127.0.0.1:3000}"
exec "$TARGET_DIR/release/server" serve
