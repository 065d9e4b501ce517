"""Intake: programmes, persons and matching, outreach, CSV batches, webhooks.

Revision ID: intake_0002
Revises: intake_0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    now = sa.func.now()
    op.create_table(
        "programmes",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("self_referral_open", sa.Boolean, nullable=False, server_default=sa.true()),
        schema=S,
    )
    op.create_table(
        "persons",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("nhs_number", sa.Text, unique=True),
        sa.Column("given_name_key", sa.Text, nullable=False),
        sa.Column("family_name_key", sa.Text, nullable=False),
        sa.Column("date_of_birth", sa.Date),
        sa.Column("postcode", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        schema=S,
    )
    op.create_index("ix_persons_dob", "persons", ["date_of_birth"], schema=S)
    op.create_index("ix_persons_family_postcode", "persons", ["family_name_key", "postcode"], schema=S)
    op.create_index("ix_persons_postcode", "persons", ["postcode"], schema=S)
    op.create_table(
        "match_reviews",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("candidate_person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("confidence", sa.Numeric(4, 3), nullable=False),
        sa.Column("reasons", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="open"),
        sa.Column("decision", sa.Text),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        schema=S,
    )
    op.create_table(
        "outreach_contacts",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("met_at", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("logged_by", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("referral_id", UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        schema=S,
    )
    op.create_table(
        "csv_mappings",
        sa.Column("partner_id", sa.Text, primary_key=True),
        sa.Column("mapping", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        schema=S,
    )
    op.create_table(
        "batches",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("partner_id", sa.Text, nullable=False),
        sa.Column("filename", sa.Text),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("report", JSONB),
        schema=S,
    )
    op.create_table(
        "webhooks",
        sa.Column("partner_id", sa.Text, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        schema=S,
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("partner_id", sa.Text, nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("body", JSONB, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("failed_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        schema=S,
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["next_attempt_at"], schema=S,
                    postgresql_where=sa.text("delivered_at IS NULL AND failed_at IS NULL"))
    for column in (
        sa.Column("channel", sa.Text, nullable=False, server_default="partner_api"),
        sa.Column("previous_referral_id", UUID(as_uuid=True)),
        sa.Column("duplicate_of", UUID(as_uuid=True)),
        sa.Column("match_method", sa.Text),
        sa.Column("match_confidence", sa.Numeric(4, 3)),
        sa.Column("self_reference", sa.Text, unique=True),
    ):
        op.add_column("referrals", column, schema=S)
    op.create_index("ix_referrals_person", "referrals", ["person_id"], schema=S)


def downgrade() -> None:
    op.drop_index("ix_referrals_person", "referrals", schema=S)
    for column in ("self_reference", "match_confidence", "match_method", "duplicate_of", "previous_referral_id",
                   "channel"):
        op.drop_column("referrals", column, schema=S)
    for table in ("webhook_deliveries", "webhooks", "batches", "csv_mappings", "outreach_contacts", "match_reviews",
                  "persons", "programmes"):
        op.drop_table(table, schema=S)
