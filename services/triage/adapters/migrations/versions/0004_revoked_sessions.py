"""Triage: its copy of identity's revoked sign-in sessions (shared/platform/sessions.py).

Revision ID: triage_0004
Revises: triage_0003
"""
from alembic import op

from shared.platform.sessions import TABLE, create_revoked_sessions_table

revision = "triage_0004"
down_revision = "triage_0003"
branch_labels = None
depends_on = None
S = "triage"


def upgrade() -> None:
    create_revoked_sessions_table(op, S)


def downgrade() -> None:
    op.drop_table(TABLE, schema=S)
