"""Intake: its dead letters, kept to be listed, replayed or discarded (shared/platform/messaging/dead_letter_archive.py).

Revision ID: intake_0010
Revises: intake_0009
"""
from alembic import op

from shared.platform.messaging.dead_letter_archive import create_dead_letter_tables, drop_dead_letter_tables

revision = "intake_0010"
down_revision = "intake_0009"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    create_dead_letter_tables(op, S)


def downgrade() -> None:
    drop_dead_letter_tables(op, S)
