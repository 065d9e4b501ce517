"""What every intake entrypoint takes from a request: the wired dependencies and, for partner
routes, the partner its API key authenticates. Shared by the JSON, FHIR and web routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from services.intake.bootstrap import Intake
from services.intake.domain import api_keys
from services.intake.domain.partner import Partner
from services.intake.service_layer import queries
from services.intake.service_layer.errors import ProgrammeNotAllowed, ReferenceReused, SubmissionRejected
from shared.platform.auth import (REFERRER, StaffPrincipal, client_keys, credential_failed, referrer_from_token,
                                  refuse_if_locked_out, route_access)
from shared.platform.logging import get_logger

log = get_logger(__name__)
_bearer = HTTPBearer(auto_error=False)
# Declared as a security scheme beside the bearer, so the documents say either one authenticates.
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def intake(request: Request) -> Intake:
    return request.app.state.ctx.dependencies


async def require_partner(request: Request, x_api_key: str | None = Security(_api_key),
                          credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Partner:
    """The partner its API key authenticates or, on a route whose policy row admits referrers, the partner the
    signed-in referrer works for: either way the route sees that partner's referrals only."""
    if not x_api_key and credentials is not None and route_access(request).roles & {REFERRER}:
        referrer = await referrer_from_token(request, credentials.credentials)
        partner = await queries.partner(intake(request).uow(), referrer.partner_id)
        if partner is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="this referrer's partner is not known here")
        return partner
    if not x_api_key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="an X-API-Key header is required")
    parts = api_keys.split_key(x_api_key)
    keys = client_keys(request, *([("api_key_id", parts[0][:32])] if parts else []))
    refuse_if_locked_out(request, keys)
    partner = await queries.authenticate_partner(intake(request).uow(), x_api_key)
    if partner is None:
        credential_failed(request, keys, "partner_key_refused")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="the API key is not valid or was revoked")
    return partner


@contextmanager
def held_slot(request: Request) -> Iterator[int | None]:
    """A place among the submissions in progress, within everyone's rate, held for the block: yields None,
    or the seconds to wait for one. For a route that answers a wait itself (the public form, with a page)."""
    admission = intake(request).admission
    try:
        yield admission.enter()
    finally:
        admission.leave()


async def submission_slot(request: Request) -> AsyncIterator[None]:
    """`held_slot`, refused with 429 and Retry-After, so a flood waits with its senders, not in this process
    or the database. Declared in a submission route's `dependencies`, it runs before the API key or token is
    checked: a flood costs no database work."""
    with held_slot(request) as wait:
        _throttle(wait, "any")
        yield


async def admit_partner_submission(request: Request, partner: Partner = Depends(require_partner)) -> Partner:
    """The partner a submission is from, within that partner's own rate (else 429 with Retry-After)."""
    _throttle(intake(request).admission.admit(partner.id), "partner", partner_id=partner.id)
    return partner


def admit_staff_submission(request: Request, principal: StaffPrincipal) -> None:
    """A member of staff taking phone referrals or logging outreach, within a submitter's rate, so a stuck
    script under one account cannot spend everyone's share (else 429 with Retry-After)."""
    _throttle(intake(request).admission.admit(f"staff:{principal.subject}"), "staff")


def address_wait(request: Request) -> int | None:
    """The seconds the public form's sender must wait, by the address they send from, or None. The address
    is personal data: it is a key in memory only, never logged."""
    wait = intake(request).admission.admit_address(client_keys(request)[0][1])
    if wait is not None:
        log.info("submission_throttled", submitter="address", retry_after_s=wait)
    return wait


def _throttle(wait: int | None, submitter: str, partner_id: str | None = None) -> None:
    if wait is not None:
        log.info("submission_throttled", submitter=submitter, partner_id=partner_id, retry_after_s=wait)
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail="too many submissions: try again later",
                            headers={"Retry-After": str(wait)})


def rejection_status(rejected: SubmissionRejected) -> int:
    """A programme the referrer may not refer to is forbidden, a reference that names another referral a
    conflict; anything else in the referral is invalid."""
    if isinstance(rejected, ProgrammeNotAllowed):
        return status.HTTP_403_FORBIDDEN
    if isinstance(rejected, ReferenceReused):
        return status.HTTP_409_CONFLICT
    return 422
