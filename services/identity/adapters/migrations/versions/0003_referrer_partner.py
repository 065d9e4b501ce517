"""Identity: a referrer's account names the partner they work for (the token's `ptn`).

Revision ID: identity_0003
Revises: identity_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None
S = "identity"


def upgrade() -> None:
    op.add_column("accounts", sa.Column("partner_id", sa.Text, comment="a referrer's partner (intake's partner id)"),
                  schema=S)


def downgrade() -> None:
    op.drop_column("accounts", "partner_id", schema=S)
