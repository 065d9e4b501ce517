"""Triage: the column comments its tables declare, written into the database (they were only in the code).

Revision ID: triage_0003
Revises: triage_0002
"""
from alembic import op

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
    # Alembic writes COMMENT ON COLUMN (and quotes the text) for a comment-only alter_column.
    for table, column, comment in COMMENTS:
        op.alter_column(table, column, comment=comment, schema=S)


def downgrade() -> None:
    for table, column, comment in COMMENTS:
        op.alter_column(table, column, comment=None, existing_comment=comment, schema=S)
