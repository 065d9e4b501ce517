"""Caseload: the column comments its tables declare, written into the database (they were only in the code).

Revision ID: caseload_0004
Revises: caseload_0003
"""
from alembic import op

from shared.platform.migrations import comment_columns, uncomment_columns

revision = "caseload_0004"
down_revision = "caseload_0003"
branch_labels = None
depends_on = None
S = "caseload"

COMMENTS = [
    ('cases', 'needs', 'what matching uses: language, gender preference, home visits, area'),
    ('cases', 'traceparent', "W3C trace context the case was opened in (its referral's trace)"),
    ('offers', 'status', 'open | accepted | declined | expired'),
]


def upgrade() -> None:
    comment_columns(op, S, COMMENTS)


def downgrade() -> None:
    uncomment_columns(op, S, COMMENTS)
