"""What staff read: plain functions over the unit of work's views, changing nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.triage.service_layer.unit_of_work import Clock, UnitOfWorkFactory
from shared.platform.audit import reads
from shared.platform.sealed_fields import open_fields, open_fields_noting


async def decision(referral_id: uuid.UUID, *, uow_factory: UnitOfWorkFactory, actor: str | None = None,
                   roles: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The referral's current decision, or None if it has not been decided yet; with the last reviewer's note,
    opened (or, once the person is erased, None and listed under `erased_fields`). Read by `actor`, the opening
    of the note is in the audit trail, in the same transaction."""
    async with uow_factory() as uow:
        if actor is None:
            return await open_fields(uow.sealer, "triage", await uow.views.decision(referral_id))
        shown, seen = await open_fields_noting(uow.sealer, "triage", await uow.views.decision(referral_id))
        for entry in reads(seen, actor=actor, roles=roles, at=datetime.now(UTC), referral_id=referral_id,
                           purpose=f"decision on referral {referral_id}"):
            await uow.audit.append(entry)
        await uow.commit()
        return shown


async def list_reviews(programme_id: str | None = None, *, uow_factory: UnitOfWorkFactory,
                       clock: Clock, programmes: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Referrals waiting for a person, oldest first, with their age in hours and whether they are overdue;
    only those of the programmes the reader coordinates (`programmes`; None: every programme)."""
    async with uow_factory() as uow:
        rows = [row for row in await uow.views.open_reviews(programme_id)
                if programmes is None or row["programme_id"] in programmes]
    now = clock()
    for row in rows:
        row["age_hours"] = round((now - row["created_at"]).total_seconds() / 3600, 2)
        row["overdue"] = now > row["due_at"]
    return rows


async def appropriateness(programme_id: str | None, since: datetime | None, *,
                          uow_factory: UnitOfWorkFactory) -> list[dict[str, Any]]:
    """Declined and redirected referrals by referring organisation and reason, to talk to referrers."""
    async with uow_factory() as uow:
        all_by_org = await uow.views.referrals_by_organisation(programme_id, since)
        rows = await uow.views.declines_by_organisation(programme_id, since)
    for row in rows:
        total = all_by_org.get(row["referring_organisation"], 0)
        row["of_all_referrals_from_organisation"] = total
        row["share"] = round(row["referrals"] / total, 3) if total else None
    return rows
