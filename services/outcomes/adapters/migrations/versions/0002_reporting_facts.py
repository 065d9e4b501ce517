"""Outcomes: facts for reports, scored measures, signposts, unmet needs.

Revision ID: outcomes_0002
Revises: outcomes_0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "outcomes_0002"
down_revision = "outcomes_0001"
branch_labels = None
depends_on = None
S = "outcomes"


def upgrade() -> None:
    # The walking skeleton's UCLA-only tables give way to scored measures of every instrument.
    op.drop_table("case_outcomes", schema=S)
    op.drop_table("measure_scores", schema=S)
    op.create_table(
        "referral_facts",
        sa.Column("referral_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("partner_id", sa.Text, nullable=False),
        sa.Column("source_category", sa.Text),
        sa.Column("source_subcategory", sa.Text),
        sa.Column("age_band", sa.Text),
        sa.Column("gender", sa.Text),
        sa.Column("trigger_groups", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("postcode_district", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision", sa.Text),
        sa.Column("decision_reason", sa.Text),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_table(
        "case_facts",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("worker_id", UUID(as_uuid=True)),
        sa.Column("worker_role", sa.Text),
        sa.Column("opened_at", sa.DateTime(timezone=True)),
        sa.Column("assigned_at", sa.DateTime(timezone=True)),
        sa.Column("first_contact_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closure_reason", sa.Text),
        sa.Column("contacts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("contact_minutes", sa.Integer, nullable=False, server_default="0"),
        schema=S,
    )
    op.create_table(
        "measures",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("instrument", sa.Text, primary_key=True),
        sa.Column("timepoint", sa.Text, primary_key=True),
        sa.Column("instrument_version", sa.Text, nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("worker_id", UUID(as_uuid=True)),
        sa.Column("items", JSONB),
        sa.Column("concerns", JSONB),
        sa.Column("score", sa.Numeric(8, 3)),
        sa.Column("category", sa.Text),
        sa.Column("subscores", JSONB),
        sa.Column("not_collected_reason", sa.Text),
        sa.Column("invalid_reason", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "signposts",
        sa.Column("signpost_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("category", sa.Text),
        sa.Column("taken_up", sa.Boolean),
        schema=S,
    )
    op.create_table(
        "unmet_needs",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("need", sa.Text, nullable=False),
        sa.Column("postcode_district", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_index("ix_referral_facts_programme_received", "referral_facts", ["programme_id", "received_at"], schema=S)
    op.create_index("ix_case_facts_programme_closed", "case_facts", ["programme_id", "closed_at"], schema=S)
    op.create_index("ix_case_facts_referral", "case_facts", ["referral_id"], schema=S)
    op.create_index("ix_measures_programme_instrument", "measures", ["programme_id", "instrument", "timepoint"],
                    schema=S)


def downgrade() -> None:
    for table in ("unmet_needs", "signposts", "measures", "case_facts", "referral_facts"):
        op.drop_table(table, schema=S)
