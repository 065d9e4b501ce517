"""Intake: its copy of identity's revoked sign-in sessions (shared/platform/sessions.py).

Revision ID: intake_0006
Revises: intake_0005
"""
from alembic import op

from shared.platform.sessions import TABLE, create_revoked_sessions_table

revision = "intake_0006"
down_revision = "intake_0005"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    create_revoked_sessions_table(op, S)


def downgrade() -> None:
    op.drop_table(TABLE, schema=S)
