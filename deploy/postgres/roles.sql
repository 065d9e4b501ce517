-- A PostgreSQL role per service, owning its schema and nothing else: what referrals/dbroles.py does
-- for `referrals up` and the tests, for a server of your own. Written by referrals.dbroles.psql_script
-- (tests/unit/test_deployment_config.py checks it is current). Run once, as a superuser, in the
-- services' database, each password a long random value of your own (e.g. openssl rand -hex 24):
--
--   psql "$ADMIN_DATABASE_URL" -v ON_ERROR_STOP=1 \
--     -v intake_password="$(openssl rand -hex 24)" \
--     -v triage_password="$(openssl rand -hex 24)" \
--     -v caseload_password="$(openssl rand -hex 24)" \
--     -v outcomes_password="$(openssl rand -hex 24)" \
--     -v identity_password="$(openssl rand -hex 24)" \
--     -f deploy/postgres/roles.sql
--
-- Then give each service DATABASE_URL=postgresql://referrals_<service>:<its password>@<host>/<database>.

CREATE ROLE "referrals_intake" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'intake_password';
CREATE ROLE "referrals_triage" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'triage_password';
CREATE ROLE "referrals_caseload" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'caseload_password';
CREATE ROLE "referrals_outcomes" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'outcomes_password';
CREATE ROLE "referrals_identity" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'identity_password';
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"DBNAME" TO "referrals_intake", "referrals_triage", "referrals_caseload", "referrals_outcomes", "referrals_identity";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS "intake" AUTHORIZATION "referrals_intake";
ALTER SCHEMA "intake" OWNER TO "referrals_intake";
REVOKE ALL ON SCHEMA "intake" FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS "triage" AUTHORIZATION "referrals_triage";
ALTER SCHEMA "triage" OWNER TO "referrals_triage";
REVOKE ALL ON SCHEMA "triage" FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS "caseload" AUTHORIZATION "referrals_caseload";
ALTER SCHEMA "caseload" OWNER TO "referrals_caseload";
REVOKE ALL ON SCHEMA "caseload" FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS "outcomes" AUTHORIZATION "referrals_outcomes";
ALTER SCHEMA "outcomes" OWNER TO "referrals_outcomes";
REVOKE ALL ON SCHEMA "outcomes" FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS "identity" AUTHORIZATION "referrals_identity";
ALTER SCHEMA "identity" OWNER TO "referrals_identity";
REVOKE ALL ON SCHEMA "identity" FROM PUBLIC;
