"""Alembic, applied at service start, one schema (and version table) per service.

Several replicas may start together, so the upgrade runs under a PostgreSQL
advisory lock: the first applies the migrations, the others find them applied.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext  # noqa: F401  (documented API used by env.py)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .settings import asyncpg_url


def alembic_config(script_location: Path, database_url: str, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", asyncpg_url(database_url).replace("%", "%%"))
    config.attributes["service_schema"] = schema
    return config


async def upgrade_to_head(script_location: Path, database_url: str, schema: str) -> None:
    engine = create_async_engine(asyncpg_url(database_url), pool_size=1)
    lock_key = zlib.crc32(f"migrations:{schema}".encode())
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key})
            try:
                # Looked up first: a service role owns its (provisioned) schema but may not create
                # schemas, and CREATE SCHEMA IF NOT EXISTS checks that privilege before it looks.
                exists = (await conn.execute(
                    text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": schema}
                )).scalar()
                if not exists:
                    await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                await conn.commit()

                def _upgrade(sync_conn) -> None:
                    config = alembic_config(script_location, database_url, schema)
                    config.attributes["connection"] = sync_conn
                    command.upgrade(config, "head")

                await conn.run_sync(_upgrade)
                await conn.commit()
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key})
                await conn.commit()
    finally:
        await engine.dispose()


def run_env(context_module, target_metadata) -> None:
    """Body of every service's alembic env.py: migrate on the connection handed in."""
    config = context_module.config
    schema = config.attributes["service_schema"]
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through shared.platform.migrations.upgrade_to_head")
    context_module.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table_schema=schema,
        include_schemas=True,
    )
    with context_module.begin_transaction():
        context_module.run_migrations()



def comment_columns(op, schema: str, comments: list[tuple[str, str, str]]) -> None:
    """Write (table, column, comment) triples into the database; Alembic quotes the text."""
    for table, column, comment in comments:
        op.alter_column(table, column, comment=comment, schema=schema)


def uncomment_columns(op, schema: str, comments: list[tuple[str, str, str]]) -> None:
    for table, column, comment in comments:
        op.alter_column(table, column, comment=None, existing_comment=comment, schema=schema)
