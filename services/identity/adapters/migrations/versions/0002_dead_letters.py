"""Identity: its dead letters, kept to be listed, replayed or discarded (shared/platform/messaging/dead_letter_archive.py).

Revision ID: identity_0002
Revises: identity_0001
"""
from alembic import op

from shared.platform.messaging.dead_letter_archive import create_dead_letter_tables, drop_dead_letter_tables

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None
S = "identity"


def upgrade() -> None:
    create_dead_letter_tables(op, S)


def downgrade() -> None:
    drop_dead_letter_tables(op, S)
