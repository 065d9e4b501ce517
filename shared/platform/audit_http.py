"""The audit trail's routes, the same on every service that keeps one: entries by person, by user and by time
(oldest first, a page at a time), and the check of the hash chain. For admin and auditor (policy.AUDIT)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BeforeValidator

from shared.platform.audit import check_json, entry_json, verify
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.uow import UnitOfWork

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    """A date-time as the document says (ISO 8601), never a bare number read as seconds since 1970."""
    if isinstance(value, str) and not ISO_DATE.match(value):
        raise ValueError("a date-time in ISO 8601, e.g. 2026-12-05T09:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


async def trail_entries(uow: Any, *, person_id: uuid.UUID | None = None, actor: str | None = None,
                        since: datetime | None = None, until: datetime | None = None, limit: int = 500,
                        after: int | None = None) -> list[dict[str, Any]]:
    async with uow:
        found = await uow.audit.entries(person_id=person_id, actor=actor, since=since, until=until, limit=limit,
                                        after=after)
    return [entry_json(e) for e in found]


async def trail_check(uow: Any) -> dict[str, Any]:
    async with uow:
        return check_json(verify(await uow.audit.chain()))


def audit_trail_router(unit_of_work: Callable[..., UnitOfWork]) -> APIRouter:
    """The two routes, reading the trail through `unit_of_work` (a FastAPI dependency giving a fresh unit of
    work whose `audit` is the service's trail)."""
    router = APIRouter(tags=["audit"])

    @router.get("/v1/audit-trail")
    async def audit_trail(person_id: uuid.UUID | None = None,
                          actor: str | None = Query(default=None, max_length=200),
                          since: IsoDateTime | None = None, until: IsoDateTime | None = None,
                          after: int | None = Query(default=None, ge=0, description="the last seq of the page before"),
                          limit: int = Query(default=500, ge=1, le=5000), uow: UnitOfWork = Depends(unit_of_work),
                          _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
        """Who opened or wrote whose sealed notes, when and why, oldest first: by person, by user, by time.
        The next page: `after` the last entry's seq."""
        return await trail_entries(uow, person_id=person_id, actor=actor, since=since, until=until, limit=limit,
                                   after=after)

    @router.get("/v1/audit-trail/verification")
    async def audit_trail_verification(uow: UnitOfWork = Depends(unit_of_work),
                                       _: StaffPrincipal = Depends(require_staff())) -> dict:
        """Recomputes the trail's hash chain: intact, or the first entry that no longer fits."""
        return await trail_check(uow)

    return router
