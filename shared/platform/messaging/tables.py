"""Outbox and inbox tables; each service has its own pair in its own schema."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID


def outbox_table(metadata: sa.MetaData, schema: str) -> sa.Table:
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("position", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False, comment="base topic name, without deployment prefix"),
        sa.Column("message_key", sa.Text, nullable=False, comment="aggregate id"),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("published_epoch", sa.Text, comment="broker epoch the event was last published to"),
        sa.Index("ix_outbox_unpublished", "position", postgresql_where=sa.text("published_at IS NULL")),
        schema=schema,
    )


def inbox_table(metadata: sa.MetaData, schema: str) -> sa.Table:
    return sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )


def create_messaging_tables(op, schema: str) -> None:
    """Used by each service's first Alembic migration."""
    metadata = sa.MetaData()
    for table in (outbox_table(metadata, schema), inbox_table(metadata, schema)):
        table.create(op.get_bind(), checkfirst=True)
