"""The data-key store in PostgreSQL: one `data_keys` table in each service's own schema.

Destroying a key keeps a tombstone (subject, destroyed_at, no key), so a late event about an erased person
can never mint a fresh key and store their details readable again.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.platform.sealing import KeyDestroyed

TABLE = "data_keys"


def data_keys_table(metadata: sa.MetaData, schema: str) -> sa.Table:
    return sa.Table(
        TABLE, metadata,
        sa.Column("subject", sa.Text, primary_key=True, comment="pseudonymous key name: a person or submission id"),
        sa.Column("wrapped_key", sa.LargeBinary, comment="the data key, encrypted under the key-encryption key; "
                                                         "NULL once destroyed"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("destroyed_at", sa.DateTime(timezone=True)),
        schema=schema,
    )


def create_data_keys_table(op, schema: str) -> None:
    """For a service's Alembic migration."""
    data_keys_table(sa.MetaData(), schema).create(op.get_bind(), checkfirst=True)


class SqlDataKeyStore:
    """Bound to the caller's connection, so a key is created in the same transaction as what it seals."""

    def __init__(self, conn: AsyncConnection, table: sa.Table) -> None:
        self._conn = conn
        self._t = table

    async def get(self, subject: str) -> bytes | None:
        return (await self._conn.execute(
            sa.select(self._t.c.wrapped_key).where(self._t.c.subject == subject))).scalar_one_or_none()

    async def add(self, subject: str, wrapped: bytes) -> bytes:
        await self._conn.execute(insert(self._t).values(subject=subject, wrapped_key=wrapped)
                                 .on_conflict_do_nothing(index_elements=["subject"]))
        stored = (await self._conn.execute(
            sa.select(self._t.c.wrapped_key).where(self._t.c.subject == subject))).scalar_one()
        if stored is None:
            raise KeyDestroyed(subject)
        return stored

    async def destroy(self, subject: str) -> bool:
        t = self._t
        had = (await self._conn.execute(
            sa.update(t).where(t.c.subject == subject, t.c.wrapped_key.is_not(None))
            .values(wrapped_key=None, destroyed_at=sa.func.now()))).rowcount
        # A tombstone even for a subject that never had a key, so none can be made for it later.
        await self._conn.execute(insert(t).values(subject=subject, wrapped_key=None, destroyed_at=sa.func.now())
                                 .on_conflict_do_nothing(index_elements=["subject"]))
        return bool(had)

    async def destroyed(self, subject: str) -> bool:
        t = self._t
        return (await self._conn.execute(sa.select(t.c.destroyed_at.is_not(None)).where(t.c.subject == subject))
                ).scalar_one_or_none() is True
