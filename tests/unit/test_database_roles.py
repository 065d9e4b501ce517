"""The pure parts of giving each service a PostgreSQL role of its own (referrals/dbroles.py) and of
requiring passwords on the embedded server (referrals/embedded.py). What the server makes of them is
shown in tests/integration/test_embedded_postgres_passwords.py and tests/e2e/test_database_roles.py."""

from __future__ import annotations

import importlib
import secrets
import stat
from urllib.parse import unquote, urlsplit

import pytest

from tests.support.event_keys import EVENT_KEYS
from referrals import dbroles
from referrals.embedded import pg_hba_conf
from referrals.launcher import SERVICES
from shared.platform.settings import PlatformSettings


def test_the_roles_are_the_services_the_launcher_runs():
    # One list: adding a service to referrals.launcher.SERVICES gives it a role and a schema.
    assert dbroles.SERVICES is SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_keeps_its_tables_in_the_schema_named_after_it(service):
    """provision() gives role referrals_<name> the schema <name>: true only while each service's
    definition names its schema after itself."""
    definition = importlib.import_module(f"services.{service}.app").DEFINITION
    assert definition.name == service
    assert definition.schema == service


def test_role_names():
    assert [dbroles.service_role(s) for s in ("intake", "triage", "caseload", "outcomes")] == [
        "referrals_intake", "referrals_triage", "referrals_caseload", "referrals_outcomes"]


def test_identifiers_and_literals_are_quoted_so_no_value_can_end_the_statement():
    assert dbroles.quote_ident("intake") == '"intake"'
    assert dbroles.quote_ident('a"b') == '"a""b"'
    assert dbroles.quote_literal("it's") == "'it''s'"
    assert dbroles.quote_literal("plain") == "'plain'"


def test_a_role_may_log_in_and_nothing_more():
    attributes = dbroles.role_attributes("pa'ss")
    assert attributes == ("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
                          "PASSWORD 'pa''ss'")


def test_the_grants_keep_each_role_to_its_own_schema():
    assert dbroles.database_statements("referrals", ("intake", "triage")) == [
        'REVOKE ALL ON DATABASE "referrals" FROM PUBLIC',
        'GRANT CONNECT ON DATABASE "referrals" TO "referrals_intake", "referrals_triage"',
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
        'CREATE SCHEMA IF NOT EXISTS "intake" AUTHORIZATION "referrals_intake"',
        'ALTER SCHEMA "intake" OWNER TO "referrals_intake"',
        'REVOKE ALL ON SCHEMA "intake" FROM PUBLIC',
        'CREATE SCHEMA IF NOT EXISTS "triage" AUTHORIZATION "referrals_triage"',
        'ALTER SCHEMA "triage" OWNER TO "referrals_triage"',
        'REVOKE ALL ON SCHEMA "triage" FROM PUBLIC',
    ]


def test_a_url_for_another_user_keeps_server_database_and_options():
    url = dbroles.with_credentials("postgresql+asyncpg://admin:secret@db.example:6543/referrals?sslmode=require",
                                   "referrals_intake", "p@ss:w/rd%")
    parts = urlsplit(url)
    assert parts.scheme == "postgresql+asyncpg"
    assert (unquote(parts.username), unquote(parts.password)) == ("referrals_intake", "p@ss:w/rd%")
    assert (parts.hostname, parts.port, parts.path, parts.query) == ("db.example", 6543, "/referrals", "sslmode=require")
    assert url == "postgresql+asyncpg://referrals_intake:p%40ss%3Aw%2Frd%25@db.example:6543/referrals?sslmode=require"


def test_a_url_keeps_an_ipv6_host_and_may_carry_no_password():
    assert dbroles.with_credentials("postgresql://[::1]:5432/db", "u", None) == "postgresql://u@[::1]:5432/db"
    assert dbroles.with_credentials("postgresql://localhost/db", "u", "p") == "postgresql://u:p@localhost/db"


def test_a_url_shown_to_the_operator_has_no_password():
    assert dbroles.without_password("postgresql://postgres:s3cret@127.0.0.1:5432/referrals") == (
        "postgresql://postgres@127.0.0.1:5432/referrals")
    assert dbroles.without_password("postgresql://127.0.0.1:5432/referrals") == "postgresql://127.0.0.1:5432/referrals"


def test_database_name_and_plain_url():
    assert dbroles.database_name("postgresql://u:p@h:1/test_abc") == "test_abc"
    assert dbroles.plain_url("postgresql+asyncpg://u@h/d") == "postgresql://u@h/d"
    assert dbroles.plain_url("postgresql://u@h/d") == "postgresql://u@h/d"


def test_a_generated_password_is_long_random_and_accepted_by_the_services():
    passwords = {dbroles.new_password() for _ in range(20)}
    assert len(passwords) == 20
    assert all(len(p) >= 40 for p in passwords)
    for password in passwords:
        url = dbroles.with_credentials("postgresql://h:5432/referrals", "referrals_intake", password)
        settings = PlatformSettings(DATABASE_URL=url, KAFKA_BOOTSTRAP_SERVERS="k:9092",
                                    AUTH_SECRET=secrets.token_urlsafe(40), **EVENT_KEYS)
        assert unquote(urlsplit(settings.database_url).password) == password


def test_a_stored_password_is_its_owners_alone_and_the_same_ever_after(tmp_path):
    store = dbroles.password_store(tmp_path / "passwords")
    first = store("referrals_intake")
    path = tmp_path / "passwords" / "referrals_intake"
    assert path.read_text() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "passwords").stat().st_mode) == 0o700
    assert store("referrals_intake") == first
    assert dbroles.password_store(tmp_path / "passwords")("referrals_intake") == first
    assert store("referrals_triage") != first
    # Written under another name and linked into place: nothing else is left in the directory.
    assert sorted(p.name for p in (tmp_path / "passwords").iterdir()) == ["referrals_intake", "referrals_triage"]


def test_a_password_file_already_there_is_used_as_it_is(tmp_path):
    (tmp_path / "referrals_intake").write_text("chosen-by-the-operator\n")
    assert dbroles.read_or_create_secret(tmp_path / "referrals_intake") == "chosen-by-the-operator"


def test_derived_passwords_agree_for_one_server_and_differ_between_roles_and_servers():
    one = dbroles.derived_passwords("postgresql://admin:a@h:5432/postgres")
    again = dbroles.derived_passwords("postgresql://admin:a@h:5432/postgres")
    other = dbroles.derived_passwords("postgresql://admin:b@h:5432/postgres")
    assert one("referrals_intake") == again("referrals_intake")
    assert one("referrals_intake") != one("referrals_triage")
    assert one("referrals_intake") != other("referrals_intake")


def test_the_embedded_server_trusts_no_connection():
    rules = [line.split() for line in pg_hba_conf().splitlines() if line.strip() and not line.startswith("#")]
    assert rules == [
        ["local", "all", "all", "scram-sha-256"],
        ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"],
        ["host", "all", "all", "::1/128", "scram-sha-256"],
    ]
