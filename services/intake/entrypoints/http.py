"""Intake's HTTP API for partners (API key) and staff (bearer token).

Routes turn requests into commands and results into responses; the service layer's
refusals come back by kind and get their HTTP status here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StrictBool, StrictInt, ValidationError, field_validator

from services.intake.bootstrap import Intake
from services.intake.domain.csv_rows import CsvMapping
from services.intake.domain.partner import Partner
from services.intake.domain.submission import ReferralSubmission
from services.intake.entrypoints.dependencies import (admit_partner_submission, admit_staff_submission, intake,
                                                      rejection_status, require_partner, submission_slot)
from services.intake.service_layer import commands as c
from services.intake.service_layer import queries
from services.intake.service_layer.errors import (
    BatchRejected,
    Forbidden,
    NotFound,
    Refused,
    SubmissionRejected,
)
from services.intake.service_layer.referrals import Outcome
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.http import correlation_id_of, refusals_as_http
from shared.platform.messaging.kafka import ensure_topic
from shared.platform.openapi import errors, request_body, text_body

router = APIRouter()

# What the OpenAPI document shows; the routes validate the raw body against the same models.
MINIMAL_REFERRAL = {"programme_id": "demo", "consent": {"to_referral": True},
                    "person": {"given_name": "Olive", "family_name": "Example", "age_years": 81}}
REFERRAL_BODY = request_body(ReferralSubmission, example=MINIMAL_REFERRAL,
                             description="The canonical referral; it is kept exactly as sent.")
FORBIDDEN_PROGRAMME = {403: "A programme this referrer may not refer to (or, for staff, a role the route does "
                            "not accept).",
                       409: "The reference (partner_referral_id or Idempotency-Key) already names a referral sent "
                            "with other content; the problem names it, and this submission is kept as sent."}


class ReferralAccepted(BaseModel):
    """A referral received (201), or the one already received for the same reference (200)."""

    referral_id: uuid.UUID
    status: str
    partner_referral_id: str | None = None
    created: bool = Field(description="false when this repeats a submission already received")
    correlation_id: uuid.UUID
    linked_to_referral_id: uuid.UUID | None = Field(default=None, description="the person's open referral")
    message: str | None = None
    previous_referral_id: uuid.UUID | None = None
    reference: str | None = Field(default=None, description="the self-referrer's reference")


ALREADY_RECEIVED = {200: {"model": ReferralAccepted, "description": "Already received: the first referral."}}


REFUSALS = {NotFound: status.HTTP_404_NOT_FOUND, Refused: status.HTTP_409_CONFLICT,
            Forbidden: status.HTTP_403_FORBIDDEN}


async def _guard(call):
    with refusals_as_http(REFUSALS):
        return await call


def problem(rejected: SubmissionRejected) -> JSONResponse:
    code = rejection_status(rejected)
    return JSONResponse(
        status_code=code,
        media_type="application/problem+json",
        content={
            "title": rejected.title,
            "status": code,
            "detail": "; ".join(f"{e['field']}: {e['problem']}" for e in rejected.errors),
            "errors": rejected.errors,
        },
    )


def accepted(outcome: Outcome) -> JSONResponse:
    referral = outcome.referral
    content: dict[str, Any] = {
        "referral_id": str(referral.id),
        "status": referral.status,
        "partner_referral_id": referral.partner_referral_id,
        "created": outcome.created,
        "correlation_id": str(referral.correlation_id),
    }
    if outcome.linked_to_referral_id:
        content["linked_to_referral_id"] = str(outcome.linked_to_referral_id)
        content["message"] = "This person already has an open referral; this one has been linked to it."
    elif outcome.duplicate_of:
        content["message"] = ("This person is already known to the service; this referral has been joined to "
                              "their support.")
    if outcome.previous_referral_id:
        content["previous_referral_id"] = str(outcome.previous_referral_id)
    if referral.self_reference:
        content["reference"] = referral.self_reference
    return JSONResponse(
        status_code=201 if outcome.created else 200,
        headers={"Location": f"/v1/referrals/{referral.id}"},
        content=content,
    )


async def submit(deps: Intake, command: c.SubmitReferral) -> JSONResponse:
    try:
        return accepted(await deps.handle(command))
    except SubmissionRejected as rejected:
        return problem(rejected)


# --- partners --------------------------------------------------------------------------


@router.post("/v1/referrals", tags=["referrals"], status_code=201, response_model=ReferralAccepted,
    dependencies=[Depends(submission_slot)],
    responses={**ALREADY_RECEIVED, **errors(401, 403, 409, 413, 422, 429, why=FORBIDDEN_PROGRAMME)},
    openapi_extra=REFERRAL_BODY)
async def post_referral(
    request: Request,
    partner: Partner = Depends(admit_partner_submission),
    idempotency_key: str | None = Header(default=None, max_length=128),
    deps: Intake = Depends(intake),
) -> JSONResponse:
    """Submit a canonical referral. Idempotent on `partner_referral_id` (or the `Idempotency-Key` header)."""
    return await submit(deps, c.SubmitReferral(
        partner.id, partner_id=partner.id, partner=partner, channel="partner_api",
        body=await request.body(), reference=idempotency_key, reference_field="Idempotency-Key",
        correlation_id=correlation_id_of(request)))


@router.get("/v1/referrals/{referral_id}", tags=["referrals"], responses=errors(401, 404, 422))
async def get_referral(referral_id: uuid.UUID, partner: Partner = Depends(require_partner),
                       deps: Intake = Depends(intake)) -> dict:
    """The referral's status and timeline, for the partner who referred it."""
    found = await queries.referral_for_partner(deps.uow(), partner, referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such referral for this partner")
    return found


@router.get("/v1/referrals", tags=["referrals"], responses=errors(401, 404, 422))
async def find_referral(
    partner_referral_id: str, partner: Partner = Depends(require_partner), deps: Intake = Depends(intake)
) -> dict:
    """Find one of your referrals by your own id for it."""
    found = await queries.referral_by_partner_reference(deps.uow(), partner, partner_referral_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no referral with that partner_referral_id")
    return found


@router.get("/v1/partner-referrals", tags=["referrals"], responses=errors(401, 422))
async def list_partner_referrals(
    partner: Partner = Depends(require_partner), deps: Intake = Depends(intake),
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict]:
    """Your latest referrals, newest first, each with its status in plain words (for a referrer's own list)."""
    return await queries.referrals_for_partner(deps.uow(), partner, limit)


@router.post("/v1/referral-batches", tags=["referrals"], status_code=201, dependencies=[Depends(submission_slot)],
             responses=errors(401, 413, 422, 429, why={
    422: "The file as a whole cannot be processed: no column mapping, mapped columns missing, not CSV."}),
    openapi_extra=text_body("text/csv", "ref,first,last,age,consent\nR-1,Olive,Example,81,yes\n",
                            "A CSV file with a header row, read with the partner's column mapping."))
async def post_batch(
    request: Request, partner: Partner = Depends(admit_partner_submission),
    x_filename: str | None = Header(default=None, max_length=255), deps: Intake = Depends(intake),
) -> JSONResponse:
    """A CSV file (the body, text/csv) read with the partner's column mapping; a report per row."""
    try:
        report = await deps.handle(c.ProcessBatch(partner.id, partner, x_filename, await request.body(),
                                                  correlation_id_of(request)))
    except BatchRejected as rejected:
        return JSONResponse(status_code=422, media_type="application/problem+json",
                            content={"title": "The file cannot be processed", "status": 422,
                                     "detail": rejected.problem})
    return JSONResponse(status_code=201, content=report)


# --- staff -------------------------------------------------------------------------------


@router.post("/v1/phone-referrals", tags=["staff"], status_code=201, response_model=ReferralAccepted,
    dependencies=[Depends(submission_slot)],
    responses={**ALREADY_RECEIVED, **errors(401, 403, 409, 413, 422, 429, why=FORBIDDEN_PROGRAMME)},
    openapi_extra=REFERRAL_BODY)
async def post_phone_referral(
    request: Request, principal: StaffPrincipal = Depends(require_staff()), deps: Intake = Depends(intake)
) -> JSONResponse:
    """A referral taken by phone by staff: the same canonical payload and checks as every channel."""
    admit_staff_submission(request, principal)
    return await submit(deps, c.SubmitReferral(
        principal.subject, partner_id="staff-phone", channel="phone", body=await request.body(),
        correlation_id=correlation_id_of(request)))


class OutreachContact(BaseModel):
    programme_id: str = Field(min_length=1)
    met_at: str = Field(min_length=1, max_length=200, description="e.g. 'listening bench, Ridley Road market'")
    occurred_at: datetime | None = Field(default=None, description="when they met (ISO 8601)")
    first_name: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
    agreed_to_follow_up: StrictBool = False

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _a_written_time(cls, value):
        # A bare number would be read as seconds since 1970: a time is written, as the schema says.
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError("a date and time in ISO 8601, e.g. 2026-12-03T10:30:00Z")
        return value


@router.post("/v1/outreach-contacts", tags=["staff"], status_code=201, dependencies=[Depends(submission_slot)],
             responses=errors(400, 401, 403, 413, 422, 429))
async def post_outreach(
    body: OutreachContact, request: Request, principal: StaffPrincipal = Depends(require_staff()),
    deps: Intake = Depends(intake),
) -> dict:
    """Someone met at outreach, possibly anonymous; complete it into a referral later."""
    admit_staff_submission(request, principal)
    contact_id = await deps.handle(c.LogOutreachContact(
        principal.subject, programme_id=body.programme_id, met_at=body.met_at,
        occurred_at=body.occurred_at or datetime.now(UTC),
        details=body.model_dump(mode="json", include={"first_name", "notes", "agreed_to_follow_up"})))
    return {"outreach_contact_id": str(contact_id)}


@router.post("/v1/outreach-contacts/{contact_id}/referral", tags=["staff"], status_code=201, response_model=ReferralAccepted,
    dependencies=[Depends(submission_slot)],
    responses={**ALREADY_RECEIVED, **errors(400, 401, 403, 404, 409, 413, 422, 429)},
    openapi_extra=REFERRAL_BODY)
async def complete_outreach(
    contact_id: uuid.UUID, request: Request, principal: StaffPrincipal = Depends(require_staff()),
    deps: Intake = Depends(intake),
) -> JSONResponse:
    admit_staff_submission(request, principal)
    try:
        data = await request.json()
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the body must be a JSON referral") from None
    if not isinstance(data, dict):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the body must be a JSON object")
    try:
        outcome = await _guard(deps.handle(c.CompleteOutreachReferral(principal.subject, contact_id, data,
                                                                      correlation_id_of(request))))
    except SubmissionRejected as rejected:
        return problem(rejected)
    return accepted(outcome)


@router.get("/v1/match-reviews", tags=["staff"], responses=errors(401, 403))
async def list_match_reviews(
    deps: Intake = Depends(intake), principal: StaffPrincipal = Depends(require_staff())
) -> list[dict]:
    """Uncertain person matches, oldest first, for a person to decide (a coordinator's programmes only)."""
    return await queries.match_reviews(deps.uow(), principal.programmes)


class MatchDecision(BaseModel):
    same_person: StrictBool


@router.post("/v1/match-reviews/{review_id}/decision", tags=["staff"], responses=errors(400, 401, 403, 404, 409, 422))
async def decide_match(
    review_id: uuid.UUID, body: MatchDecision, deps: Intake = Depends(intake),
    principal: StaffPrincipal = Depends(require_staff()),
) -> dict:
    return await _guard(deps.handle(c.DecideMatchReview(principal.subject, review_id, body.same_person,
                                                        actor_programmes=principal.programmes)))


# --- administration -------------------------------------------------------------------------


class NewPartner(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)
    allowed_programmes: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]] = Field(min_length=1)
    attests_consent: StrictBool = Field(
        default=False, description="the partner attests the person's consent when a FHIR message carries no Consent")


