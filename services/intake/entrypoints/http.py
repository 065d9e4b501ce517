"""Intake's HTTP API: partners post referrals and follow them; staff manage partners."""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.intake.adapters.repository import Partner
from services.intake.service_layer import handlers
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.http import correlation_id_of

router = APIRouter()


def uow_factory(request: Request):
    return partial(IntakeUnitOfWork, request.app.state.ctx.engine)


async def require_partner(request: Request, x_api_key: str | None = Header(default=None)) -> Partner:
    if not x_api_key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="an X-API-Key header is required")
    partner = await handlers.authenticate_partner(uow_factory(request), x_api_key)
    if partner is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="the API key is not valid or was revoked")
    return partner


@router.post("/v1/referrals", tags=["referrals"], status_code=201)
async def post_referral(
    request: Request,
    partner: Partner = Depends(require_partner),
    idempotency_key: str | None = Header(default=None, max_length=128),
) -> JSONResponse:
    """Submit a referral. Idempotent on `partner_referral_id` (or the `Idempotency-Key` header)."""
    body = await request.body()
    try:
        result = await handlers.submit_referral(
            uow_factory(request),
            partner=partner,
            body=body,
            channel="partner_api",
            idempotency_key=idempotency_key,
            correlation_id=correlation_id_of(request),
        )
    except handlers.SubmissionRejected as rejected:
        return JSONResponse(
            status_code=rejected.status,
            media_type="application/problem+json",
            content={
                "title": rejected.title,
                "status": rejected.status,
                "detail": "; ".join(f"{e['field']}: {e['problem']}" for e in rejected.errors),
                "errors": rejected.errors,
            },
        )
    referral = result.referral
    return JSONResponse(
        status_code=201 if result.created else 200,
        headers={"Location": f"/v1/referrals/{referral.id}"},
        content={
            "referral_id": str(referral.id),
            "status": referral.status,
            "partner_referral_id": referral.partner_referral_id,
            "created": result.created,
            "correlation_id": str(referral.correlation_id),
        },
    )


@router.get("/v1/referrals/{referral_id}", tags=["referrals"])
async def get_referral(referral_id: uuid.UUID, request: Request, partner: Partner = Depends(require_partner)) -> dict:
    """The referral's status and timeline, for the partner who referred it."""
    found = await handlers.referral_for_partner(uow_factory(request), partner, referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such referral for this partner")
    return found


class NewPartner(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    allowed_programmes: list[str] = Field(min_length=1)


@router.post("/v1/partners", tags=["partners"], status_code=201)
async def create_partner(
    body: NewPartner, request: Request, _: StaffPrincipal = Depends(require_staff("admin"))
) -> dict:
    from sqlalchemy.exc import IntegrityError

    try:
        await handlers.register_partner(
            uow_factory(request), Partner(body.id, body.name, tuple(body.allowed_programmes))
        )
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"partner {body.id!r} already exists") from None
    return {"id": body.id}


@router.post("/v1/partners/{partner_id}/api-keys", tags=["partners"], status_code=201)
async def create_partner_key(
    partner_id: str, request: Request, _: StaffPrincipal = Depends(require_staff("admin"))
) -> dict:
    """Issue an API key. The plaintext is shown once; only its hash is stored."""
    key = await handlers.issue_partner_key(uow_factory(request), partner_id)
    if key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such partner")
    return {"partner_id": partner_id, "api_key": key}
