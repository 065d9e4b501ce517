"""Intake: what person linkage and trusted intake need.

- persons: the age a referral stated (and on which day), for matching when there is no date of
  birth; the NHS number is no longer unique, since a number whose demographics contradict it is a
  person's review, not a link, and the referral is filed under a person of its own meanwhile.
- referrals: a digest of the canonical submission, so a reused idempotency key with another body
  is told apart from a retry.
- partners: whether the partner attests the person's consent to referral (NHS messages that carry
  no Consent resource).

Revision ID: intake_0004
Revises: intake_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "intake_0004"
down_revision = "intake_0003"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.add_column("persons", sa.Column("stated_age", sa.Integer), schema=S)
    op.add_column("persons", sa.Column("stated_age_on", sa.Date, comment="the day the stated age was true"),
                  schema=S)
    op.drop_constraint("persons_nhs_number_key", "persons", schema=S)
    op.create_index("ix_persons_nhs_number", "persons", ["nhs_number"], schema=S)
    op.add_column("referrals", sa.Column("submission_sha256", sa.Text,
                                         comment="digest of the canonical submission: a retry has the same"),
                  schema=S)
    op.add_column("partners", sa.Column("attests_consent", sa.Boolean, nullable=False, server_default=sa.false(),
                                        comment="the partner attests consent when a message carries none"),
                  schema=S)


def downgrade() -> None:
    op.drop_column("partners", "attests_consent", schema=S)
    op.drop_column("referrals", "submission_sha256", schema=S)
    op.drop_index("ix_persons_nhs_number", "persons", schema=S)
    op.create_unique_constraint("persons_nhs_number_key", "persons", ["nhs_number"], schema=S)
    op.drop_column("persons", "stated_age_on", schema=S)
    op.drop_column("persons", "stated_age", schema=S)
