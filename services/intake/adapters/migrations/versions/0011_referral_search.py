"""Intake: referral search keys, keyed blind indexes of each referral's names, NHS number and postcode
(services/intake/domain/search.py), so coordinators can find a referral without any of them in clear.

Referrals received before this migration have no keys yet: they are found by reference, partner and status.

Revision ID: intake_0011
Revises: intake_0010
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

revision = "intake_0011"
down_revision = "intake_0010"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.create_table(
        "referral_search_keys",
        sa.Column("referral_id", UUID(as_uuid=True), sa.ForeignKey(f"{S}.referrals.id"), primary_key=True),
        sa.Column("name_indexes", ARRAY(sa.Text), nullable=False,
                  comment="blind indexes of each form of the name: given, family, preferred, full"),
        sa.Column("nhs_number_index", sa.Text),
        sa.Column("postcode_index", sa.Text),
        schema=S,
    )
    op.create_index("ix_referral_search_keys_name_indexes", "referral_search_keys", ["name_indexes"], schema=S,
                    postgresql_using="gin")
    op.create_index("ix_referral_search_keys_nhs_number_index", "referral_search_keys", ["nhs_number_index"], schema=S)
    op.create_index("ix_referral_search_keys_postcode_index", "referral_search_keys", ["postcode_index"], schema=S)


def downgrade() -> None:
    op.drop_table("referral_search_keys", schema=S)