@router.post("/v1/partners", tags=["partners"], status_code=201, responses=errors(400, 401, 403, 409, 422))
async def create_partner(body: NewPartner, request: Request, deps: Intake = Depends(intake),
                         principal: StaffPrincipal = Depends(require_staff())) -> dict:
    partner = Partner(body.id, body.name, tuple(body.allowed_programmes), body.attests_consent)
    await _guard(deps.handle(c.RegisterPartner(principal.subject, partner)))
    ctx = request.app.state.ctx
    await ensure_topic(ctx.settings.kafka, ctx.topics.referral_status(body.id))
    return {"id": body.id, "status_topic": ctx.topics.referral_status(body.id)}


class PartnerProgrammes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    allowed_programmes: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]] = Field(
        min_length=1, max_length=100, description="every programme the partner may refer to (replaces the list)")


@router.put("/v1/partners/{partner_id}/programmes", tags=["partners"], responses=errors(400, 401, 403, 404, 422))
async def put_partner_programmes(partner_id: str, body: PartnerProgrammes, deps: Intake = Depends(intake),
                                 principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """The programmes the partner may refer to. A referral refused for a programme it may not use can then be
    sent again, or, parked from Kafka, replayed (/v1/dead-letters/{id}/replay)."""
    await _guard(deps.handle(c.SetPartnerProgrammes(principal.subject, partner_id, tuple(body.allowed_programmes))))
    return {"partner_id": partner_id, "allowed_programmes": list(dict.fromkeys(body.allowed_programmes))}


@router.post("/v1/partners/{partner_id}/api-keys", tags=["partners"], status_code=201,
             responses=errors(401, 403, 404, 422))
async def create_partner_key(partner_id: str, deps: Intake = Depends(intake),
                             principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Issue an API key. The plaintext is shown once; only its hash is stored."""
    key = await _guard(deps.handle(c.IssuePartnerKey(principal.subject, partner_id)))
    return {"partner_id": partner_id, "api_key": key}


class Webhook(BaseModel):
    url: HttpUrl
    secret: str = Field(min_length=16, max_length=200)


@router.put("/v1/partners/{partner_id}/webhook", tags=["partners"], responses=errors(400, 401, 403, 404, 422))
async def put_webhook(partner_id: str, body: Webhook, deps: Intake = Depends(intake),
                      principal: StaffPrincipal = Depends(require_staff())) -> dict:
    await _guard(deps.handle(c.ConfigureWebhook(principal.subject, partner_id, str(body.url), body.secret)))
    return {"partner_id": partner_id, "url": str(body.url)}


@router.put("/v1/partners/{partner_id}/csv-mapping", tags=["partners"], responses=errors(401, 403, 404, 413, 422),
            openapi_extra=request_body(CsvMapping, example={
                "columns": {"partner_referral_id": "ref", "person.given_name": "first", "person.family_name": "last",
                            "person.age_years": "age", "consent.to_referral": "consent"},
                "defaults": {"programme_id": "demo"}}))
async def put_csv_mapping(partner_id: str, request: Request, deps: Intake = Depends(intake),
                          principal: StaffPrincipal = Depends(require_staff())) -> dict:
    try:
        mapping = CsvMapping.model_validate(await request.json())
    except (ValidationError, ValueError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=f"not a valid mapping: {exc}") from None
    await _guard(deps.handle(c.SetCsvMapping(principal.subject, partner_id, mapping.model_dump())))
    return {"partner_id": partner_id, "mapping": mapping.model_dump()}


class Programme(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    self_referral_open: StrictBool = True
    retention_days: StrictInt = Field(default=2922, ge=1, le=36500,
                                      description="people are erased this long after their last case closed")


@router.put("/v1/programmes/{programme_id}", tags=["programmes"], responses=errors(400, 401, 403, 422))
async def put_programme(programme_id: str, body: Programme, deps: Intake = Depends(intake),
                        principal: StaffPrincipal = Depends(require_staff())) -> dict:
    await deps.handle(c.PutProgramme(principal.subject, programme_id, body.name, body.self_referral_open,
                                     body.retention_days))
    return {"id": programme_id, **body.model_dump()}
