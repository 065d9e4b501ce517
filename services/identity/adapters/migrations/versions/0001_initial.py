"""Identity: staff accounts, their sign-in sessions, outbox, inbox.

Revision ID: identity_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from shared.platform.messaging.tables import create_messaging_tables
from shared.platform.sessions import TABLE, create_revoked_sessions_table

revision = "identity_0001"
down_revision = None
branch_labels = None
depends_on = None
S = "identity"


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("roles", ARRAY(sa.Text), nullable=False),
        sa.Column("programmes", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("sites", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("worker_id", UUID(as_uuid=True)),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "sessions",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", UUID(as_uuid=True), sa.ForeignKey(f"{S}.accounts.id"), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_reason", sa.Text),
        schema=S,
    )
    op.create_index("ix_sessions_account_id", "sessions", ["account_id"], schema=S)
    create_messaging_tables(op, S)
    create_revoked_sessions_table(op, S)


def downgrade() -> None:
    for table in (TABLE, "inbox", "outbox", "sessions", "accounts"):
        op.drop_table(table, schema=S)
