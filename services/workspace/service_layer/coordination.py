"""A coordinator's queues: triage reviews (the rules that fired, the facts they read) and uncertain person
matches, each decided by the service that owns it (triage, intake) as the signed-in coordinator."""

from __future__ import annotations

from typing import Any

from services.workspace.domain.offers import declines_in_words
from services.workspace.domain.session import COORDINATING_ROLES, OVERSEEING_ROLES, Session
from services.workspace.service_layer.casework import case_id_of
from services.workspace.service_layer.errors import Conflict, Forbidden, NotFound
from services.workspace.service_layer.ports import Connect


def require_coordinator(session: Session) -> None:
    if not session.has_any(COORDINATING_ROLES):
        raise Forbidden("Reviews are for coordinators.")


async def triage_reviews(connect: Connect, session: Session) -> list[dict[str, Any]]:
    require_coordinator(session)
    return await connect(session.token).triage.get("/v1/reviews")


async def triage_review(connect: Connect, session: Session, review_id: str) -> dict[str, Any]:
    """One open review with the decision so far: the rules evaluated, in words, and the facts they read."""
    require_coordinator(session)
    review_id = case_id_of(review_id)
    triage = connect(session.token).triage
    review = next((r for r in await triage.get("/v1/reviews") if str(r["id"]) == review_id), None)
    if review is None:
        raise NotFound(review_id)  # decided already, or not in the coordinator's programmes
    try:
        decision = await triage.get(f"/v1/decisions/{review['referral_id']}")
    except NotFound:
        decision = None
    return {"review": review, "decision": decision}


async def decide_triage_review(connect: Connect, session: Session, review_id: str, body: dict[str, Any]) -> None:
    """Claim the review (so no one else decides it meanwhile), then decide it; triage refuses one claimed by another."""
    require_coordinator(session)
    review_id = case_id_of(review_id)
    triage = connect(session.token).triage
    try:
        await triage.post(f"/v1/reviews/{review_id}/claim")
    except Conflict:
        pass  # claimed already: by this coordinator the decision goes through; by another, triage says so
    await triage.post(f"/v1/reviews/{review_id}/decision", body)


async def match_reviews(connect: Connect, session: Session) -> list[dict[str, Any]]:
    require_coordinator(session)
    return await connect(session.token).intake.get("/v1/match-reviews")


async def match_review(connect: Connect, session: Session, review_id: str) -> dict[str, Any]:
    """One open review with both records' details side by side (intake audits the read, the review its purpose)."""
    require_coordinator(session)
    return await connect(session.token).intake.get(f"/v1/match-reviews/{case_id_of(review_id)}")


async def decide_match(connect: Connect, session: Session, review_id: str, same_person: bool) -> None:
    require_coordinator(session)
    await connect(session.token).intake.post(f"/v1/match-reviews/{case_id_of(review_id)}/decision",
                                             {"same_person": same_person})




def require_oversight(session: Session) -> None:
    if not session.has_any(OVERSEEING_ROLES):
        raise Forbidden("The waiting list and capacity are for coordinators and managers.")


def programme_of(session: Session, asked: str) -> str:
    """The programme a page is about: the one asked for, else the person's first (or the demo's)."""
    if asked:
        return asked[:100]
    return (session.programmes or ("demo",))[0]


async def waiting_list(connect: Connect, session: Session, programme_id: str) -> list[dict[str, Any]]:
    require_oversight(session)
    return await connect(session.token).caseload.get("/v1/waiting-list", programme_id=programme_id)


async def capacity(connect: Connect, session: Session, programme_id: str) -> dict[str, Any]:
    """Each worker's hours and cases against their capacity, the totals per site, and why offers were declined
    over the last 90 days (caseload's default window), by reason and by worker, with the offers that lapsed."""
    require_oversight(session)
    caseload = connect(session.token).caseload
    workers = await caseload.get("/v1/workers", programme_id=programme_id)
    declines = declines_in_words(await caseload.get("/v1/reports/offer-declines", programme_id=programme_id))
    sites: dict[str, dict[str, float]] = {}
    for worker in workers:
        if not worker.get("active", True):
            continue
        site = sites.setdefault(worker.get("site") or "No site", {"capacity_hours": 0.0, "load_hours": 0.0,
                                                                   "workers": 0, "open_cases": 0})
        site["capacity_hours"] += float(worker.get("capacity_hours") or 0)
        site["load_hours"] += float(worker.get("load_hours") or 0)
        site["workers"] += 1
        site["open_cases"] += int(worker.get("open_cases") or 0)
    return {"workers": workers, "sites": dict(sorted(sites.items())), "declines": declines}
