"""Caseload: the audit trail of the staff notes it seals (shared/platform/audit.py): every opening and writing of
them, who, which fields, for which case; hash-chained, and append-only by a trigger (shared/platform/audit_sql.py).

Revision ID: caseload_0009
Revises: caseload_0008
"""
from alembic import op

from shared.platform.audit_sql import create_audit_trail, drop_audit_trail

revision = "caseload_0009"
down_revision = "caseload_0008"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    create_audit_trail(op, S)


def downgrade() -> None:
    drop_audit_trail(op, S)
