"""A coordinator's queues: triage reviews (the rules that fired, the facts they read) and uncertain person
matches, each decided by the service that owns it (triage, intake) as the signed-in coordinator."""

from __future__ import annotations

from typing import Any

from services.workspace.domain.session import COORDINATING_ROLES, Session
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
    review_id = case_id_of(review_id)
    review = next((r for r in await match_reviews(connect, session) if str(r["id"]) == review_id), None)
    if review is None:
        raise NotFound(review_id)
    return review


async def decide_match(connect: Connect, session: Session, review_id: str, same_person: bool) -> None:
    require_coordinator(session)
    await connect(session.token).intake.post(f"/v1/match-reviews/{case_id_of(review_id)}/decision",
                                             {"same_person": same_person})
