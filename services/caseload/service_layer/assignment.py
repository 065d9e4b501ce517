"""Opening cases and giving them to workers with room: offers, answers, the waiting list.

Capacity is reserved in the database (the worker repository), so any number of
replicas assigning at once never books a worker past their hours or case slots.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.caseload.domain import model
from services.caseload.domain.case import Case
from services.caseload.domain.matching import rank
from services.caseload.domain.model import require
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.errors import OfferNotFound, WorkerNotFound
from services.caseload.service_layer.notes import seal
from services.caseload.service_layer.ownership import (Viewer, require_at_site, require_in_programme, require_own,
                                                     worker_site)
from services.caseload.service_layer.recording import store
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.tracing import current_trace_context
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.triage import Decision, Pathway, TriageDecided

CONSUMER_DECISIONS = topics.consumer_group("caseload", topics.TRIAGE_DECISIONS)


async def open_case(uow: CaseloadUnitOfWork, envelope: Envelope, decision: TriageDecided) -> None:
    """An accepted referral becomes a case, offered to the best-fitting worker with room, or waiting."""
    if decision.decision != Decision.ACCEPTED or decision.pathway == Pathway.SIGNPOST_ONLY:
        return
    async with uow:
        if not await uow.first_delivery(CONSUMER_DECISIONS, envelope):
            return
        if await uow.cases.for_referral(decision.referral_id):
            # A later decision for the same referral (a person's override) does not open a second case.
            await uow.commit()
            return
        now = datetime.now(UTC)
        previous_worker = None
        if decision.previous_referral_id:
            earlier = await uow.cases.for_referral(decision.previous_referral_id)
            previous_worker = str(earlier.worker_id) if earlier and earlier.worker_id else None
        settings = await uow.settings.get(decision.programme_id)
        case = Case.open(decision, now=now, correlation_id=envelope.correlationid,
                         traceparent=current_trace_context().get("traceparent"), previous_worker_id=previous_worker,
                         budget_weeks=settings["budget_weeks"], budget_sessions=settings["budget_sessions"])
        await uow.cases.add(case)
        await store(uow, case, causation_id=envelope.id)
        if not await offer_next(uow, case, now):
            await _waitlist(uow, case, now)
        await uow.commit()


async def offer_next(uow: CaseloadUnitOfWork, case: Case, now: datetime) -> bool:
    """Offer the case to the best-fitting eligible worker whose capacity can be reserved."""
    settings = await uow.settings.get(case.programme_id)
    tried = await uow.offers.tried_workers(case.id)
    workers = await uow.workers.profiles(case.programme_id, case.lead_role)
    for position, ranked in enumerate(rank(workers, case.matching_needs(tried)), start=1):
        worker_id = uuid.UUID(ranked.worker_id)
        if not await uow.workers.reserve(worker_id, case.hours):
            continue  # another assignment took the room first: try the next best
        offer_id = uuid.uuid4()
        expires = now + timedelta(minutes=settings["offer_timeout_minutes"])
        await uow.offers.add(id=offer_id, case_id=case.id, worker_id=worker_id, status="open", rank=position,
                             score=ranked.score, reasons=ranked.reasons, hours=case.hours, offered_at=now,
                             expires_at=expires)
        offered = case.offer(offer_id=offer_id, worker_id=worker_id, rank=position, score=ranked.score,
                             reasons=ranked.reasons, now=now, expires_at=expires)
        await store(uow, case)
        # Each worker follows their own offers: the offers topic is keyed by worker id.
        await uow.emit(offered, topic=topics.OFFERS, subject=ranked.worker_id, correlation_id=case.correlation_id)
        worker = await uow.workers.get(worker_id)
        if worker["auto_accept_offers"]:
            await _accept(uow, case, await uow.offers.get(offer_id), now, actor="auto-accept")
        return True
    return False


async def _waitlist(uow: CaseloadUnitOfWork, case: Case, now: datetime) -> None:
    settings = await uow.settings.get(case.programme_id)
    others = [e for e in await uow.cases.waiting_entries(case.programme_id) if e["id"] != case.id]
    me = {"id": case.id, "priority": case.priority, "waiting_since": case.waiting_since or now}
    order = model.waiting_order([*others, me], now, settings["ageing_days"])
    position = next(i for i, entry in enumerate(order, start=1) if entry["id"] == case.id)
    estimate = model.estimate_wait_days(
        position, await uow.cases.closures_since(case.programme_id, now - timedelta(days=28)),
        await uow.workers.active_count(case.programme_id))
    case.waitlist(now=now, estimated_wait_days=estimate)
    await store(uow, case)


async def _accept(uow: CaseloadUnitOfWork, case: Case, offer: dict[str, Any], now: datetime,
                  actor: str | None) -> None:
    settings = await uow.settings.get(case.programme_id)
    await uow.offers.respond(offer["id"], "accepted", now)
    worker = await uow.workers.get(offer["worker_id"])
    case.assign(worker_id=offer["worker_id"], worker_role=worker["role"], now=now, actor=actor, settings=settings)
    await store(uow, case)


async def _open_offer(uow: CaseloadUnitOfWork, cmd: c.AcceptOffer | c.DeclineOffer) -> tuple[dict[str, Any], Case]:
    offer = await uow.offers.get(cmd.offer_id)
    if offer is None:
        raise OfferNotFound(cmd.offer_id)
    require_own(cmd, offer["worker_id"], "offer")
    case = await uow.cases.get(offer["case_id"])
    require_in_programme(cmd, case.programme_id, "offer")
    if cmd.actor_sites is not None:
        require_at_site(cmd, await worker_site(uow, offer["worker_id"]), "offer")
    require(offer["status"] == "open", f"this offer is {offer['status']}")
    return offer, case


async def accept_offer(cmd: c.AcceptOffer, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        offer, case = await _open_offer(uow, cmd)
        await _accept(uow, case, offer, datetime.now(UTC), cmd.actor)
        await uow.commit()
        return {"offer_id": str(cmd.offer_id), "status": "accepted", "case_status": case.status.value}


async def decline_offer(cmd: c.DeclineOffer, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        offer, case = await _open_offer(uow, cmd)
        now = datetime.now(UTC)
        note = (cmd.reason or "").strip() or None  # blank is no note: `other` with only spaces says nothing
        reason = await seal(uow, case, "reason", note, by=cmd.actor)
        case.offer_declined(offer_id=offer["id"], worker_id=offer["worker_id"], reason_code=cmd.reason_code,
                            reason=reason, now=now, actor=cmd.actor)
        # The offer row keeps its own copy, sealed as the field it is stored in (a context per field), and the
        # code in the clear: the report of why offers are declined counts it.
        await _withdraw(uow, case, offer, now, "declined", await seal(uow, case, "response_reason", note, by=cmd.actor),
                        code=cmd.reason_code)
        await uow.commit()
        return {"offer_id": str(cmd.offer_id), "status": "declined", "case_status": case.status.value}


async def expire_offer(uow: CaseloadUnitOfWork, offer: dict[str, Any], now: datetime) -> None:
    case = await uow.cases.get(offer["case_id"])
    case.offer_expired(offer_id=offer["id"], worker_id=offer["worker_id"], now=now)
    await _withdraw(uow, case, offer, now, "expired", "no answer before the deadline")


async def _withdraw(uow: CaseloadUnitOfWork, case: Case, offer: dict[str, Any], now: datetime, status: str,
                    reason: str | None, code: str | None = None) -> None:
    """A declined or lapsed offer frees the worker's room and goes to the next best worker."""
    await uow.offers.respond(offer["id"], status, now, reason, code)
    await uow.workers.release(offer["worker_id"], offer["hours"])
    await store(uow, case)
    if not await offer_next(uow, case, now):
        await _waitlist(uow, case, now)


