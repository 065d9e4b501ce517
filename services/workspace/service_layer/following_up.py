"""Coordinators' follow-up of submissions intake refused: the list with plain reasons, and one opened.

Intake decides whose refusals a person sees (the partners referring to their programmes) and records every
opening of a submission in its audit trail; the workspace asks as the signed-in person."""

from __future__ import annotations

import json
import uuid
from typing import Any

from services.workspace.domain.rejections import FOLLOW_UPS, channel_name, plain_reasons
from services.workspace.domain.session import COORDINATING_ROLES, OPERATING_ROLES, Session
from services.workspace.service_layer.errors import Forbidden, NotFound
from services.workspace.service_layer.ports import Connect

LISTED = 200


def require_follow_up(session: Session) -> None:
    if not session.has_any(COORDINATING_ROLES | OPERATING_ROLES):
        raise Forbidden("Rejected submissions are for coordinators, operators and administrators.")


def _plain(found: dict[str, Any]) -> dict[str, Any]:
    return {**found, "channel_name": channel_name(str(found.get("channel") or "")),
            "plain_reasons": plain_reasons(found.get("reasons") or []),
            "follow_up_name": FOLLOW_UPS.get(str(found.get("followed_up")), "") if found.get("followed_up") else ""}


async def follow_up(connect: Connect, session: Session, submission_id: str, outcome: str) -> None:
    """Mark a refusal followed up: the partner told, or nothing to do."""
    if not session.has_any(COORDINATING_ROLES):
        raise Forbidden("Only coordinators and administrators follow up a rejected submission.")
    if outcome not in FOLLOW_UPS:
        raise NotFound(outcome)
    try:
        wanted = uuid.UUID(submission_id)
    except ValueError:
        raise NotFound(submission_id) from None
    await connect(session.token).intake.post(f"/v1/rejected-submissions/{wanted}/follow-up", {"outcome": outcome})


async def rejected_submissions(connect: Connect, session: Session, partner_id: str = "",
                               everything: bool = False) -> list[dict[str, Any]]:
    """Newest first, each with its channel and reasons in plain words: those waiting for someone, or all."""
    require_follow_up(session)
    found = await connect(session.token).intake.get("/v1/rejected-submissions", partner_id=partner_id or None,
                                                    limit=LISTED, waiting=None if everything else "true")
    return [_plain(f) for f in found]


async def rejected_submission(connect: Connect, session: Session, submission_id: str) -> dict[str, Any]:
    """One refused submission as it was sent (intake records the reading in its audit trail)."""
    if not session.has_any(COORDINATING_ROLES):
        raise Forbidden("Only coordinators and administrators open a submission: it can name a person.")
    try:
        wanted = uuid.UUID(submission_id)
    except ValueError:
        raise NotFound(submission_id) from None
    found = _plain(await connect(session.token).intake.get(f"/v1/rejected-submissions/{wanted}"))
    return {**found, "body": readable(found.get("body"))}


def readable(body: str | None) -> str | None:
    """JSON laid out one field a line, so a coordinator finds what was wrong; anything else as it was sent."""
    if body is None:
        return None
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
