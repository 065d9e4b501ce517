"""Caseload: its data keys, one per person, sealing what staff write about them (issue 14).

Revision ID: caseload_0007
Revises: caseload_0006
"""
from alembic import op

from shared.platform.sealing_sql import TABLE, create_data_keys_table

revision = "caseload_0007"
down_revision = "caseload_0006"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    create_data_keys_table(op, S)


def downgrade() -> None:
    op.drop_table(TABLE, schema=S)