async def assign_waiting(uow: CaseloadUnitOfWork, programme_id: str, now: datetime) -> int:
    """Freed capacity goes to waiting people: most urgent first (with ageing), then longest waiting."""
    settings = await uow.settings.get(programme_id)
    offered = 0
    waiting = await uow.cases.waiting(programme_id)
    by_id = {case.id: case for case in waiting}
    entries = [{"id": case.id, "priority": case.priority, "waiting_since": case.waiting_since} for case in waiting]
    for entry in model.waiting_order(entries, now, settings["ageing_days"]):
        if await offer_next(uow, by_id[entry["id"]], now):
            offered += 1
    return offered


# --- workers and programme settings, which change who can be offered what ---------------------------


async def add_worker(cmd: c.AddWorker, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    require_in_programme(cmd, cmd.programme_id, "worker")
    require_at_site(cmd, cmd.details.get("site"), "worker")
    async with uow:
        await uow.workers.add(id=cmd.worker_id, programme_id=cmd.programme_id, **cmd.details)
        await assign_waiting(uow, cmd.programme_id, datetime.now(UTC))
        await uow.commit()
    return {"id": str(cmd.worker_id), "programme_id": cmd.programme_id, **cmd.details}


async def update_worker(cmd: c.UpdateWorker, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        worker = await uow.workers.get(cmd.worker_id)
        if worker is None:
            raise WorkerNotFound(cmd.worker_id)
        require_in_programme(cmd, worker["programme_id"], "worker")
        require_at_site(cmd, worker["site"], "worker")
        if "site" in cmd.details:
            require_at_site(cmd, cmd.details["site"], "worker")  # nor moved to a site they do not coordinate
        require("capacity_hours" not in cmd.details or cmd.details["capacity_hours"] >= worker["load_hours"],
                "capacity below the hours already assigned: transfer cases first")
        await uow.workers.update(cmd.worker_id, **cmd.details)
        await assign_waiting(uow, worker["programme_id"], datetime.now(UTC))
        await uow.commit()
        return {**worker, **cmd.details}


async def set_programme_settings(cmd: c.SetProgrammeSettings, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    require_in_programme(cmd, cmd.programme_id, "programme")
    Viewer.of(cmd).require_whole_programme()
    async with uow:
        await uow.settings.put(cmd.programme_id, cmd.settings)
        await uow.commit()
    return {"programme_id": cmd.programme_id, **cmd.settings}
