"""What staff read: the waiting list in offer order, a case with what is due on it, workers, offers."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.caseload.domain import model
from services.caseload.domain.case import Case
from services.caseload.domain.consent import Consent
from services.caseload.service_layer.errors import CaseNotFound, Invalid
from services.caseload.service_layer.notes import opened
from services.caseload.service_layer.ownership import EVERYONE, Viewer, require_sees_case, worker_site
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork


async def waiting_list(uow: CaseloadUnitOfWork, programme_id: str, viewer: Viewer = EVERYONE) -> list[dict[str, Any]]:
    """Who is waiting, in the order they will be offered (priority with ageing, then time waited)."""
    viewer.require_in_programme(programme_id, "waiting list")
    now = datetime.now(UTC)
    async with uow:
        settings = await uow.settings.get(programme_id)
        cases = model.waiting_order(await uow.cases.waiting_entries(programme_id), now, settings["ageing_days"])
        closures = await uow.cases.closures_since(programme_id, now - timedelta(days=28))
        workers = await uow.workers.active_count(programme_id)
    return [{"position": i, "case_id": c["id"], "referral_id": c["referral_id"], "priority": c["priority"],
             "effective_priority": model.effective_priority(c["priority"], c["waiting_since"], now,
                                                            settings["ageing_days"]),
             "waiting_since": c["waiting_since"], "waited_days": round((now - c["waiting_since"]).total_seconds() / 86400, 2),
             "estimated_wait_days": model.estimate_wait_days(i, closures, workers),
             "expected_weekly_hours": c["expected_weekly_hours"], "lead_role": c["lead_role"]}
            for i, c in enumerate(cases, start=1)]


def _measures_due(case: Case, measures: list[dict[str, Any]]) -> list[str]:
    taken = {(m["instrument"], m["timepoint"]) for m in measures}
    due = []
    if case.state.contacts and ("ucla3", "baseline") not in taken:
        due.append("baseline")
    if case.status == model.CaseStatus.CLOSED and ("ucla3", "end") not in taken:
        due.append("end")
    # A follow-up means reaching out to the person: not proposed once they asked not to be contacted.
    if case.follow_up_requested_at and not case.state.follow_up_recorded and case.wishes.may_contact:
        due.append("follow_up")
    return due


async def case_summary(uow: CaseloadUnitOfWork, case_id: uuid.UUID, viewer: Viewer = EVERYONE) -> dict[str, Any]:
    """The case as its worker sees it: its fields, where it stands, and the measures due."""
    async with uow:
        case = await uow.cases.get(case_id)
        if case is None:
            raise CaseNotFound(case_id)
        await require_sees_case(viewer, uow, case)
        # Opened for a reader the case is shown to (require_sees_case); an erased person's text reads as erased.
        events, snapshot = await opened(uow, [await uow.views.events(case_id), case.snapshot()], viewer, case_id)
        await uow.commit()  # the audit trail's entry for what was opened
    state = case.state
    measures = [e["data"]["measure"] for e in events if e["event_type"] == "case.measure_recorded"]
    return {**snapshot, "contact_count": state.contacts, "attempts": state.attempts,
            "goals": state.goals, "signposts": state.signposts, "budget_weeks": state.budget_weeks,
            "budget_sessions": state.budget_sessions, "sessions_used": state.contacts, "extensions": state.extensions,
            "reviewed": state.reviewed, "measures": measures, "measures_due": _measures_due(case, measures),
            "first_contact_deadline_missed": state.first_contact_deadline_missed,
            "consent": _consent(case, events), **_contact_offer(case)}


def _consent(case: Case, events: list[dict[str, Any]]) -> dict[str, Any]:
    """The wishes now, and how they came to be: as referred, then each change the case recorded."""
    history = [{**Consent.of(case.consent_at_referral).to_json(), "at": case.opened_at, "reported_by": "referral",
                "recorded_by": None}]
    history += [{key: e["data"].get(key) for key in ("to_contact", "to_data_sharing", "do_not_contact_by",
                                                      "preferred_contact", "reported_by", "reported_at", "at")}
                | {"recorded_by": e["data"].get("actor")}
                for e in events if e["event_type"] == "case.consent_changed"]
    return {**case.wishes.to_json(), "history": history}


def _contact_offer(case: Case) -> dict[str, Any]:
    """Whether the worker may contact the person now, and if not, why (the instruction to follow); the kinds of
    contact the person's wishes rule out (a contact the person starts is never ruled out)."""
    declined = [k.value for k in model.ContactKind if case.wishes.contact_refusal(k.value)]
    if case.status not in (model.CaseStatus.ASSIGNED, model.CaseStatus.ON_HOLD):
        reason: str | None = f"a {case.status} case has no worker to contact the person"
    elif not case.wishes.may_contact:
        reason = case.wishes.contact_refusal(model.ContactKind.FACE_TO_FACE)
    else:
        reason = None
    return {"can_record_contact": reason is None, "contact_refused_reason": reason,
            "contact_kinds_declined": declined}


