"""Intake: sealed personal data. A data_keys table (wrapped data keys, tombstones once destroyed), the
batch a raw submission came in (so erasing a person destroys the key of the file their row was in), and
indexes erasure looks submissions up by.

Rows written before this migration stay as they were (readers accept them); new ones are sealed.

Revision ID: intake_0009
Revises: intake_0008
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from shared.platform.sealing_sql import create_data_keys_table

revision = "intake_0009"
down_revision = "intake_0008"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    create_data_keys_table(op, S)
    op.add_column("submissions", sa.Column("batch_id", UUID(as_uuid=True),
                                           comment="the CSV batch the row came in (intake_0009)"), schema=S)
    op.create_index("ix_submissions_referral_id", "submissions", ["referral_id"], schema=S)
    op.create_index("ix_submissions_batch_id", "submissions", ["batch_id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_submissions_batch_id", "submissions", schema=S)
    op.drop_index("ix_submissions_referral_id", "submissions", schema=S)
    op.drop_column("submissions", "batch_id", schema=S)
    op.drop_table("data_keys", schema=S)
