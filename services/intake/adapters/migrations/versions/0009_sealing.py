"""Intake: sealed personal data. A data_keys table (wrapped data keys, tombstones once destroyed), the
batch a raw submission came in (so erasing a person destroys the key of the file their row was in),
indexes erasure looks submissions up by, and persons' match keys sealed with keyed blind indexes of what
candidates are searched by (the clear name keys become optional: new rows leave them empty).

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
BLIND_INDEXES = ("nhs_number_index", "family_name_index", "date_of_birth_index", "postcode_index")


def upgrade() -> None:
    create_data_keys_table(op, S)
    op.add_column("submissions", sa.Column("batch_id", UUID(as_uuid=True),
                                           comment="the CSV batch the row came in (intake_0009)"), schema=S)
    op.create_index("ix_submissions_referral_id", "submissions", ["referral_id"], schema=S)
    op.create_index("ix_submissions_batch_id", "submissions", ["batch_id"], schema=S)
    op.alter_column("persons", "given_name_key", nullable=True, schema=S,
                    comment="in clear only on rows from before intake_0009")
    op.alter_column("persons", "family_name_key", nullable=True, schema=S,
                    comment="in clear only on rows from before intake_0009")
    op.add_column("persons", sa.Column("sealed_key", sa.Text,
                                       comment="what matching compares, sealed under the person's data key"), schema=S)
    for column in BLIND_INDEXES:
        op.add_column("persons", sa.Column(column, sa.Text), schema=S)
        op.create_index(f"ix_persons_{column}", "persons", [column], schema=S)


def downgrade() -> None:
    for column in BLIND_INDEXES:
        op.drop_index(f"ix_persons_{column}", "persons", schema=S)
        op.drop_column("persons", column, schema=S)
    op.drop_column("persons", "sealed_key", schema=S)
    op.drop_index("ix_submissions_batch_id", "submissions", schema=S)
    op.drop_index("ix_submissions_referral_id", "submissions", schema=S)
    op.drop_column("submissions", "batch_id", schema=S)
    op.drop_table("data_keys", schema=S)
