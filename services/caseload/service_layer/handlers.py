"""Caseload use cases: open cases, offer them to the best-fitting worker with room, keep the
waiting list, and carry each case through its lifecycle. Every change is a case event,
recorded with the state change and published through the outbox in one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from services.caseload.adapters import tables as t
from services.caseload.domain import model
from services.caseload.domain.matching import CaseNeeds, rank
from services.caseload.domain.model import CaseState, CaseStatus, lead_role, require
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.tracing import current_trace_context, link_to_origin
from shared.schemas import topics
from shared.schemas.envelope import Envelope, EventPayload
from shared.schemas.events import case as ev
from shared.schemas.events.case import ClosureReason, WorkerRole
from shared.schemas.events.common import MeasureResponse, Timepoint
from shared.schemas.events.triage import Decision, Pathway, TriageDecided

CONSUMER_DECISIONS = topics.consumer_group("caseload", topics.TRIAGE_DECISIONS)


class CaseNotFound(Exception):
    pass


class OfferNotFound(Exception):
    pass


# --- recording -----------------------------------------------------------------------------


async def record(uow: CaseloadUnitOfWork, case: dict[str, Any], payload: EventPayload,
                 actor: str | None = None, causation_id: uuid.UUID | None = None) -> CaseState:
    """Append the event, publish it, and bring the case's projection in line with its history."""
    link_to_origin(case.get("traceparent"), "case opened")
    data = payload.model_dump(mode="json")
    at = getattr(payload, "at", None) or datetime.now(UTC)
    before = await state_of(uow, case)
    await uow.cases.append_event(case["id"], payload.event_type, data, at, actor)
    await uow.emit(payload, topic=topics.CASES, subject=str(case["id"]), correlation_id=case["correlation_id"],
                   causation_id=causation_id)
    # The history is read once per unit of work; each event recorded after that is applied to it.
    state = uow.case_states[case["id"]] = before.apply(payload.event_type, data)
    await uow.cases.update(case["id"], status=state.status.value,
                           worker_id=uuid.UUID(state.worker_id) if state.worker_id else None)
    case.update(status=state.status.value, worker_id=uuid.UUID(state.worker_id) if state.worker_id else None)
    return state


async def state_of(uow: CaseloadUnitOfWork, case: dict[str, Any]) -> CaseState:
    cached = uow.case_states.get(case["id"])
    if cached is not None:
        return cached
    events = await uow.cases.events(case["id"])
    settings = await uow.settings.get(case["programme_id"])
    state = uow.case_states[case["id"]] = CaseState.fold(
        [(e["event_type"], e["data"]) for e in events],
        budget_weeks=settings["budget_weeks"], budget_sessions=settings["budget_sessions"])
    return state


def _refs(case: dict[str, Any], at: datetime, actor: str | None = None) -> dict[str, Any]:
    return {"case_id": case["id"], "referral_id": case["referral_id"], "programme_id": case["programme_id"],
            "at": at, "actor": actor}


async def _load(uow: CaseloadUnitOfWork, case_id: uuid.UUID) -> dict[str, Any]:
    case = await uow.cases.get(case_id, for_update=True)
    if case is None:
        raise CaseNotFound(case_id)
    return case


# --- opening and offering --------------------------------------------------------------------


