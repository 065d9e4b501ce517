#!/bin/bash
# Run by the postgres image when its data volume is first made (docker-entrypoint-initdb.d; it is
# executable, so it runs in a shell of its own): deploy/postgres/roles.sql, each service's password
# taken from <SERVICE>_DATABASE_PASSWORD, which docker-compose.yml requires of the operator (no default).
# A service whose password is missing stops it (roles.sql then has a psql variable nobody set), and
# in one transaction, so nothing is left half made.
# A volume made before roles existed is not touched by this: run roles.sql by hand (deploy/README.md).
set -euo pipefail

args=()
while IFS='=' read -r name _; do
    service="${name%_DATABASE_PASSWORD}"
    args+=(-v "${service,,}_password=${!name}")
done < <(env | grep -E '^[A-Z][A-Z0-9_]*_DATABASE_PASSWORD=' || true)

# Each password reaches psql as a variable (roles.sql says PASSWORD :'...'), so the file holds none.
psql -v ON_ERROR_STOP=1 --single-transaction --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    "${args[@]}" -f "${REFERRALS_ROLES_SQL:-/referrals/roles.sql}"
