"""Each service's database role reaches its own schema and no other (issue 13).

The system under test is the test systems' (tests/support/system.py): its services run as roles
`referrals_<service>` made by referrals.dbroles, on the test infrastructure's PostgreSQL. A role
reads and writes the tables of its own schema, and is refused every table of another service's
schema, the creation of anything in another schema, in `public`, of a schema or of a temporary table.
The embedded server refuses a connection without a password or with a wrong one.
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote, urlsplit

import asyncpg
import httpx
import pytest

from referrals.launcher import SERVICES

pytestmark = pytest.mark.e2e

PERSON = {"given_name": "Rosalind", "family_name": "Pemberton", "age_years": 81, "postcode": "E8 1DY"}


def _role_urls(system) -> dict[str, str]:
    if not system.service_database_urls:
        # Only when DATABASE_URL names a server whose user is not a superuser: then the services share
        # that user, as they did before roles, and there is nothing here to test.
        # The embedded server is ours and its user a superuser: there, no roles is a failure, never a skip.
        assert system.infra.kind != "embedded", "the embedded server gave the services no roles of their own"
        pytest.skip(f"{system.infra.kind} database user is not a superuser: the services share it, no roles")
    return {name: url.replace("postgresql+asyncpg://", "postgresql://", 1)
            for name, url in system.service_database_urls.items()}


async def _tables(system) -> dict[str, list[str]]:
    """Each service's tables, as the server (asked as its admin) lists them."""
    rows = await system.sql("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])",
                            list(SERVICES))
    tables = {name: sorted(r["tablename"] for r in rows if r["schemaname"] == name) for name in SERVICES}
    for name, names in tables.items():
        assert "alembic_version" in names and len(names) > 1, f"{name} has not migrated: {names}"
    return tables


async def test_the_services_connect_each_as_its_own_role(shared_system):
    urls = _role_urls(shared_system)
    assert set(urls) == set(SERVICES)
    for name in SERVICES:
        url = shared_system.processes[name].env["DATABASE_URL"]
        assert unquote(urlsplit(url).username) == f"referrals_{name}"
    # The services' connections, as the server sees them (the outbox relays keep one each).
    await shared_system.wait_for(
        "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database()",
        predicate=lambda rows: {r["usename"] for r in rows} >= {f"referrals_{n}" for n in SERVICES},
    )


async def test_each_schema_and_everything_in_it_belongs_to_its_service_role(shared_system):
    _role_urls(shared_system)
    schemas = await shared_system.sql(
        "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY($1::text[])",
        list(SERVICES))
    assert {r["nspname"]: r["owner"] for r in schemas} == {n: f"referrals_{n}" for n in SERVICES}
    # Tables (Alembic's version table among them), sequences, views: made by the role's own migrations.
    objects = await shared_system.sql(
        """SELECT n.nspname, c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'S', 'v', 'm')""", list(SERVICES))
    wrong = [(r["nspname"], r["relname"], r["owner"]) for r in objects if r["owner"] != f"referrals_{r['nspname']}"]
    assert objects and not wrong


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_role_uses_its_own_schema_and_is_refused_every_other(shared_system, service):
    urls = _role_urls(shared_system)
    tables = await _tables(shared_system)
    conn = await asyncpg.connect(urls[service])
    try:
        assert await conn.fetchval("SELECT current_user") == f"referrals_{service}"

        # Its own: every table readable, and writable (in a transaction rolled back, the data untouched).
        for table in tables[service]:
            await conn.fetchval(f'SELECT count(*) FROM "{service}"."{table}"')
        transaction = conn.transaction()
        await transaction.start()
        assert await conn.execute(f'UPDATE "{service}".alembic_version SET version_num = version_num') == "UPDATE 1"
        probe = f"probe_{uuid.uuid4().hex[:8]}"
        await conn.execute(f'CREATE TABLE "{service}"."{probe}" (n int)')
        await conn.execute(f'INSERT INTO "{service}"."{probe}" VALUES (1)')
        assert await conn.fetchval(f'SELECT n FROM "{service}"."{probe}"') == 1
        await transaction.rollback()
        assert await conn.fetchval("SELECT to_regclass($1)", f"{service}.{probe}") is None
        # Every other service's: not one table readable, nothing may be made there.
        for other in SERVICES:
            if other == service:
                continue
            for table in tables[other]:
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match=f"permission denied for schema {other}"):
                    await conn.fetchval(f'SELECT count(*) FROM "{other}"."{table}"')
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match=f"permission denied for schema {other}"):
                await conn.execute(f'CREATE TABLE "{other}".probe (n int)')
        # Nor anywhere else.
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for schema public"):
            await conn.execute("CREATE TABLE public.probe (n int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE SCHEMA probe")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TEMPORARY TABLE probe (n int)")
    finally:
        await conn.close()


async def test_a_referral_becomes_a_case_with_every_service_on_its_own_role(shared_system):
    _role_urls(shared_system)
    api_key = await shared_system.setup_partner(partner_id=f"roles-gp-{uuid.uuid4().hex[:6]}")
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(
            f"{shared_system.url('intake')}/v1/referrals", headers={"X-API-Key": api_key},
            json={"programme_id": "demo", "person": PERSON, "consent": {"to_referral": True}})
    assert posted.status_code == 201, posted.text
    referral_id = uuid.UUID(posted.json()["referral_id"])
    await shared_system.wait_for("SELECT 1 FROM caseload.cases WHERE referral_id = $1 AND status = 'assigned'",
                                 referral_id)
    # And the referrer's view follows it there: caseload's event reached intake.
    await shared_system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'assigned'", referral_id)


async def test_the_embedded_server_refuses_a_connection_without_the_password(shared_system, tmp_path, monkeypatch):
    if shared_system.infra.kind != "embedded":
        pytest.skip(f"{shared_system.infra.kind}: the server and its pg_hba.conf are not ours to require passwords of")
    urls = _role_urls(shared_system)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    server = urlsplit(shared_system.database_url)
    users = [unquote(server.username), *(f"referrals_{n}" for n in SERVICES)]
    for user in users:
        for password in ({}, {"password": "not-the-password"}):
            with pytest.raises(asyncpg.InvalidPasswordError):
                # passfile: a ~/.pgpass on the machine must not supply the password the test leaves out.
                await asyncpg.connect(host=server.hostname, port=server.port, user=user,
                                      database=server.path.lstrip("/"), passfile=str(tmp_path / "none"), **password)
    # The right one, for contrast: the refusals above are the password's doing.
    for url in urls.values():
        conn = await asyncpg.connect(url)
        await conn.close()
