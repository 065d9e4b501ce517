"""Caseload: the person's consent and contact wishes on each case, as referred and as they stand now.

Revision ID: caseload_0006
Revises: caseload_0005
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "caseload_0006"
down_revision = "caseload_0005"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    op.add_column("cases", sa.Column("consent_at_referral", JSONB,
                                     comment="consent and contact wishes as the referral gave them"), schema=S)
    op.add_column("cases", sa.Column("consent", JSONB, comment=(
        "consent and contact wishes now (case.consent_changed events: history)")), schema=S)


def downgrade() -> None:
    op.drop_column("cases", "consent", schema=S)
    op.drop_column("cases", "consent_at_referral", schema=S)
