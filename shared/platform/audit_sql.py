"""The audit trail in PostgreSQL: its table, the trigger that keeps it append-only, and the adapter.

Every service's trail has the same columns (`audit_trail_table`) in its own schema. The database refuses to
update, delete or truncate an entry, even for the service's own role (`append_only_trigger`), and the hash
chain shows tampering by anyone who got round that (a superuser disabling the trigger).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.platform.audit import GENESIS, AuditEntry, AuditTrail

# An advisory lock for appending to a trail: each entry is chained to the one before, so two transactions
# must not both read the same "last hash". Held to the end of the appending transaction; one per trail (the
# second key is the table's name), so one service's readers never wait on another's.
AUDIT_APPEND_LOCK = 0x61756469  # "audi"


def audit_trail_table(metadata: sa.MetaData, schema: str | None = None, name: str = "audit_trail") -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("roles", ARRAY(sa.Text), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("referral_id", UUID(as_uuid=True)),
        sa.Column("case_id", UUID(as_uuid=True)),
        sa.Column("fields", ARRAY(sa.Text), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.LargeBinary, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        sa.Index(f"ix_{name}_person", "person_id"),
        sa.Index(f"ix_{name}_actor", "actor"),
        schema=schema,
    )


def append_only_trigger(schema: str, table: str = "audit_trail") -> list[str]:
    """The statements (for a migration) that make `schema.table` refuse UPDATE, DELETE and TRUNCATE."""
    return [f"""
        CREATE FUNCTION {schema}.{table}_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$""", f"""
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {schema}.{table}
        FOR EACH STATEMENT EXECUTE FUNCTION {schema}.{table}_is_append_only()"""]


def drop_append_only_trigger(schema: str, table: str = "audit_trail") -> list[str]:
    return [f"DROP TRIGGER {table}_append_only ON {schema}.{table}",
            f"DROP FUNCTION {schema}.{table}_is_append_only()"]


def create_audit_trail(op, schema: str) -> None:
    """Used by each service's migration that adds its trail: the table, its indexes and the trigger."""
    audit_trail_table(sa.MetaData(), schema).create(op.get_bind(), checkfirst=True)
    for statement in append_only_trigger(schema):
        op.execute(statement)


def drop_audit_trail(op, schema: str) -> None:
    for statement in drop_append_only_trigger(schema):
        op.execute(statement)
    op.drop_table("audit_trail", schema=schema)


class SqlAuditTrail(AuditTrail):
    def __init__(self, conn: AsyncConnection, table: sa.Table) -> None:
        self._conn = conn
        self._table = table

    async def append(self, entry: AuditEntry) -> None:
        a = self._table
        await self._conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
            AUDIT_APPEND_LOCK, sa.func.hashtext(a.fullname))))
        last = (await self._conn.execute(sa.select(a.c.hash).order_by(a.c.seq.desc()).limit(1))).scalar()
        previous = last or GENESIS
        await self._conn.execute(sa.insert(a).values(
            at=entry.at, actor=entry.actor, roles=list(entry.roles), action=entry.action, person_id=entry.person_id,
            referral_id=entry.referral_id, case_id=entry.case_id, fields=list(entry.fields), purpose=entry.purpose,
            prev_hash=previous, hash=entry.chained_to(previous)))

    async def entries(self, *, person_id: uuid.UUID | None = None, actor: str | None = None,
                      since: datetime | None = None, until: datetime | None = None,
                      limit: int = 500, after: int | None = None) -> list[AuditEntry]:
        a = self._table
        query = sa.select(a).order_by(a.c.seq)
        if person_id is not None:
            query = query.where(a.c.person_id == person_id)
        if actor is not None:
            query = query.where(a.c.actor == actor)
        if since is not None:
            query = query.where(a.c.at >= since)
        if until is not None:
            query = query.where(a.c.at < until)
        if after is not None:
            query = query.where(a.c.seq > after)
        return [_entry(r) for r in await self._conn.execute(query.limit(limit))]

    async def chain(self) -> list[tuple[AuditEntry, bytes, bytes]]:
        a = self._table
        rows = await self._conn.execute(sa.select(a).order_by(a.c.seq))
        return [(_entry(r), bytes(r.prev_hash), bytes(r.hash)) for r in rows]


def _entry(row) -> AuditEntry:
    return AuditEntry(at=row.at, actor=row.actor, roles=tuple(row.roles), action=row.action, person_id=row.person_id,
                      fields=tuple(row.fields), purpose=row.purpose, referral_id=row.referral_id,
                      case_id=row.case_id, seq=row.seq)
