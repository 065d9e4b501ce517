"""FHIR R4 for GP and NHS systems: referrals in, progress out as a Task.

A rejection is an OperationOutcome naming each problem by its FHIRPath; so is every other error
from these routes (a missing or invalid API key, FHIR XML, a malformed path), by the route class.
"""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from services.intake.adapters import fhir
from services.intake.bootstrap import Intake
from services.intake.domain.partner import Partner
from services.intake.entrypoints.dependencies import (admit_partner_submission, intake, rejection_status,
                                                      require_partner, submission_slot)
from services.intake.service_layer import commands as c
from services.intake.service_layer import queries
from services.intake.service_layer.errors import ProgrammeNotAllowed, ReferenceReused, SubmissionRejected
from shared.platform.http import correlation_id_of
from shared.platform.openapi import errors, named, request_body, success

FHIR_JSON = "application/fhir+json"
# An HTTP error's status -> the FHIR issue type that says it.
_ISSUE_TYPE = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 409: "conflict",
               413: "too-costly", 415: "not-supported", 422: "invalid", 429: "throttled"}


class FhirJSONResponse(JSONResponse):
    media_type = FHIR_JSON


def _resource(kind: str, description: str) -> dict:
    """A FHIR R4 resource of `kind`, for OpenAPI: only its resourceType is spelled out (FHIR defines the rest)."""
    return named(f"Fhir{kind}", {
        "title": kind, "description": description + f" See FHIR R4 {kind}.", "type": "object",
        "required": ["resourceType"], "properties": {"resourceType": {"const": kind}}, "additionalProperties": True})


BUNDLE = _resource("Bundle", "A message or transaction Bundle holding a ServiceRequest, its Patient (and Consent).")
SERVICE_REQUEST = _resource("ServiceRequest", "A ServiceRequest with its Patient (and Consent) contained.")
TASK = _resource("Task", "The referral's progress: status, businessStatus and history.")
FHIR_ERRORS = errors(401, 403, 409, 413, 415, 422, 429, fhir=(401, 403, 409, 413, 415, 422, 429), why={
    403: "A programme this referrer may not refer to (an OperationOutcome, code forbidden).",
    409: "The ServiceRequest's identifier already names a referral sent with other content (code conflict).",
    413: "The message is larger than 1 MiB (code too-costly).",
    415: "Not FHIR JSON (FHIR XML is not accepted).",
    422: "The resource is not a referral intake can read: each issue names its FHIRPath.",
    429: "Too many submissions: an OperationOutcome (code throttled); come back after Retry-After seconds."})
RECEIVED = {**success(200, "Already received: the Task of the first referral.", TASK, FHIR_JSON), **FHIR_ERRORS}


def _outcome(status: int, issues: list[fhir.FhirIssue]) -> JSONResponse:
    return JSONResponse(status_code=status, media_type=FHIR_JSON, content=fhir.operation_outcome(issues))


class _FhirRoute(APIRoute):
    """A FHIR route: an error raised before or in the route (the partner's key) is an OperationOutcome."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def fhir_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as exc:
                issue = fhir.FhirIssue("error", _ISSUE_TYPE.get(exc.status_code, "processing"), None, str(exc.detail))
                return _outcome(exc.status_code, [issue])
            except RequestValidationError as exc:
                return _outcome(422, [
                    fhir.FhirIssue("error", "invalid", ".".join(str(p) for p in e["loc"][1:]) or None,
                                   "not a valid value here") for e in exc.errors()])

        return fhir_handler


router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=_FhirRoute)


async def _receive(request: Request, partner: Partner, deps: Intake) -> JSONResponse:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type.endswith("xml"):
        return _outcome(415, [fhir.FhirIssue(
            "error", "not-supported", None, "FHIR XML is not accepted: send FHIR JSON (application/fhir+json)")])
    body = await request.body()
    correlation_id = correlation_id_of(request)
    try:
        submission, _ = fhir.referral_from_fhir(
            body, default_programme_id=partner.only_programme, referrer_attests_consent=partner.attests_consent)
        data = submission.model_dump(mode="json", exclude_unset=True)  # the fields the referral gave
    except fhir.FhirReferralError as error:
        await deps.handle(c.RecordRejectedSubmission(
            partner.id, partner.id, "fhir", body,
            [{"field": i.expression or "", "problem": i.diagnostics} for i in error.issues], correlation_id))
        return _outcome(422, error.issues)
    try:
        outcome = await deps.handle(c.SubmitReferral(
            partner.id, partner_id=partner.id, partner=partner, channel="fhir",
            body=body, data=data, correlation_id=correlation_id))
    except SubmissionRejected as rejected:
        code = ("forbidden" if isinstance(rejected, ProgrammeNotAllowed)
                else "conflict" if isinstance(rejected, ReferenceReused) else "invalid")
        issues = [fhir.FhirIssue("error", code, e["field"], e["problem"]) for e in rejected.errors]
        return _outcome(rejection_status(rejected), issues)
    view = await queries.referral_for_partner(deps.uow(), partner, outcome.referral.id)
    task = fhir.task_for(_task_referral(view), view["timeline"])
    return JSONResponse(
        status_code=201 if outcome.created else 200, media_type=FHIR_JSON,
        headers={"Location": f"/fhir/Task/{outcome.referral.id}"}, content=json.loads(json.dumps(task, default=str)),
    )


def _task_referral(view: dict) -> dict:
    return {k: view[k] for k in ("referral_id", "partner_referral_id", "status", "received_at")}


@router.post("/Bundle", status_code=201, response_class=FhirJSONResponse, dependencies=[Depends(submission_slot)],
             responses={
    201: {"description": "Received: the referral's Task.", "content": {FHIR_JSON: {"schema": TASK}}}, **RECEIVED},
    openapi_extra=request_body(BUNDLE, media_types=(FHIR_JSON, "application/json")))
async def post_bundle(request: Request, partner: Partner = Depends(admit_partner_submission),
                      deps: Intake = Depends(intake)) -> JSONResponse:
    """A referral as a FHIR Bundle (message or transaction) holding a ServiceRequest and its Patient."""
    return await _receive(request, partner, deps)


@router.post("/ServiceRequest", status_code=201, response_class=FhirJSONResponse, dependencies=[Depends(submission_slot)],
             responses={
    201: {"description": "Received: the referral's Task.", "content": {FHIR_JSON: {"schema": TASK}}}, **RECEIVED},
    openapi_extra=request_body(SERVICE_REQUEST, media_types=(FHIR_JSON, "application/json")))
async def post_service_request(request: Request, partner: Partner = Depends(admit_partner_submission),
                               deps: Intake = Depends(intake)) -> JSONResponse:
    """A referral as a single ServiceRequest with its Patient (and Consent) contained."""
    return await _receive(request, partner, deps)


@router.get("/Task/{referral_id}", response_class=FhirJSONResponse, responses={
    200: {"description": "The referral's Task.", "content": {FHIR_JSON: {"schema": TASK}}},
    **errors(401, 404, 422, fhir=(401, 404, 422))})
async def get_task(referral_id: uuid.UUID, partner: Partner = Depends(require_partner),
                   deps: Intake = Depends(intake)):
    view = await queries.referral_for_partner(deps.uow(), partner, referral_id)
    if view is None:
        return _outcome(404, [fhir.FhirIssue("error", "not-found", "Task.id", "no such referral for this partner")])
    task = fhir.task_for(_task_referral(view), view["timeline"])
    return JSONResponse(media_type=FHIR_JSON, content=json.loads(json.dumps(task, default=str)))
