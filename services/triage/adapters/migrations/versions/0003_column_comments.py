"""Triage: the column comments its tables declare, written into the database (they were only in the code).

Revision ID: triage_0003
Revises: triage_0002
"""
from alembic import op

from shared.platform.migrations import comment_columns, uncomment_columns

revision = "triage_0003"
down_revision = "triage_0002"
branch_labels = None
depends_on = None
S = "triage"

COMMENTS = [
    ('decisions', 'facts', 'non-identifying facts the rules used'),
    ('decisions', 'event', 'the triage.decided payload last emitted'),
    ('rulesets', 'status', 'draft | published'),
]


def upgrade() -> None:
    comment_columns(op, S, COMMENTS)


def downgrade() -> None:
    uncomment_columns(op, S, COMMENTS)