async def open_case(uow_factory, envelope: Envelope, decision: TriageDecided) -> None:
    """An accepted referral becomes a case, offered to the best-fitting worker with room, or waiting."""
    if decision.decision != Decision.ACCEPTED or decision.pathway == Pathway.SIGNPOST_ONLY:
        return
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_DECISIONS, envelope):
            return
        if await uow.cases.find(referral_id=decision.referral_id):
            # A later decision for the same referral (a person's override) does not open a second case.
            await uow.commit()
            return
        now = datetime.now(UTC)
        previous_worker = None
        if decision.previous_referral_id:
            earlier = await uow.cases.find(referral_id=decision.previous_referral_id)
            previous_worker = str(earlier[0]["worker_id"]) if earlier and earlier[0]["worker_id"] else None
        case = {
            "id": uuid.uuid4(), "referral_id": decision.referral_id, "person_id": decision.person_id,
            "programme_id": decision.programme_id, "status": CaseStatus.WAITING.value,
            "expected_weekly_hours": Decimal(str(decision.expected_weekly_hours or 0)),
            "priority": decision.priority or 3, "lead_role": lead_role(decision.pathway).value,
            "pathway": decision.pathway.value if decision.pathway else None, "opened_at": now,
            "waiting_since": now, "correlation_id": envelope.correlationid,
            "traceparent": current_trace_context().get("traceparent"),
            "previous_referral_id": decision.previous_referral_id,
            "needs": {"language": decision.language, "interpreter_needed": decision.interpreter_needed,
                      "gender_preference": decision.worker_gender_preference,
                      "home_visit_needed": decision.home_visit_needed,
                      "postcode_district": decision.postcode_district, "needs": decision.needs,
                      "previous_worker_id": previous_worker},
        }
        await uow.cases.add(**case)
        await record(uow, case, ev.CaseOpened(**_refs(case, now), person_id=case["person_id"],
                                              priority=case["priority"],
                                              expected_weekly_hours=float(case["expected_weekly_hours"]),
                                              pathway=case["pathway"] or "connector"), causation_id=envelope.id)
        if not await offer_next(uow, case, now):
            await _waitlist(uow, case, now)
        await uow.commit()


def _needs(case: dict[str, Any], exclude: frozenset[str]) -> CaseNeeds:
    n = case.get("needs") or {}
    return CaseNeeds(role=case["lead_role"], hours=Decimal(case["expected_weekly_hours"]), language=n.get("language"),
                     interpreter_needed=bool(n.get("interpreter_needed")), gender_preference=n.get("gender_preference"),
                     home_visit_needed=bool(n.get("home_visit_needed")), postcode_district=n.get("postcode_district"),
                     needs=tuple(n.get("needs") or ()), previous_worker_id=n.get("previous_worker_id"),
                     exclude=exclude)


async def offer_next(uow: CaseloadUnitOfWork, case: dict[str, Any], now: datetime) -> bool:
    """Offer the case to the best-fitting eligible worker whose capacity can be reserved."""
    settings = await uow.settings.get(case["programme_id"])
    tried = await uow.offers.tried_workers(case["id"])
    workers = await uow.workers.profiles(case["programme_id"], case["lead_role"])
    hours = Decimal(case["expected_weekly_hours"])
    for position, ranked in enumerate(rank(workers, _needs(case, tried)), start=1):
        if not await uow.workers.reserve(uuid.UUID(ranked.worker_id), hours):
            continue  # another assignment took the room first: try the next best
        offer_id = uuid.uuid4()
        expires = now + timedelta(minutes=settings["offer_timeout_minutes"])
        await uow.offers.add(id=offer_id, case_id=case["id"], worker_id=uuid.UUID(ranked.worker_id), status="open",
                             rank=position, score=ranked.score, reasons=ranked.reasons, hours=hours,
                             offered_at=now, expires_at=expires)
        offered = ev.CaseOffered(**_refs(case, now), offer_id=offer_id, worker_id=uuid.UUID(ranked.worker_id),
                                 expires_at=expires, rank=position, match_score=ranked.score,
                                 match_reasons=ranked.reasons)
        await record(uow, case, offered)
        # Each worker follows their own offers: the offers topic is keyed by worker id.
        await uow.emit(offered, topic=topics.OFFERS, subject=ranked.worker_id, correlation_id=case["correlation_id"])
        worker = await uow.workers.get(uuid.UUID(ranked.worker_id))
        if worker["auto_accept_offers"]:
            await _accept(uow, case, await uow.offers.get(offer_id, for_update=True), now, actor="auto-accept")
        return True
    return False


