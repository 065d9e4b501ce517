"""Each service's migrations, applied to head, build exactly the tables its code declares.

Alembic's autogenerate comparison is the check: a column, index, constraint or
table added to `adapters/tables.py` without a migration (or the other way round)
shows up as a difference and fails here, before a deployment finds it.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.platform.db import make_engine
from shared.platform.migrations import upgrade_to_head

pytestmark = pytest.mark.integration

SERVICES = ["intake", "triage", "caseload", "outcomes", "identity"]
ROOT = Path(__file__).resolve().parents[2]


def _differences(sync_conn, metadata, schema: str) -> list:
    context = MigrationContext.configure(
        sync_conn,
        opts={
            "include_schemas": True,
            "compare_type": True,
            "compare_server_default": False,
            # Only this service's schema: the version table and other services' schemas are not its tables.
            "include_name": lambda name, type_, parent: (
                name == schema if type_ == "schema" else name != "alembic_version"
            ),
        },
    )
    return compare_metadata(context, metadata)


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_at_head_equal_the_tables(infrastructure, service):
    tables = importlib.import_module(f"services.{service}.adapters.tables")
    database_url = await infrastructure.create_database(f"drift_{service}")
    await upgrade_to_head(ROOT / "services" / service / "adapters" / "migrations", database_url, tables.SCHEMA)
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences, tables.metadata, tables.SCHEMA)
    finally:
        await engine.dispose()
    assert differences == [], f"{service}: migrations and tables differ: {differences}"


async def test_the_comparison_notices_a_table_the_migrations_lack(infrastructure):
    # The check itself must be able to fail: a table declared in code with no migration is reported.
    import sqlalchemy as sa

    tables = importlib.import_module("services.outcomes.adapters.tables")
    database_url = await infrastructure.create_database("drift_probe")
    await upgrade_to_head(ROOT / "services" / "outcomes" / "adapters" / "migrations", database_url, tables.SCHEMA)
    extended = sa.MetaData(schema=tables.SCHEMA)
    for table in tables.metadata.tables.values():
        table.to_metadata(extended)
    sa.Table("not_migrated", extended, sa.Column("id", sa.Integer, primary_key=True))
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences, extended, tables.SCHEMA)
    finally:
        await engine.dispose()
    assert [(d[0], d[1].name) for d in differences] == [("add_table", "not_migrated")]
