"""Caseload: its dead letters, kept to be listed, replayed or discarded (shared/platform/messaging/dead_letter_archive.py).

Revision ID: caseload_0008
Revises: caseload_0007
"""
from alembic import op

from shared.platform.messaging.dead_letter_archive import create_dead_letter_tables, drop_dead_letter_tables

revision = "caseload_0008"
down_revision = "caseload_0007"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    create_dead_letter_tables(op, S)


def downgrade() -> None:
    drop_dead_letter_tables(op, S)