async def find_cases(uow: CaseloadUnitOfWork, viewer: Viewer = EVERYONE, **criteria: Any) -> list[dict[str, Any]]:
    """Cases matching the criteria; a worker's own only, whatever worker it asked for."""
    if viewer.own_work_only:
        if criteria.get("worker_id") not in (None, viewer.worker_id) or viewer.worker_id is None:
            return []
        criteria["worker_id"] = viewer.worker_id
    async with uow:
        found = [case for case in await uow.views.find(**criteria) if viewer.sees_programme(case["programme_id"])]
        sites = {w["id"]: w["site"] for w in await uow.workers.list()} if viewer.sites is not None else {}
        found = [case for case in found
                 if viewer.sites is None or case["worker_id"] is None or viewer.sees_site(sites.get(case["worker_id"]))]
        shown = [await opened(uow, case, viewer, case["id"]) for case in found]
        await uow.commit()  # the audit trail's entries for what was opened
        return shown


async def case_events(uow: CaseloadUnitOfWork, case_id: uuid.UUID, viewer: Viewer = EVERYONE) -> list[dict[str, Any]]:
    async with uow:
        if viewer.limited:
            case = await uow.cases.get(case_id)
            if case is None:
                raise CaseNotFound(case_id)
            await require_sees_case(viewer, uow, case)
        shown = await opened(uow, await uow.views.events(case_id), viewer, case_id)
        await uow.commit()  # the audit trail's entry for what was opened
        return shown


async def workers(uow: CaseloadUnitOfWork, programme_id: str | None, viewer: Viewer = EVERYONE) -> list[dict[str, Any]]:
    async with uow:
        listed = await uow.workers.list(programme_id)
    return [worker for worker in listed if viewer.sees_programme(worker["programme_id"]) and viewer.sees_site(worker["site"])]


async def programme_settings(uow: CaseloadUnitOfWork, programme_id: str,
                             viewer: Viewer = EVERYONE) -> dict[str, Any]:
    """The settings caseload keeps for a programme, the defaults where it has set none: what a coordinator
    edits starts from these (the PUT replaces them all)."""
    viewer.require_in_programme(programme_id, "programme's settings")
    async with uow:
        return {"programme_id": programme_id, **await uow.settings.get(programme_id)}


async def open_offers(uow: CaseloadUnitOfWork, worker_id: uuid.UUID, viewer: Viewer = EVERYONE) -> list[dict[str, Any]]:
    viewer.require_own(worker_id, "worker's offer list")
    async with uow:
        if viewer.sites is not None:
            viewer.require_at_site(await worker_site(uow, worker_id), "worker's offer list")
        worker = await uow.workers.get(worker_id)
        shown = []
        for offer in await uow.offers.for_worker(worker_id):
            case = await uow.cases.get(offer["case_id"])
            shown.append({**await opened(uow, offer, viewer, offer.get("case_id")),
                          "offered": offered_case(case, worker, datetime.now(UTC)) if case else None})
        await uow.commit()  # the audit trail's entries for what was opened
        return shown


