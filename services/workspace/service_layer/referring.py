"""A referrer's pages: their partner's referrals with each status in plain words, and making a referral.

Intake decides, from the referrer's own token, which partner they speak for: the list and the referral are
that partner's only, as its API key's would be."""

from __future__ import annotations

from typing import Any

from services.workspace.domain.session import REFERRING_ROLES, Session
from services.workspace.service_layer.errors import Forbidden
from services.workspace.service_layer.ports import Connect


def require_referrer(session: Session) -> None:
    if not session.has_any(REFERRING_ROLES):
        raise Forbidden("Making and following referrals is for a partner's referrers.")


async def own_referrals(connect: Connect, session: Session) -> list[dict[str, Any]]:
    require_referrer(session)
    return await connect(session.token).intake.get("/v1/partner-referrals")


async def make_referral(connect: Connect, session: Session, body: dict[str, Any]) -> dict[str, Any]:
    """Sent to intake as the referrer's partner; intake's refusals (Invalid, Forbidden, Conflict) come back."""
    require_referrer(session)
    return await connect(session.token).intake.post("/v1/referrals", body)
