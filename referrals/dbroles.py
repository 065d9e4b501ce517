"""A PostgreSQL role per service, owning that service's schema and nothing else.

Run as a superuser before the services start. Each service then connects as
`referrals_<service>`: it owns its schema (its tables and its Alembic version
table, since its migrations run as that role), and has no USAGE on another
service's schema, so a bug or a breach in one service cannot read another's data.

The services are referrals.launcher.SERVICES, and each service's schema is named
after it (tests/unit/test_database_roles.py checks each ServiceDefinition): adding
a service to that tuple gives it a role and a schema here too.

Provisioning is idempotent: run again, it finds the roles and schemas, resets
each role's password to the stored one, and hands any object left in a schema
by an earlier single-user setup (tables owned by the superuser) to the schema's
role.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import random
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

from referrals.launcher import SERVICES


def service_role(service: str) -> str:
    return f"referrals_{service}"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    # CREATE/ALTER ROLE ... PASSWORD takes no bind parameters, so the password is a literal.
    return "'" + value.replace("'", "''") + "'"


def with_credentials(url: str, user: str, password: str | None) -> str:
    """The same server and database as `url`, as another user."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    netloc = quote(user, safe="")
    if password is not None:
        netloc += ":" + quote(password, safe="")
    netloc += "@" + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def without_password(url: str) -> str:
    """For showing a URL: the same user, server and database, and no password."""
    parts = urlsplit(url)
    return with_credentials(url, unquote(parts.username), None) if parts.username else url


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def plain_url(url: str) -> str:
    """asyncpg wants postgresql://, the services also accept postgresql+asyncpg://."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def new_password() -> str:
    # 256 bits; URL-safe, so it needs no quoting in a DATABASE_URL and passes refuse_placeholder.
    return secrets.token_urlsafe(32)


def read_or_create_secret(path: Path) -> str:
    """A password kept in a file only its owner can read (0600), generated the first time it is asked for."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = new_password()
    # Written whole under another name, then linked into place: a crash never leaves an empty
    # password file, and of two processes racing, the second finds (and uses) the first's.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(value)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        os.unlink(tmp)
    return value


def password_store(directory: Path) -> Callable[[str], str]:
    """Role name -> password, each in `directory/<role>` (mode 0600)."""

    def password(role: str) -> str:
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
        return read_or_create_secret(directory / role)

    return password


def derived_passwords(admin_url: str) -> Callable[[str], str]:
    """Passwords derived from the admin URL: every test session against one server computes the same
    ones, so sessions sharing a server never reset a role's password under each other's services."""
    key = hashlib.sha256(admin_url.encode()).digest()

    def password(role: str) -> str:
        return hmac.new(key, role.encode(), hashlib.sha256).hexdigest()

    return password


def database_statements(database: str, services: tuple[str, ...] = SERVICES) -> list[str]:
    """The grants that keep each role to its own schema (object ownership is handed over separately)."""
    return _database_statements(quote_ident(database), services)


def _database_statements(database_sql: str, services: tuple[str, ...]) -> list[str]:
    roles = ", ".join(quote_ident(service_role(s)) for s in services)
    statements = [
        # PUBLIC may connect to (and make temporary tables in) any database by default.
        f"REVOKE ALL ON DATABASE {database_sql} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {database_sql} TO {roles}",
        # PUBLIC has USAGE on the public schema by default; nothing of ours lives there.
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
    ]
    for service in services:
        schema, role = quote_ident(service), quote_ident(service_role(service))
        statements += [
            f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}",
            f"ALTER SCHEMA {schema} OWNER TO {role}",
            f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC",
        ]
    return statements


async def is_superuser(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))


async def provision(
    admin_url: str, passwords: Callable[[str], str], services: tuple[str, ...] = SERVICES
) -> dict[str, str] | None:
    """Create (or update) each service's role and schema in `admin_url`'s database.

    Returns each service's DATABASE_URL, or None when the given user is not a superuser: the
    caller then runs every service on `admin_url`, as before. (A CREATEROLE role that owns the
    database could do this too, but it must also be made a member of every role it creates; an
    operator in that position creates the roles themselves, as deploy/postgres/ does.)
    """
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        if not await is_superuser(conn):
            return None
        for service in services:
            role = service_role(service)
            await _ensure_role(conn, role, passwords(role))
        for statement in database_statements(database_name(admin_url), services):
            await conn.execute(statement)
        for service in services:
            await _hand_over_objects(conn, service, service_role(service))
    finally:
        await conn.close()
    return {s: with_credentials(admin_url, service_role(s), passwords(service_role(s))) for s in services}


