"""Outcomes: its copy of identity's revoked sign-in sessions (shared/platform/sessions.py).

Revision ID: outcomes_0003
Revises: outcomes_0002
"""
from alembic import op

from shared.platform.sessions import TABLE, create_revoked_sessions_table

revision = "outcomes_0003"
down_revision = "outcomes_0002"
branch_labels = None
depends_on = None
S = "outcomes"


def upgrade() -> None:
    create_revoked_sessions_table(op, S)


def downgrade() -> None:
    op.drop_table(TABLE, schema=S)
