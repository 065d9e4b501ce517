"""Outcomes: no MYCaW concerns kept (the person's words; caseload checks them against baseline now), and a
data_keys table whose tombstones record erased people (issue 14).

Revision ID: outcomes_0005
Revises: outcomes_0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.platform.sealing_sql import TABLE, create_data_keys_table

revision = "outcomes_0005"
down_revision = "outcomes_0004"
branch_labels = None
depends_on = None
S = "outcomes"


def upgrade() -> None:
    op.drop_column("measures", "concerns", schema=S)
    create_data_keys_table(op, S)


def downgrade() -> None:
    op.drop_table(TABLE, schema=S)
    op.add_column("measures", sa.Column("concerns", JSONB), schema=S)  # the words dropped are not restored