async def _waitlist(uow: CaseloadUnitOfWork, case: dict[str, Any], now: datetime) -> None:
    settings = await uow.settings.get(case["programme_id"])
    waiting = await uow.cases.all_waiting(case["programme_id"])
    order = model.waiting_order([*[c for c in waiting if c["id"] != case["id"]], case], now, settings["ageing_days"])
    position = next(i for i, c in enumerate(order, start=1) if c["id"] == case["id"])
    estimate = model.estimate_wait_days(position, await uow.cases.closures_since(case["programme_id"],
                                                                                 now - timedelta(days=28)),
                                        await uow.workers.active_count(case["programme_id"]))
    if case.get("waiting_since") is None:
        await uow.cases.update(case["id"], waiting_since=now)
    await record(uow, case, ev.CaseWaitlisted(
        case_id=case["id"], referral_id=case["referral_id"], person_id=case["person_id"],
        programme_id=case["programme_id"], priority=case["priority"],
        expected_weekly_hours=float(case["expected_weekly_hours"]), waitlisted_at=now, estimated_wait_days=estimate))


async def _accept(uow: CaseloadUnitOfWork, case: dict[str, Any], offer: dict[str, Any], now: datetime,
                  actor: str | None) -> None:
    settings = await uow.settings.get(case["programme_id"])
    await uow.offers.respond(offer["id"], "accepted", now)
    worker = await uow.workers.get(offer["worker_id"])
    await record(uow, case, ev.CaseAssigned(
        case_id=case["id"], referral_id=case["referral_id"], person_id=case["person_id"],
        programme_id=case["programme_id"], worker_id=offer["worker_id"], worker_role=WorkerRole(worker["role"]),
        expected_weekly_hours=float(case["expected_weekly_hours"]), assigned_at=now), actor=actor)
    await uow.cases.update(
        case["id"], assigned_at=now, waiting_since=None,
        first_contact_due_at=model.add_working_days(now, settings["first_contact_working_days"]),
        review_due_at=now + timedelta(weeks=settings["review_weeks"]),
        budget_ends_at=now + timedelta(weeks=settings["budget_weeks"]))


async def respond_to_offer(uow_factory, offer_id: uuid.UUID, *, accept: bool, reason: str | None,
                           actor: str) -> dict[str, Any]:
    async with uow_factory() as uow:
        offer = await uow.offers.get(offer_id, for_update=True)
        if offer is None:
            raise OfferNotFound(offer_id)
        require(offer["status"] == "open", f"this offer is {offer['status']}")
        case = await _load(uow, offer["case_id"])
        now = datetime.now(UTC)
        if accept:
            await _accept(uow, case, offer, now, actor)
        else:
            require(bool(reason), "say why the offer is declined")
            await _withdraw(uow, case, offer, now, "declined", reason, actor)
        await uow.commit()
        return {"offer_id": str(offer_id), "status": "accepted" if accept else "declined", "case_status": case["status"]}


async def _withdraw(uow, case, offer, now, status: str, reason: str | None, actor: str | None) -> None:
    """A declined or lapsed offer frees the worker's room and goes to the next best worker."""
    await uow.offers.respond(offer["id"], status, now, reason)
    await uow.workers.release(offer["worker_id"], Decimal(offer["hours"]))
    if status == "declined":
        await record(uow, case, ev.CaseOfferDeclined(**_refs(case, now, actor), offer_id=offer["id"],
                                                      worker_id=offer["worker_id"], reason=reason or ""))
    else:
        await record(uow, case, ev.CaseOfferExpired(**_refs(case, now), offer_id=offer["id"],
                                                     worker_id=offer["worker_id"]))
    if not await offer_next(uow, case, now):
        await _waitlist(uow, case, now)


