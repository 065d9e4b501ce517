"""Intake's HTTP API for partners (API key) and staff (bearer token)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy.exc import IntegrityError

from services.intake.domain.records import Partner
from services.intake.service_layer import batches, outreach, partners, referrals
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.http import correlation_id_of
from shared.platform.messaging.kafka import ensure_topic

router = APIRouter()
CASEWORK = ("admin", "coordinator", "connector", "volunteer")


def uow_factory(request: Request):
    return partial(IntakeUnitOfWork, request.app.state.ctx.engine)


async def require_partner(request: Request, x_api_key: str | None = Header(default=None)) -> Partner:
    if not x_api_key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="an X-API-Key header is required")
    partner = await partners.authenticate_partner(uow_factory(request), x_api_key)
    if partner is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="the API key is not valid or was revoked")
    return partner


def problem(rejected: referrals.SubmissionRejected) -> JSONResponse:
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


def accepted(outcome: referrals.Outcome) -> JSONResponse:
    referral = outcome.referral
    content: dict[str, Any] = {
        "referral_id": str(referral.id),
        "status": referral.status,
        "partner_referral_id": referral.partner_referral_id,
        "created": outcome.created,
        "correlation_id": str(referral.correlation_id),
    }
    if outcome.duplicate_of:
        content["linked_to_referral_id"] = str(outcome.duplicate_of)
        content["message"] = "This person already has an open referral; this one has been linked to it."
    if outcome.previous_referral_id:
        content["previous_referral_id"] = str(outcome.previous_referral_id)
    if referral.self_reference:
        content["reference"] = referral.self_reference
    return JSONResponse(
        status_code=201 if outcome.created else 200,
        headers={"Location": f"/v1/referrals/{referral.id}"},
        content=content,
    )


# --- partners --------------------------------------------------------------------------


@router.post("/v1/referrals", tags=["referrals"], status_code=201)
async def post_referral(
    request: Request,
    partner: Partner = Depends(require_partner),
    idempotency_key: str | None = Header(default=None, max_length=128),
) -> JSONResponse:
    """Submit a canonical referral. Idempotent on `partner_referral_id` (or the `Idempotency-Key` header)."""
    try:
        outcome = await referrals.submit(
            uow_factory(request), partner_id=partner.id, allowed_programmes=partner.allowed_programmes,
            channel="partner_api", body=await request.body(), reference=idempotency_key,
            correlation_id=correlation_id_of(request),
        )
    except referrals.SubmissionRejected as rejected:
        return problem(rejected)
    return accepted(outcome)


@router.get("/v1/referrals/{referral_id}", tags=["referrals"])
async def get_referral(referral_id: uuid.UUID, request: Request, partner: Partner = Depends(require_partner)) -> dict:
    """The referral's status and timeline, for the partner who referred it."""
    found = await partners.referral_for_partner(uow_factory(request), partner, referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such referral for this partner")
    return found


@router.get("/v1/referrals", tags=["referrals"])
async def find_referral(
    request: Request, partner_referral_id: str, partner: Partner = Depends(require_partner)
) -> dict:
    """Find one of your referrals by your own id for it."""
    found = await partners.referral_by_partner_reference(uow_factory(request), partner, partner_referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no referral with that partner_referral_id")
    return found


@router.post("/v1/referral-batches", tags=["referrals"], status_code=201)
async def post_batch(
    request: Request, partner: Partner = Depends(require_partner),
    x_filename: str | None = Header(default=None, max_length=255),
) -> JSONResponse:
    """A CSV file (the body, text/csv) read with the partner's column mapping; a report per row."""
    ufw = uow_factory(request)
    try:
        report = await batches.process_batch(
            ufw, partner=partner, mapping=await partners.csv_mapping(ufw, partner.id), filename=x_filename,
            content=await request.body(), correlation_id=correlation_id_of(request),
        )
    except batches.BatchRejected as rejected:
        return JSONResponse(status_code=422, media_type="application/problem+json",
                            content={"title": "The file cannot be processed", "status": 422,
                                     "detail": rejected.problem})
    return JSONResponse(status_code=201, content=report)


# --- staff -------------------------------------------------------------------------------


@router.post("/v1/phone-referrals", tags=["staff"], status_code=201)
async def post_phone_referral(
    request: Request, principal: StaffPrincipal = Depends(require_staff(*CASEWORK))
) -> JSONResponse:
    """A referral taken by phone by staff: the same canonical payload and checks as every channel."""
    try:
        outcome = await referrals.submit(
            uow_factory(request), partner_id="staff-phone", allowed_programmes=None, channel="phone",
            body=await request.body(), correlation_id=correlation_id_of(request),
        )
    except referrals.SubmissionRejected as rejected:
        return problem(rejected)
    return accepted(outcome)


class OutreachContact(BaseModel):
    programme_id: str = Field(min_length=1)
    met_at: str = Field(min_length=1, max_length=200, description="e.g. 'listening bench, Ridley Road market'")
    occurred_at: datetime | None = None
    first_name: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
    agreed_to_follow_up: bool = False


@router.post("/v1/outreach-contacts", tags=["staff"], status_code=201)
async def post_outreach(
    body: OutreachContact, request: Request, principal: StaffPrincipal = Depends(require_staff(*CASEWORK))
) -> dict:
    """Someone met at outreach, possibly anonymous; complete it into a referral later."""
    contact_id = await outreach.log_contact(
        uow_factory(request), programme_id=body.programme_id, met_at=body.met_at,
        occurred_at=body.occurred_at or datetime.now(UTC), logged_by=principal.subject,
        details=body.model_dump(mode="json", include={"first_name", "notes", "agreed_to_follow_up"}),
    )
    return {"outreach_contact_id": str(contact_id)}


@router.post("/v1/outreach-contacts/{contact_id}/referral", tags=["staff"], status_code=201)
async def complete_outreach(
    contact_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff(*CASEWORK))
) -> JSONResponse:
    try:
        data = await request.json()
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the body must be a JSON referral") from None
    if not isinstance(data, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the body must be a JSON object")
    try:
        outcome = await outreach.complete(uow_factory(request), contact_id, data, correlation_id_of(request))
    except referrals.SubmissionRejected as rejected:
        return problem(rejected)
    if outcome is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such outreach contact")
    return accepted(outcome)


@router.get("/v1/match-reviews", tags=["staff"])
async def list_match_reviews(
    request: Request, _: StaffPrincipal = Depends(require_staff("admin", "coordinator"))
) -> list[dict]:
    """Uncertain person matches, oldest first, for a person to decide."""
    async with uow_factory(request)() as uow:
        return await uow.persons.reviews("open")


class MatchDecision(BaseModel):
    same_person: bool


@router.post("/v1/match-reviews/{review_id}/decision", tags=["staff"])
async def decide_match(
    review_id: uuid.UUID, body: MatchDecision, request: Request,
    principal: StaffPrincipal = Depends(require_staff("admin", "coordinator")),
) -> dict:
    async with uow_factory(request)() as uow:
        review = await uow.persons.review(review_id)
        if review is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such review")
        if review["status"] != "open":
            raise HTTPException(status.HTTP_409_CONFLICT, detail="this review is already decided")
        if body.same_person:
            await uow.persons.merge(review["person_id"], review["candidate_person_id"])
        await uow.persons.decide_review(review_id, "same_person" if body.same_person else "different_people",
                                        principal.subject)
        await uow.commit()
    return {"review_id": str(review_id), "same_person": body.same_person}


# --- administration -------------------------------------------------------------------------


class NewPartner(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    allowed_programmes: list[str] = Field(min_length=1)


@router.post("/v1/partners", tags=["partners"], status_code=201)
async def create_partner(body: NewPartner, request: Request, _: StaffPrincipal = Depends(require_staff("admin"))) -> dict:
    from services.intake.service_layer.status import SYSTEM_PARTNERS

    if body.id in SYSTEM_PARTNERS:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"{body.id!r} is reserved")
    try:
        await partners.register_partner(uow_factory(request), Partner(body.id, body.name, tuple(body.allowed_programmes)))
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"partner {body.id!r} already exists") from None
    ctx = request.app.state.ctx
    await ensure_topic(ctx.settings.kafka_bootstrap_servers, ctx.topics.referral_status(body.id))
    return {"id": body.id, "status_topic": ctx.topics.referral_status(body.id)}


@router.post("/v1/partners/{partner_id}/api-keys", tags=["partners"], status_code=201)
async def create_partner_key(partner_id: str, request: Request, _: StaffPrincipal = Depends(require_staff("admin"))) -> dict:
    """Issue an API key. The plaintext is shown once; only its hash is stored."""
    key = await partners.issue_partner_key(uow_factory(request), partner_id)
    if key is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such partner")
    return {"partner_id": partner_id, "api_key": key}


class Webhook(BaseModel):
    url: HttpUrl
    secret: str = Field(min_length=16, max_length=200)


@router.put("/v1/partners/{partner_id}/webhook", tags=["partners"])
async def put_webhook(partner_id: str, body: Webhook, request: Request,
                      _: StaffPrincipal = Depends(require_staff("admin"))) -> dict:
    if not await partners.configure_webhook(uow_factory(request), partner_id, str(body.url), body.secret):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such partner")
    return {"partner_id": partner_id, "url": str(body.url)}


@router.put("/v1/partners/{partner_id}/csv-mapping", tags=["partners"])
async def put_csv_mapping(partner_id: str, request: Request, _: StaffPrincipal = Depends(require_staff("admin"))) -> dict:
    from pydantic import ValidationError

    from services.intake.domain.csv_rows import CsvMapping

    try:
        mapping = CsvMapping.model_validate(await request.json())
    except (ValidationError, ValueError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=f"not a valid mapping: {exc}") from None
    if not await partners.set_csv_mapping(uow_factory(request), partner_id, mapping.model_dump()):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such partner")
    return {"partner_id": partner_id, "mapping": mapping.model_dump()}


class Programme(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    self_referral_open: bool = True


@router.put("/v1/programmes/{programme_id}", tags=["programmes"])
async def put_programme(programme_id: str, body: Programme, request: Request,
                        _: StaffPrincipal = Depends(require_staff("admin"))) -> dict:
    await partners.put_programme(uow_factory(request), programme_id, body.name, body.self_referral_open)
    return {"id": programme_id, **body.model_dump()}
