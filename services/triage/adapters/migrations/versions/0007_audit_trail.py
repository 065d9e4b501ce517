"""Triage: the audit trail of the staff notes it seals (shared/platform/audit.py): every opening and writing of
them, who, which fields, for which case; hash-chained, and append-only by a trigger (shared/platform/audit_sql.py).

Revision ID: triage_0007
Revises: triage_0006
"""
from alembic import op

from shared.platform.audit_sql import create_audit_trail, drop_audit_trail

revision = "triage_0007"
down_revision = "triage_0006"
branch_labels = None
depends_on = None
S = "triage"


def upgrade() -> None:
    create_audit_trail(op, S)


def downgrade() -> None:
    drop_audit_trail(op, S)
