"""Triage: its data keys, one per person, sealing reviewers' notes about them (issue 14).

Revision ID: triage_0005
Revises: triage_0004
"""
from alembic import op

from shared.platform.sealing_sql import TABLE, create_data_keys_table

revision = "triage_0005"
down_revision = "triage_0004"
branch_labels = None
depends_on = None
S = "triage"


def upgrade() -> None:
    create_data_keys_table(op, S)


def downgrade() -> None:
    op.drop_table(TABLE, schema=S)
