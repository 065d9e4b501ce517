"""Intake: the registry's contact record, who holds each case, and the audit trail of personal data.

- referrals.contact: how to reach the person safely, why they were referred and by whom (what the
  connector holding the case reads).
- case_holders: who holds each case now, from caseload's events, so the registry lets that worker alone
  read the person.
- audit_trail: every read and change of personal data, each entry chained to the one before by a hash.
  The database itself refuses to update or delete an entry (a trigger), so the trail is append-only
  even for the service's own role; the hash chain shows tampering by anyone who got round that.

Revision ID: intake_0005
Revises: intake_0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "intake_0005"
down_revision = "intake_0004"
branch_labels = None
depends_on = None
S = "intake"


def upgrade() -> None:
    op.add_column("referrals", sa.Column("contact", JSONB, comment="how to reach the person safely, why they "
                                                                  "were referred and by whom"), schema=S)
    op.create_table(
        "case_holders",
        sa.Column("case_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("referral_id", UUID(as_uuid=True), nullable=False),
        sa.Column("programme_id", sa.Text, nullable=False),
        sa.Column("worker_id", UUID(as_uuid=True), comment="the worker holding the case now; none while it waits"),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=S,
    )
    op.create_table(
        "audit_trail",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("roles", ARRAY(sa.Text), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("person_id", UUID(as_uuid=True), nullable=False),
        sa.Column("referral_id", UUID(as_uuid=True)),
        sa.Column("case_id", UUID(as_uuid=True)),
        sa.Column("fields", ARRAY(sa.Text), nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.LargeBinary, nullable=False),
        sa.Column("hash", sa.LargeBinary, nullable=False),
        schema=S,
    )
    op.create_index("ix_audit_trail_person", "audit_trail", ["person_id"], schema=S)
    op.create_index("ix_audit_trail_actor", "audit_trail", ["actor"], schema=S)
    op.execute(f"""
        CREATE FUNCTION {S}.audit_trail_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$""")
    op.execute(f"""
        CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {S}.audit_trail
        FOR EACH STATEMENT EXECUTE FUNCTION {S}.audit_trail_is_append_only()""")


def downgrade() -> None:
    op.execute(f"DROP TRIGGER audit_trail_append_only ON {S}.audit_trail")
    op.execute(f"DROP FUNCTION {S}.audit_trail_is_append_only()")
    op.drop_table("audit_trail", schema=S)
    op.drop_table("case_holders", schema=S)
    op.drop_column("referrals", "contact", schema=S)
