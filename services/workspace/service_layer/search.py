"""Referral search: a coordinator asks intake (as themselves), which searches their own programmes only and
records each person shown in its audit trail."""

from __future__ import annotations

from typing import Any

from services.workspace.domain.search import FIELDS
from services.workspace.domain.session import COORDINATING_ROLES, Session
from services.workspace.service_layer.errors import Forbidden, Invalid
from services.workspace.service_layer.ports import Connect

PAGE_SIZE = 20


def require_searcher(session: Session) -> None:
    # Coordinators find people to act on them; managers read figures, not names.
    if not session.has_any(COORDINATING_ROLES):
        raise Forbidden("Searching referrals is for coordinators.")


async def search_referrals(connect: Connect, session: Session, terms: dict[str, str],
                           offset: int = 0) -> dict[str, Any]:
    """One page of what intake finds. Invalid names each problem with the form's own field."""
    require_searcher(session)
    try:
        return await connect(session.token).intake.get("/v1/referral-search", **terms, limit=PAGE_SIZE, offset=offset)
    except Invalid as invalid:
        # Intake names query parameters as "query.<name>": the form's fields have the same names.
        problems = [{**p, "field": f if (f := p["field"].removeprefix("query.")) in FIELDS else ""}
                    for p in invalid.problems]
        raise Invalid(problems) from None
