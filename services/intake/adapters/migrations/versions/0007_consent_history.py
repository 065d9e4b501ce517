"""Intake: the person's consent as it stands on each referral, and its history (given with the referral,
then changed or withdrawn on their case).

Revision ID: intake_0007
Revises: intake_0006
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "intake_0007"
down_revision = "intake_0006"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.add_column("referrals", sa.Column("consent", JSONB, comment=(
        "the person's consent and contact wishes now (history: referral_consents)")), schema=S)
    op.create_table(
        "referral_consents",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), sa.ForeignKey(f"{S}.referrals.id"), nullable=False),
        sa.Column("consent", JSONB, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text, nullable=False, comment="referral | case"),
        sa.Column("reported_by", sa.Text, nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True)),
        sa.Column("event_id", UUID(as_uuid=True)),
        schema=S,
    )
    op.create_index("ix_referral_consents_referral_id", "referral_consents", ["referral_id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_referral_consents_referral_id", "referral_consents", schema=S)
    op.drop_table("referral_consents", schema=S)
    op.drop_column("referrals", "consent", schema=S)
