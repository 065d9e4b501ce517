"""Outcomes: its dead letters, kept to be listed, replayed or discarded (shared/platform/messaging/dead_letter_archive.py).

Revision ID: outcomes_0006
Revises: outcomes_0005
"""
from alembic import op

from shared.platform.messaging.dead_letter_archive import create_dead_letter_tables, drop_dead_letter_tables

revision = "outcomes_0006"
down_revision = "outcomes_0005"
branch_labels = None
depends_on = None
S = "outcomes"


def upgrade() -> None:
    create_dead_letter_tables(op, S)


def downgrade() -> None:
    drop_dead_letter_tables(op, S)