# What an offer shows of its case, for deciding before accepting: no one's words and nothing that identifies the
# person (their details open to the worker only once the case is theirs), only what triage sized and matched on.
OFFERED_NEEDS = ("language", "interpreter_needed", "gender_preference", "home_visit_needed", "postcode_district", "needs",
                 "complexity", "trigger_groups")


def offered_case(case: Case, worker: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The case as an offer shows it: programme, pathway, priority, complexity, what prompted the referral (triage's
    trigger groups), area and needs, how long it has waited, and
    the hours against the worker's room (their load already holds this offer's hours until it is answered)."""
    needs = case.needs or {}
    since = case.waiting_since or case.opened_at
    capacity = worker["capacity_hours"] if worker else None
    return {"programme_id": case.programme_id, "pathway": case.pathway, "priority": case.priority,
            "lead_role": case.lead_role, "expected_weekly_hours": case.expected_weekly_hours,
            "waiting_since": since, "waited_days": (now - since).days if since else None,
            **{key: needs.get(key) for key in OFFERED_NEEDS},
            "capacity_hours": capacity,
            "free_hours_if_accepted": (capacity - worker["load_hours"]) if worker else None}


# The report of declines looks back this far unless asked otherwise, and never further than a year.
DECLINES_DEFAULT_DAYS = 90
DECLINES_MAX_DAYS = 366


def declines_since(since: date | None, today: date) -> date:
    """The first day the report of declines counts: the one asked for, within the last year, else 90 days ago."""
    if since is None:
        return today - timedelta(days=DECLINES_DEFAULT_DAYS)
    if not today - timedelta(days=DECLINES_MAX_DAYS) <= since <= today:
        raise Invalid(f"since: a date from {DECLINES_MAX_DAYS} days ago up to today")
    return since


async def offer_declines(uow: CaseloadUnitOfWork, programme_id: str, since: date, viewer: Viewer = EVERYONE
                         ) -> dict[str, Any]:
    """Why the programme's offers were declined since that day, and how many lapsed unanswered: by reason code
    (null: a decline with a note and no code, from clients before the codes) and by worker, counting only the
    workers at the viewer's sites (a worker's own answers only). Counts and workers' names: nothing about the
    people offered, and none of the notes."""
    viewer.require_in_programme(programme_id, "report")
    async with uow:
        workers = {w["id"]: w for w in await uow.workers.list(programme_id)}
        answers = await uow.offers.answers_since(programme_id, datetime.combine(since, time(), UTC))
    seen = [a for a in answers if viewer.sees_site(workers.get(a["worker_id"], {}).get("site"))
            and (not viewer.own_work_only or a["worker_id"] == viewer.worker_id)]
    by_reason: Counter[str | None] = Counter()
    by_worker: dict[uuid.UUID, Counter[str]] = {}
    for answer in seen:
        if answer["status"] == "declined":
            by_reason[answer["response_code"]] += answer["count"]
        by_worker.setdefault(answer["worker_id"], Counter())[answer["status"]] += answer["count"]
    rows = [{"worker_id": worker_id, "name": workers.get(worker_id, {}).get("name"),
             "site": workers.get(worker_id, {}).get("site"), "declined": counts["declined"],
             "expired": counts["expired"]} for worker_id, counts in by_worker.items()]
    return {"programme_id": programme_id, "since": since.isoformat(),
            "declined": sum(by_reason.values()), "expired": sum(r["expired"] for r in rows),
            "by_reason": [{"reason_code": code, "declined": count}
                          for code, count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0] or "~"))],
            "by_worker": sorted(rows, key=lambda r: (-(r["declined"] + r["expired"]), r["name"] or ""))}