async def assign_waiting(uow: CaseloadUnitOfWork, programme_id: str, now: datetime) -> int:
    """Freed capacity goes to waiting people: most urgent first (with ageing), then longest waiting."""
    settings = await uow.settings.get(programme_id)
    offered = 0
    for case in model.waiting_order(await uow.cases.waiting(programme_id), now, settings["ageing_days"]):
        if await offer_next(uow, case, now):
            offered += 1
    return offered


async def waiting_list(uow_factory, programme_id: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    async with uow_factory() as uow:
        settings = await uow.settings.get(programme_id)
        cases = model.waiting_order(await uow.cases.all_waiting(programme_id), now, settings["ageing_days"])
        closures = await uow.cases.closures_since(programme_id, now - timedelta(days=28))
        workers = await uow.workers.active_count(programme_id)
    return [{"position": i, "case_id": c["id"], "referral_id": c["referral_id"], "priority": c["priority"],
             "effective_priority": model.effective_priority(c["priority"], c["waiting_since"], now,
                                                            settings["ageing_days"]),
             "waiting_since": c["waiting_since"], "waited_days": round((now - c["waiting_since"]).total_seconds() / 86400, 2),
             "estimated_wait_days": model.estimate_wait_days(i, closures, workers),
             "expected_weekly_hours": c["expected_weekly_hours"], "lead_role": c["lead_role"]}
            for i, c in enumerate(cases, start=1)]


# --- the lifecycle -----------------------------------------------------------------------------


async def record_contact(uow_factory, case_id: uuid.UUID, *, kind: str, minutes: int, occurred_at: datetime,
                         recorded_by: str, successful: bool = True, travel_minutes: int = 0) -> int:
    async with uow_factory() as uow:
        case = await _load(uow, case_id)
        state = await state_of(uow, case)
        model.check_contact(state)
        contact_id = uuid.uuid4()
        state = await record(uow, case, ev.CaseContactRecorded(
            **_refs(case, occurred_at, recorded_by), contact_id=contact_id, kind=kind, successful=successful,
            minutes=minutes, travel_minutes=travel_minutes, worker_id=case["worker_id"]), actor=recorded_by)
        if successful:
            await uow.cases.add_contact(id=contact_id, case_id=case_id, kind=kind, minutes=minutes,
                                        occurred_at=occurred_at, recorded_by=recorded_by)
            if state.contacts == 1:
                await uow.cases.update(case_id, first_contact_at=occurred_at)
                await uow.emit(ev.CaseFirstContactMade(
                    case_id=case_id, referral_id=case["referral_id"], person_id=case["person_id"],
                    programme_id=case["programme_id"], worker_id=case["worker_id"], contact_kind=kind,
                    contacted_at=occurred_at), topic=topics.CASES, subject=str(case_id),
                    correlation_id=case["correlation_id"])
        await uow.commit()
        return state.contacts


async def change(uow_factory, case_id: uuid.UUID, action: str, actor: str, **details: Any) -> dict[str, Any]:
    """Goals, signposts, unmet needs, review, extension, hold, resume, transfer: checked, then recorded."""
    async with uow_factory() as uow:
        case = await _load(uow, case_id)
        state = await state_of(uow, case)
        now = datetime.now(UTC)
        refs = _refs(case, now, actor)
        result: dict[str, Any] = {}
        if action == "goal":
            model.check_goal(state)
            goal_id = uuid.uuid4()
            await record(uow, case, ev.CaseGoalSet(**refs, goal_id=goal_id, description=details["description"]), actor)
            result["goal_id"] = str(goal_id)
        elif action == "goal_progress":
            require(str(details["goal_id"]) in state.goals, "no such goal on this case")
            await record(uow, case, ev.CaseGoalProgressed(**refs, goal_id=details["goal_id"],
                                                          progress=details["progress"]), actor)
        elif action == "signpost":
            model.check_open(state, "signpost from")
            signpost_id = uuid.uuid4()
            await record(uow, case, ev.CaseSignposted(**refs, signpost_id=signpost_id,
                                                      destination=details["destination"],
                                                      category=details.get("category")), actor)
            result["signpost_id"] = str(signpost_id)
        elif action == "take_up":
            require(str(details["signpost_id"]) in state.signposts, "no such signpost on this case")
            await record(uow, case, ev.CaseSignpostTakeUpRecorded(**refs, signpost_id=details["signpost_id"],
                                                                   taken_up=details["taken_up"]), actor)
        elif action == "unmet_need":
            await record(uow, case, ev.CaseUnmetNeedRecorded(
                **refs, need=details["need"], postcode_district=(case.get("needs") or {}).get("postcode_district")),
                actor)
        elif action == "review":
            model.check_open(state, "review")
            await record(uow, case, ev.CaseReviewed(**refs, outcome=details["outcome"]), actor)
        elif action == "extend":
            model.check_open(state, "extend")
            require(bool(details.get("reason")), "an extension needs a reason")
            await record(uow, case, ev.CaseExtended(**refs, extra_weeks=details["extra_weeks"],
                                                    extra_sessions=details.get("extra_sessions", 0),
                                                    reason=details["reason"]), actor)
            await uow.cases.update(case_id, budget_ends_at=(case["budget_ends_at"] or now)
                                   + timedelta(weeks=details["extra_weeks"]))
        elif action == "hold":
            require(state.status == CaseStatus.ASSIGNED, f"cannot put a {state.status} case on hold")
            await record(uow, case, ev.CasePutOnHold(**refs, reason=details["reason"]), actor)
            # A case on hold frees its hours for someone waiting; the worker keeps the case.
            await uow.workers.release(case["worker_id"], Decimal(case["expected_weekly_hours"]))
            await assign_waiting(uow, case["programme_id"], now)
        elif action == "resume":
            require(state.status == CaseStatus.ON_HOLD, f"cannot resume a {state.status} case")
            require(await uow.workers.reserve(case["worker_id"], Decimal(case["expected_weekly_hours"])),
                    "the worker has no room now: transfer the case to someone who has")
            await record(uow, case, ev.CaseResumed(**refs), actor)
        elif action == "transfer":
            model.check_open(state, "transfer")
            to_worker = details["to_worker_id"]
            require(str(to_worker) != str(case["worker_id"]), "the case is already with that worker")
            target = await uow.workers.get(to_worker)
            require(target is not None and target["programme_id"] == case["programme_id"],
                    "no such worker on this programme")
            if state.status == CaseStatus.ASSIGNED:
                require(await uow.workers.reserve(to_worker, Decimal(case["expected_weekly_hours"])),
                        "that worker has no room for this case")
                await uow.workers.release(case["worker_id"], Decimal(case["expected_weekly_hours"]))
            await record(uow, case, ev.CaseTransferred(**refs, from_worker_id=case["worker_id"], to_worker_id=to_worker,
                                                       reason=details["reason"]), actor)
        else:
            raise ValueError(action)
        await uow.commit()
        return {"case_id": str(case_id), "status": case["status"], **result}


async def record_measure(uow_factory, case_id: uuid.UUID, measure: MeasureResponse, actor: str) -> dict[str, Any]:
    """Baseline at the first meeting, end at closure, follow-up about three months after."""
    async with uow_factory() as uow:
        case = await _load(uow, case_id)
        state = await state_of(uow, case)
        if measure.timepoint == Timepoint.FOLLOW_UP:
            require(state.status == CaseStatus.CLOSED, "a follow-up measure is taken after the case has closed")
        else:
            model.check_open(state, "record a measure on")
        role = None
        if case["worker_id"]:
            role = (await uow.workers.get(case["worker_id"]))["role"]
        await record(uow, case, ev.CaseMeasureRecorded(**_refs(case, datetime.now(UTC), actor),
                                                       person_id=case["person_id"], worker_id=case["worker_id"],
                                                       worker_role=role, measure=measure), actor)
        await uow.commit()
        return {"case_id": str(case_id), "instrument": measure.instrument.value, "timepoint": measure.timepoint.value}


async def close_case(uow_factory, case_id: uuid.UUID, *, reason: ClosureReason, measures: list[MeasureResponse],
                     actor: str | None = None) -> dict[str, Any]:
    async with uow_factory() as uow:
        case = await _load(uow, case_id)
        state = await state_of(uow, case)
        model.check_closure(state, reason)
        now = datetime.now(UTC)
        settings = await uow.settings.get(case["programme_id"])
        role = (await uow.workers.get(case["worker_id"]))["role"]
        for measure in measures:
            await record(uow, case, ev.CaseMeasureRecorded(**_refs(case, now, actor), person_id=case["person_id"],
                                                           worker_id=case["worker_id"], worker_role=role,
                                                           measure=measure), actor)
        await record(uow, case, ev.CaseClosed(
            case_id=case_id, referral_id=case["referral_id"], person_id=case["person_id"],
            programme_id=case["programme_id"], worker_id=case["worker_id"], worker_role=WorkerRole(role),
            reason=reason, contact_count=state.contacts, measures=measures, opened_at=case["opened_at"],
            closed_at=now), actor)
        if state.status == CaseStatus.ASSIGNED:  # a case on hold already gave its hours and slot back
            await uow.workers.release(case["worker_id"], Decimal(case["expected_weekly_hours"]))
        follow_up = model.add_months(now, settings["follow_up_months"])
        await uow.cases.update(case_id, closed_at=now, closure_reason=reason.value,
                               measures=[m.model_dump(mode="json") for m in measures], follow_up_due_at=follow_up)
        await assign_waiting(uow, case["programme_id"], now)
        await uow.commit()
        return {**case, "status": CaseStatus.CLOSED.value, "closed_at": now, "closure_reason": reason.value,
                "contact_count": state.contacts, "follow_up_due_at": follow_up,
                "measures": [m.model_dump(mode="json") for m in measures]}


# --- timers ---------------------------------------------------------------------------------------


async def run_timers(uow_factory, now: datetime | None = None) -> dict[str, int]:
    """Offers that lapsed, first contacts overdue, follow-ups due. Safe to run on every replica at once."""
    now = now or datetime.now(UTC)
    counts = {"offers_expired": 0, "first_contact_deadlines_missed": 0, "follow_ups_requested": 0}
    async with uow_factory() as uow:
        for offer in await uow.offers.expired(now):
            case = await _load(uow, offer["case_id"])
            await _withdraw(uow, case, offer, now, "expired", "no answer before the deadline", None)
            counts["offers_expired"] += 1
        await uow.commit()
    async with uow_factory() as uow:
        c = t.cases
        missed = (await uow.conn.execute(sa.select(c).where(
            c.c.status == "assigned", c.c.first_contact_at.is_(None), c.c.first_contact_due_at <= now,
            ~sa.exists().where(t.case_events.c.case_id == c.c.id,
                               t.case_events.c.event_type == "case.first_contact_deadline_missed"))
            .with_for_update(skip_locked=True).limit(100))).all()
        for row in missed:
            case = dict(row._mapping)
            await record(uow, case, ev.CaseFirstContactDeadlineMissed(**_refs(case, now), worker_id=case["worker_id"],
                                                                      due_at=case["first_contact_due_at"]))
            counts["first_contact_deadlines_missed"] += 1
        due = (await uow.conn.execute(sa.select(c).where(
            c.c.status == "closed", c.c.follow_up_due_at <= now, c.c.follow_up_requested_at.is_(None))
            .with_for_update(skip_locked=True).limit(100))).all()
        for row in due:
            case = dict(row._mapping)
            await record(uow, case, ev.CaseFollowUpRequested(**_refs(case, now), due_at=case["follow_up_due_at"]))
            await uow.cases.update(case["id"], follow_up_requested_at=now)
            counts["follow_ups_requested"] += 1
        await uow.commit()
    return counts

