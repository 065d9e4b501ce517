"""Triage's read side on PostgreSQL: what the HTTP API and its reports show."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.triage.adapters import tables as t
from services.triage.domain.facts import ReferralFacts
from services.triage.service_layer.unit_of_work import StoredReferral, TriageViews


class SqlTriageViews(TriageViews):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def decision(self, referral_id: uuid.UUID) -> dict[str, Any] | None:
        h = t.decision_history
        last_note = (sa.select(h.c.note).where(h.c.referral_id == t.decisions.c.referral_id)
                     .order_by(h.c.id.desc()).limit(1).scalar_subquery())
        row = (await self._conn.execute(sa.select(t.decisions, last_note.label("note"))
                                        .where(t.decisions.c.referral_id == referral_id))).first()
        return dict(row._mapping) if row else None

    async def open_reviews(self, programme_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(t.reviews).where(t.reviews.c.status != "decided").order_by(t.reviews.c.created_at)
        if programme_id:
            query = query.where(t.reviews.c.programme_id == programme_id)
        return [dict(r._mapping) for r in await self._conn.execute(query)]

    async def declines_by_organisation(self, programme_id: str | None,
                                       since: datetime | None) -> list[dict[str, Any]]:
        d = t.decisions
        organisation = _organisation()
        query = (sa.select(organisation.label("referring_organisation"), d.c.decision, d.c.reason_code,
                           sa.func.count().label("referrals"))
                 .where(d.c.decision.in_(["declined", "redirected"]))
                 .group_by(organisation, d.c.decision, d.c.reason_code)
                 .order_by(sa.func.count().desc(), organisation))
        return [dict(r._mapping) for r in await self._conn.execute(_filtered(query, programme_id, since))]

    async def referrals_by_organisation(self, programme_id: str | None, since: datetime | None) -> dict[str, int]:
        organisation = _organisation()
        totals = sa.select(organisation.label("referring_organisation"), sa.func.count().label("total")).group_by(
            organisation)
        rows = await self._conn.execute(_filtered(totals, programme_id, since))
        return {r.referring_organisation: r.total for r in rows}

    async def decided_referrals(self, programme_id: str, received_from: datetime | None,
                                received_to: datetime | None) -> list[StoredReferral]:
        d = t.decisions
        query = sa.select(d.c.referral_id, d.c.facts).where(d.c.programme_id == programme_id)
        if received_from:
            query = query.where(d.c.received_at >= received_from)
        if received_to:
            query = query.where(d.c.received_at < received_to)
        rows = await self._conn.execute(query.order_by(d.c.received_at))
        return [StoredReferral(r.referral_id, ReferralFacts.from_json(r.facts)) for r in rows]

    async def automated_decisions(self, referral_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
        h = t.decision_history
        first = (sa.select(h.c.referral_id, sa.func.min(h.c.id).label("id")).where(h.c.referral_id.in_(referral_ids))
                 .group_by(h.c.referral_id).subquery())
        rows = await self._conn.execute(sa.select(h.c.referral_id, h.c.decision, h.c.reason_code,
                                                  h.c.ruleset_version).join(first, first.c.id == h.c.id))
        return {r.referral_id: {"decision": r.decision, "reason_code": r.reason_code,
                                "ruleset_version": r.ruleset_version} for r in rows}


def _organisation():
    return t.decisions.c.facts["referring_organisation"].astext


def _filtered(query, programme_id: str | None, since: datetime | None):
    if programme_id:
        query = query.where(t.decisions.c.programme_id == programme_id)
    if since:
        query = query.where(t.decisions.c.decided_at >= since)
    return query
