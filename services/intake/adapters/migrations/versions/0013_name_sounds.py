"""Intake: what each word of a referral's names sounds like, as keyed blind indexes of phonetic keys
(services/intake/domain/name_sounds.py), so a coordinator typing "Jon Smyth" finds John Smith.

Existing rows are left NULL here: the keys need the people's sealed details and the blind-index key, so the
service gives them their sounds as it starts (index_earlier_referrals re-indexes rows whose sounds are NULL).

Revision ID: intake_0013
Revises: intake_0012
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "intake_0013"
down_revision = "intake_0012"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.add_column("referral_search_keys", sa.Column(
        "name_sound_indexes", ARRAY(sa.Text),
        comment="blind indexes of what each word of the names sounds like; NULL: not indexed yet"), schema=S)
    op.create_index("ix_referral_search_keys_name_sound_indexes", "referral_search_keys", ["name_sound_indexes"],
                    schema=S, postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_referral_search_keys_name_sound_indexes", "referral_search_keys", schema=S)
    op.drop_column("referral_search_keys", "name_sound_indexes", schema=S)
