"""Intake repositories: the only code that knows intake's tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from . import tables as t


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    allowed_programmes: tuple[str, ...]


@dataclass(frozen=True)
class StoredReferral:
    id: uuid.UUID
    person_id: uuid.UUID
    partner_id: str
    partner_referral_id: str | None
    programme_id: str
    status: str
    received_at: datetime
    correlation_id: uuid.UUID


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

    async def add(self, referral: StoredReferral, person: dict[str, Any]) -> None:
        await self.conn.execute(
            sa.insert(t.referrals).values(
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
    )