def role_attributes(password: str) -> str:
    return _attributes(quote_literal(password))


def _attributes(password_sql: str) -> str:
    # No superuser, database or role creation: the role can do nothing but use what it owns.
    return f"LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {password_sql}"


def psql_variable(service: str) -> str:
    """The psql variable deploy/postgres/roles.sql takes a service's password from."""
    return f"{service}_password"


def psql_script(services: tuple[str, ...] = SERVICES) -> str:
    """deploy/postgres/roles.sql: what provision() does, for an operator's own server (compose runs it
    through deploy/postgres/init-roles.sh). Each password is a psql variable: the file holds none, and
    psql stops at the first role whose password was not given."""
    lines = [
        "-- A PostgreSQL role per service, owning its schema and nothing else: what referrals/dbroles.py does",
        "-- for `referrals up` and the tests, for a server of your own. Written by referrals.dbroles.psql_script",
        "-- (tests/unit/test_deployment_config.py checks it is current). Run once, as a superuser, in the",
        "-- services' database, each password a long random value of your own (e.g. openssl rand -hex 24):",
        "--",
        "--   psql \"$ADMIN_DATABASE_URL\" -v ON_ERROR_STOP=1 \\",
        *(f"--     -v {psql_variable(s)}=\"$(openssl rand -hex 24)\" \\" for s in services),
        "--     -f deploy/postgres/roles.sql",
        "--",
        "-- Then give each service DATABASE_URL=postgresql://referrals_<service>:<its password>@<host>/<database>.",
        "",
    ]
    for service in services:
        role = quote_ident(service_role(service))
        lines.append(f"CREATE ROLE {role} WITH {_attributes(':' + quote_literal(psql_variable(service)))};")
    lines += [f"{statement};" for statement in _database_statements(':"DBNAME"', services)]
    return "\n".join(lines) + "\n"


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    # Roles belong to the whole server, not to a database: test sessions sharing a server provision
    # their own databases at the same moment and meet here, on the same roles.
    attributes = role_attributes(password)
    if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role) is None:
        try:
            await conn.execute(f"CREATE ROLE {quote_ident(role)} WITH {attributes}")
            return
        except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            pass  # another provisioning created it first (which error depends on how close the race was)
    # An existing role: its attributes and password are made what they should be (again).
    for attempt in range(ROLE_UPDATE_ATTEMPTS):
        try:
            await conn.execute(f"ALTER ROLE {quote_ident(role)} WITH {attributes}")
            return
        except asyncpg.InternalServerError as exc:
            # Two sessions altering one role at once: the loser is told so, and may simply do it again.
            if "concurrently updated" not in str(exc) or attempt == ROLE_UPDATE_ATTEMPTS - 1:
                raise
            await asyncio.sleep(random.uniform(0.01, 0.1))


ROLE_UPDATE_ATTEMPTS = 10


async def _hand_over_objects(conn: asyncpg.Connection, schema: str, role: str) -> None:
    """Objects a single-user setup made in the schema (owned by that user) become the role's."""
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE"}
    rows = await conn.fetch(
        """SELECT c.oid::regclass::text AS name, c.relkind::text AS kind FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind::text = ANY($2::text[])
             AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $3)""",
        schema, list(kinds), role,
    )
    for row in rows:  # a table's indexes and owned sequences follow it
        await conn.execute(f"ALTER {kinds[row['kind']]} {row['name']} OWNER TO {quote_ident(role)}")
    sequences = await conn.fetch(
        """SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = $1 AND c.relkind = 'S'
             AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)""",
        schema, role,
    )
    for row in sequences:
        await conn.execute(f"ALTER SEQUENCE {row['name']} OWNER TO {quote_ident(role)}")
    types = await conn.fetch(
        """SELECT t.oid::regtype::text AS name, t.typtype::text AS kind FROM pg_type t
           JOIN pg_namespace n ON n.oid = t.typnamespace
           WHERE n.nspname = $1 AND t.typtype IN ('e', 'd', 'r')
             AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)""",
        schema, role,
    )
    for row in types:
        keyword = "DOMAIN" if row["kind"] == "d" else "TYPE"
        await conn.execute(f"ALTER {keyword} {row['name']} OWNER TO {quote_ident(role)}")
