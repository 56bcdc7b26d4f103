#!/usr/bin/env bash
# The platform's two database roles (ARCHITECTURE.md, "Database roles"), for the PostGIS container:
# run by its entrypoint on a new data volume (/docker-entrypoint-initdb.d), as the superuser.
#
#   gridcity_owner  owns the database and everything in it; `gridcity migrate` logs in as it
#                   (the migrate service's GRIDCITY_OWNER_DATABASE_URL);
#   gridcity_app    the app's login (DATABASE_URL): no superuser, owns nothing, and gets only the
#                   grants the migrations give it (platform/audit/sql/grants.sql).
#
# Idempotent: on a volume made before the two roles existed, run it once by hand —
#   docker compose exec db bash /docker-entrypoint-initdb.d/20-gridcity-roles.sh
# — then `docker compose up migrate`: it also hands the objects the superuser made to the owner
# role (platform/gridcity/sql/adopt.sql, as the embedded cluster does).
set -euo pipefail

: "${GRIDCITY_OWNER_PASSWORD:?set GRIDCITY_OWNER_PASSWORD}"
: "${GRIDCITY_APP_PASSWORD:?set GRIDCITY_APP_PASSWORD}"
DB="${POSTGRES_DB:-gridcity}"
OWNER="${GRIDCITY_OWNER_ROLE:-gridcity_owner}"
APP="${GRIDCITY_APP_ROLE:-gridcity_app}"
ADOPT="${GRIDCITY_ADOPT_SQL:-/gridcity/adopt.sql}"
psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}")

"${psql[@]}" --dbname postgres \
  -v owner="$OWNER" -v owner_password="$GRIDCITY_OWNER_PASSWORD" \
  -v app="$APP" -v app_password="$GRIDCITY_APP_PASSWORD" -v db="$DB" <<'SQL'
SELECT format('%s ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') THEN 'ALTER' ELSE 'CREATE' END,
              :'owner', :'owner_password') \gexec
SELECT format('%s ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD %L',
              CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') THEN 'ALTER' ELSE 'CREATE' END,
              :'app', :'app_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner') \gexec
SQL

# Extensions are the superuser's to create; the owner role's migrations find them there.
"${psql[@]}" --dbname "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" -c "CREATE EXTENSION IF NOT EXISTS pg_trgm"
if [ -f "$ADOPT" ]; then
  "${psql[@]}" --dbname "$DB" -v owner="$OWNER" -f "$ADOPT" -f - >/dev/null <<'SQL'
SELECT pg_temp.gridcity_adopt(:'owner');
SQL
fi
