"""A worker's day: offers, the caseload with what is due, a case, and everything recorded on it.

Each use case calls caseload (and intake, for whom to call) as the signed-in person, so caseload's own rules
decide: a worker sees and changes only their own offers and cases, and the refusal becomes the 403 page.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from services.workspace.domain import dues as due_rules
from services.workspace.domain.casework import timeline_entry
from services.workspace.domain.session import Session
from services.workspace.service_layer.errors import Forbidden, NotFound
from services.workspace.service_layer.ports import Connect


def case_id_of(value: str) -> str:
    """An id from an address: a UUID, or the page is simply not found (never a stack trace)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise NotFound(value) from None


def require_worker(session: Session) -> str:
    if not session.worker_id:
        raise Forbidden("Only a connector or volunteer with a worker profile has offers and a caseload.")
    return session.worker_id


async def my_offers(connect: Connect, session: Session) -> list[dict[str, Any]]:
    worker_id = require_worker(session)
    return await connect(session.token).caseload.get(f"/v1/workers/{worker_id}/offers")


async def my_offer(connect: Connect, session: Session, offer_id: str) -> dict[str, Any]:
    """One of the worker's open offers; not found once it is answered, lapsed, or someone else's."""
    offer_id = case_id_of(offer_id)
    for offer in await my_offers(connect, session):
        if str(offer.get("id")) == offer_id:
            return offer
    raise NotFound(offer_id)


async def answer_offer(connect: Connect, session: Session, offer_id: str, accept: bool,
                       decline: dict[str, str] | None = None) -> dict[str, Any]:
    """Accept the offer, or decline it with `decline` (the reason code, and the note if there is one)."""
    offer_id = case_id_of(offer_id)
    caseload = connect(session.token).caseload
    if accept:
        return await caseload.post(f"/v1/offers/{offer_id}/accept")
    return await caseload.post(f"/v1/offers/{offer_id}/decline", decline or {})


async def my_caseload(connect: Connect, session: Session, sort: str, now: datetime | None = None,
                      show: str = "open") -> list[dict[str, Any]]:
    """The worker's cases with the next thing due on each, in the order asked for."""
    worker_id = require_worker(session)
    now = now or datetime.now(UTC)
    cases = await connect(session.token).caseload.get("/v1/cases", worker_id=worker_id)
    if show == "open":
        cases = [c for c in cases if c.get("status") in due_rules.OPEN_STATUSES]
    rows = [{**case, "dues": due_rules.dues(case, now)} for case in cases]
    return due_rules.sort_caseload(rows, sort, now)


async def case_page(connect: Connect, session: Session, case_id: str) -> dict[str, Any]:
    """The case, whom to call and how (intake's registry, audited there), goals, signposts and the timeline."""
    case_id = case_id_of(case_id)
    apis = connect(session.token)
    case = await apis.caseload.get(f"/v1/cases/{case_id}")
    events = await apis.caseload.get(f"/v1/cases/{case_id}/events")
    person, person_refusal = None, None
    try:
        person = await apis.intake.get(f"/v1/cases/{case_id}/person")
    except NotFound:
        person_refusal = "The person's details are not here yet: reload the page in a moment."
    except Forbidden:
        # Intake learns who holds a case from caseload's events, so just after an offer is accepted it may not
        # know yet; on a closed case the worker no longer reads the details at all.
        person_refusal = ("The person's details are not open to you: if you have just accepted this case, reload "
                          "the page in a moment.")
    goals = [{"id": str(e["data"]["goal_id"]), "description": e["data"].get("description", ""),
              "progress": (case.get("goals") or {}).get(str(e["data"]["goal_id"]), "not_started")}
             for e in events if e.get("event_type") == "case.goal_set"]
    signposts = [{"id": str(e["data"]["signpost_id"]), "destination": e["data"].get("destination", ""),
                  "category": e["data"].get("category"),
                  "taken_up": (case.get("signposts") or {}).get(str(e["data"]["signpost_id"]))}
                 for e in events if e.get("event_type") == "case.signposted"]
    return {"case": case, "person": person, "person_refusal": person_refusal, "goals": goals,
            "signposts": signposts, "timeline": [timeline_entry(e) for e in reversed(events)],
            "dues": due_rules.dues(case, datetime.now(UTC))}


# What each casework form posts to, under /v1/cases/{case_id}.
ACTIONS = {"contact": "/contacts", "goal": "/goals", "signpost": "/signposts", "unmet_need": "/unmet-needs",
           "measure": "/measures", "review": "/review", "extend": "/extend", "hold": "/hold", "resume": "/resume",
           "transfer": "/transfer", "close": "/close", "consent": "/consent"}


async def record(connect: Connect, session: Session, case_id: str, action: str, body: dict[str, Any] | None = None,
                 sub_path: str = "") -> Any:
    """One thing done on a case, as caseload's command for it; caseload's refusal is raised as it said it."""
    case_id = case_id_of(case_id)
    return await connect(session.token).caseload.post(f"/v1/cases/{case_id}{ACTIONS[action]}{sub_path}", body)


async def case_brief(connect: Connect, session: Session, case_id: str) -> dict[str, Any]:
    """Just the case (for a form's page): its status, and whether it is the person's to see."""
    return await connect(session.token).caseload.get(f"/v1/cases/{case_id_of(case_id)}")


async def transfer_targets(connect: Connect, session: Session, case_id: str) -> dict[str, str]:
    """Worker id -> name, for the case's programme, leaving out the worker who holds it (a coordinator's list)."""
    caseload = connect(session.token).caseload
    case = await caseload.get(f"/v1/cases/{case_id_of(case_id)}")
    listed = await caseload.get("/v1/workers", programme_id=case.get("programme_id"))
    return {str(w["id"]): f"{w.get('name')} ({w.get('role')})" for w in listed
            if str(w["id"]) != str(case.get("worker_id")) and w.get("active", True)}


async def person_to_correct(connect: Connect, session: Session, case_id: str) -> dict[str, Any]:
    """The person's contact details as intake holds them now, to start the form from. Intake decides who may
    (the same people who may change them): its refusal is the 403 page, and the read is audited there."""
    return await connect(session.token).intake.get(f"/v1/cases/{case_id_of(case_id)}/person")


async def correct_contact_details(connect: Connect, session: Session, case_id: str,
                                  patch: dict[str, Any]) -> dict[str, Any]:
    """Intake's merge patch of how to reach the person; its refusal is raised as it said it."""
    return await connect(session.token).intake.request("PATCH", f"/v1/cases/{case_id_of(case_id)}/person", json=patch)
