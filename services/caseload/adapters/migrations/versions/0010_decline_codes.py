"""Caseload: a declined offer's reason code, kept in the clear beside its sealed note so coordinators can count
why offers are declined (GET /v1/reports/offer-declines), and an index for that report's window of answers.

Revision ID: caseload_0010
Revises: caseload_0009
"""
import sqlalchemy as sa
from alembic import op

revision = "caseload_0010"
down_revision = "caseload_0009"
branch_labels = None
depends_on = None
S = "caseload"


def upgrade() -> None:
    op.add_column("offers", sa.Column("response_code", sa.Text, comment=(
        "a decline's reason code (DeclineReason); null for a note alone")), schema=S)
    op.create_index("ix_offers_answered", "offers", ["responded_at"], schema=S,
                    postgresql_where=sa.text("status IN ('declined', 'expired')"))


def downgrade() -> None:
    op.drop_index("ix_offers_answered", table_name="offers", schema=S)
    op.drop_column("offers", "response_code", schema=S)
