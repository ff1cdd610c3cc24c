#!/usr/bin/env bash
# Prints PgBouncer's user list (auth_file) for the application's role: its name and the SCRAM
# secret PostgreSQL keeps for it, so clients prove the password to PgBouncer and PgBouncer logs in
# to PostgreSQL with the same secret. The list holds no password, only the secret (still keep it
# readable by the pgbouncer user alone).
#
#   deploy/pgbouncer/write-userlist.sh ADMIN_URL [ROLE] > /etc/pgbouncer/userlist.txt
#
# ADMIN_URL connects as a superuser (only superusers read pg_authid). Give the role its password
# first, as a superuser: `\password ops_app` in psql (PostgreSQL 14 and later store it as SCRAM).
# Run it again whenever that password changes, then `systemctl reload pgbouncer`.
set -euo pipefail
admin=${1:?usage: write-userlist.sh ADMIN_URL [ROLE]}
role=${2:-ops_app}
secret=$(psql "$admin" -qAt -v ON_ERROR_STOP=1 -v role="$role" <<'SQL'
select rolpassword from pg_authid where rolname = :'role';
SQL
)
case "$secret" in
  'SCRAM-SHA-256$'*) ;;
  *) echo "role $role has no SCRAM-SHA-256 password in PostgreSQL: set one first" >&2; exit 1 ;;
esac
printf '"%s" "%s"\n' "$role" "$secret"
