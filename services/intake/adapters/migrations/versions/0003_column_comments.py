"""Intake: the column comments its tables declare, written into the database (they were only in the code).

Revision ID: intake_0003
Revises: intake_0002
"""
from alembic import op

from shared.platform.migrations import comment_columns, uncomment_columns

revision = "intake_0003"
down_revision = "intake_0002"
branch_labels = None
depends_on = None
S = "intake"

COMMENTS = [
    ('referrals', 'self_reference', 'short reference a self-referrer can quote'),
    ('match_reviews', 'person_id', 'the person the referral was filed under'),
    ('outreach_contacts', 'details', 'whatever the person chose to share; may be nothing'),
    ('webhooks', 'secret', 'HMAC key the partner verifies signatures with'),
]


def upgrade() -> None:
    comment_columns(op, S, COMMENTS)


def downgrade() -> None:
    uncomment_columns(op, S, COMMENTS)
