"""Caseload's timers: offers that lapsed, first contacts overdue, follow-ups due.

Safe to run on every replica at once: each takes the rows it works on with
SKIP LOCKED, so no two replicas handle the same case.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from services.caseload.service_layer.assignment import expire_offer
from services.caseload.service_layer.recording import store
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork


async def run_timers(uow_factory: Callable[[], CaseloadUnitOfWork], now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(UTC)
    counts = {"offers_expired": 0, "first_contact_deadlines_missed": 0, "follow_ups_requested": 0}
    async with uow_factory() as uow:
        for offer in await uow.offers.expired(now):
            await expire_offer(uow, offer, now)
            counts["offers_expired"] += 1
        await uow.commit()
    async with uow_factory() as uow:
        for case in await uow.cases.first_contact_overdue(now):
            case.miss_first_contact_deadline(now)
            await store(uow, case)
            counts["first_contact_deadlines_missed"] += 1
        for case in await uow.cases.follow_ups_due(now):
            case.request_follow_up(now)
            await store(uow, case)
            counts["follow_ups_requested"] += 1
        await uow.commit()
    return counts
