"""Intake repositories: the only code that knows intake's tables."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.domain.matching import MatchResult, PersonKey
from services.intake.domain.records import Partner, StoredReferral

from . import tables as t


class PartnerRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, partner: Partner) -> None:
        await self.conn.execute(
            sa.insert(t.partners).values(
                id=partner.id, name=partner.name, allowed_programmes=list(partner.allowed_programmes)
            )
        )

    async def get(self, partner_id: str) -> Partner | None:
        row = (await self.conn.execute(sa.select(t.partners).where(t.partners.c.id == partner_id))).first()
        return Partner(row.id, row.name, tuple(row.allowed_programmes)) if row else None

    async def add_key(self, partner_id: str, key_id: str, secret_hash: str) -> None:
        await self.conn.execute(
            sa.insert(t.partner_api_keys).values(key_id=key_id, partner_id=partner_id, secret_hash=secret_hash)
        )

    async def key(self, key_id: str) -> tuple[str, str] | None:
        row = (
            await self.conn.execute(
                sa.select(t.partner_api_keys.c.partner_id, t.partner_api_keys.c.secret_hash).where(
                    t.partner_api_keys.c.key_id == key_id, t.partner_api_keys.c.revoked_at.is_(None)
                )
            )
        ).first()
        return (row.partner_id, row.secret_hash) if row else None


class ReferralRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def record_submission(
        self,
        *,
        submission_id: uuid.UUID,
        partner_id: str | None,
        channel: str,
        body: bytes,
        outcome: str,
        errors: list[dict[str, Any]] | None,
        referral_id: uuid.UUID | None,
        correlation_id: uuid.UUID,
    ) -> None:
        if errors is not None:
            # PostgreSQL's jsonb cannot hold NUL characters, which hostile input can put in field names.
            errors = json.loads(json.dumps(errors).replace("\\u0000", "\\ufffd"))
        await self.conn.execute(
            sa.insert(t.submissions).values(
                id=submission_id,
                partner_id=partner_id,
                channel=channel,
                body=body,
                outcome=outcome,
                errors=errors,
                referral_id=referral_id,
                correlation_id=correlation_id,
            )
        )

    async def by_partner_reference(self, partner_id: str, partner_referral_id: str) -> StoredReferral | None:
        row = (
            await self.conn.execute(
                sa.select(t.referrals).where(
                    t.referrals.c.partner_id == partner_id, t.referrals.c.partner_referral_id == partner_referral_id
                )
            )
        ).first()
        return _referral(row) if row else None

    async def get(self, referral_id: uuid.UUID, *, for_update: bool = False) -> StoredReferral | None:
        query = sa.select(t.referrals).where(t.referrals.c.id == referral_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return _referral(row) if row else None

    async def add(
        self, referral: StoredReferral, person: dict[str, Any], match_method: str | None = None,
        match_confidence: float | None = None,
    ) -> None:
        await self.conn.execute(
            sa.insert(t.referrals).values(
                channel=referral.channel,
                duplicate_of=referral.duplicate_of,
                previous_referral_id=referral.previous_referral_id,
                self_reference=referral.self_reference,
                match_method=match_method,
                match_confidence=match_confidence,
                id=referral.id,
                person_id=referral.person_id,
                partner_id=referral.partner_id,
                partner_referral_id=referral.partner_referral_id,
                programme_id=referral.programme_id,
                status=referral.status,
                person=person,
                received_at=referral.received_at,
                correlation_id=referral.correlation_id,
            )
        )

    async def for_person(self, person_id: uuid.UUID, programme_id: str) -> list[StoredReferral]:
        """The person's referrals to a programme, oldest first."""
        rows = await self.conn.execute(
            sa.select(t.referrals)
            .where(t.referrals.c.person_id == person_id, t.referrals.c.programme_id == programme_id)
            .order_by(t.referrals.c.received_at)
        )
        return [_referral(r) for r in rows]

    async def linked_duplicates(self, referral_id: uuid.UUID) -> list[StoredReferral]:
        rows = await self.conn.execute(
            sa.select(t.referrals).where(t.referrals.c.duplicate_of == referral_id).with_for_update()
        )
        return [_referral(r) for r in rows]

    async def by_self_reference(self, reference: str) -> tuple[StoredReferral, dict[str, Any]] | None:
        row = (await self.conn.execute(sa.select(t.referrals).where(t.referrals.c.self_reference == reference))).first()
        return (_referral(row), row.person) if row else None

    async def link_outreach(self, outreach_id: uuid.UUID, referral_id: uuid.UUID) -> None:
        await self.conn.execute(
            sa.update(t.outreach_contacts).where(t.outreach_contacts.c.id == outreach_id).values(referral_id=referral_id)
        )

    async def set_status(self, referral_id: uuid.UUID, status: str) -> None:
        await self.conn.execute(sa.update(t.referrals).where(t.referrals.c.id == referral_id).values(status=status))

    async def add_to_timeline(
        self, referral_id: uuid.UUID, status: str, at: datetime, reason: str | None, event_id: uuid.UUID | None
    ) -> None:
        await self.conn.execute(
            sa.insert(t.referral_timeline).values(
                referral_id=referral_id, status=status, at=at, reason=reason, event_id=event_id
            )
        )

    async def latest_event_time(self, referral_id: uuid.UUID) -> datetime | None:
        return (
            await self.conn.execute(
                sa.select(sa.func.max(t.referral_timeline.c.at)).where(t.referral_timeline.c.referral_id == referral_id)
            )
        ).scalar()

    async def timeline(self, referral_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self.conn.execute(
            sa.select(t.referral_timeline.c.status, t.referral_timeline.c.reason, t.referral_timeline.c.at)
            .where(t.referral_timeline.c.referral_id == referral_id)
            .order_by(t.referral_timeline.c.at, t.referral_timeline.c.id)
        )
        return [{"status": r.status, "reason": r.reason, "at": r.at} for r in rows]


def _referral(row) -> StoredReferral:
    return StoredReferral(
        id=row.id,
        person_id=row.person_id,
        partner_id=row.partner_id,
        partner_referral_id=row.partner_referral_id,
        programme_id=row.programme_id,
        status=row.status,
        received_at=row.received_at,
        correlation_id=row.correlation_id,
        channel=row.channel,
        duplicate_of=row.duplicate_of,
        previous_referral_id=row.previous_referral_id,
        self_reference=row.self_reference,
    )


class PersonRepository:
    """People as intake knows them, for matching. Personal data stays in intake."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def candidates(self, key: PersonKey, limit: int = 200) -> list[PersonKey]:
        p = t.persons
        conditions = [p.c.family_name_key == key.family_key]
        if key.nhs_number:
            conditions.append(p.c.nhs_number == key.nhs_number)
        if key.date_of_birth:
            conditions.append(p.c.date_of_birth == key.date_of_birth)
        if key.postcode:
            conditions.append(p.c.postcode == key.postcode)
        rows = await self.conn.execute(sa.select(p).where(sa.or_(*conditions)).limit(limit))
        return [
            PersonKey(r.given_name_key, r.family_name_key, r.date_of_birth, r.postcode, r.nhs_number, r.id)
            for r in rows
        ]

    async def add(self, person_id: uuid.UUID, key: PersonKey) -> None:
        await self.conn.execute(
            sa.insert(t.persons).values(
                id=person_id, nhs_number=key.nhs_number, given_name_key=key.given_key,
                family_name_key=key.family_key, date_of_birth=key.date_of_birth, postcode=key.postcode,
            )
        )

    async def fill_in(self, person_id: uuid.UUID, key: PersonKey) -> None:
        """What the new referral knows and the record lacked (an NHS number, a date of birth) is kept."""
        p = t.persons
        await self.conn.execute(
            sa.update(p).where(p.c.id == person_id).values(
                nhs_number=sa.func.coalesce(p.c.nhs_number, key.nhs_number),
                date_of_birth=sa.func.coalesce(p.c.date_of_birth, key.date_of_birth),
                postcode=key.postcode or p.c.postcode,
            )
        )

    async def open_review(self, referral_id: uuid.UUID, person_id: uuid.UUID, result: MatchResult) -> None:
        await self.conn.execute(
            sa.insert(t.match_reviews).values(
                id=uuid.uuid4(), referral_id=referral_id, person_id=person_id,
                candidate_person_id=result.person_id, confidence=result.confidence, reasons=result.reasons,
            )
        )

    async def reviews(self, status: str = "open") -> list[dict[str, Any]]:
        rows = await self.conn.execute(
            sa.select(t.match_reviews).where(t.match_reviews.c.status == status).order_by(t.match_reviews.c.created_at)
        )
        return [dict(r._mapping) for r in rows]

    async def review(self, review_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            await self.conn.execute(sa.select(t.match_reviews).where(t.match_reviews.c.id == review_id).with_for_update())
        ).first()
        return dict(row._mapping) if row else None

    async def decide_review(self, review_id: uuid.UUID, decision: str, decided_by: str) -> None:
        await self.conn.execute(
            sa.update(t.match_reviews).where(t.match_reviews.c.id == review_id).values(
                status="decided", decision=decision, decided_by=decided_by, decided_at=sa.func.now()
            )
        )

    async def merge(self, duplicate_person_id: uuid.UUID, into_person_id: uuid.UUID) -> None:
        await self.conn.execute(
            sa.update(t.referrals).where(t.referrals.c.person_id == duplicate_person_id).values(person_id=into_person_id)
        )


class WebhookRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def configure(self, partner_id: str, url: str, secret: str) -> None:
        statement = insert(t.webhooks).values(partner_id=partner_id, url=url, secret=secret)
        await self.conn.execute(
            statement.on_conflict_do_update(index_elements=["partner_id"], set_={"url": url, "secret": secret})
        )

    async def config(self, partner_id: str) -> tuple[str, str] | None:
        row = (await self.conn.execute(sa.select(t.webhooks).where(t.webhooks.c.partner_id == partner_id))).first()
        return (row.url, row.secret) if row else None

    async def enqueue(self, partner_id: str, envelope) -> None:
        """A delivery row in the same transaction as the status change: no change goes untold."""
        if await self.config(partner_id) is None:
            return
        await self.conn.execute(
            sa.insert(t.webhook_deliveries).values(
                partner_id=partner_id, event_id=envelope.id, body=envelope.model_dump(mode="json")
            )
        )
