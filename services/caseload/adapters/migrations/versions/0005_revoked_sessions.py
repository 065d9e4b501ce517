"""Caseload: its copy of identity's revoked sign-in sessions (shared/platform/sessions.py).

Revision ID: caseload_0005
Revises: caseload_0004
"""
from alembic import op

from shared.platform.sessions import TABLE, create_revoked_sessions_table

revision = "caseload_0005"
down_revision = "caseload_0004"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    create_revoked_sessions_table(op, S)


def downgrade() -> None:
    op.drop_table(TABLE, schema=S)
