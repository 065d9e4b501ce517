"""The registry's staff routes: the person of a case, for the worker holding it; the audit trail, for auditors."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field, model_validator

from services.intake.bootstrap import Intake
from services.intake.domain.correction import ContactCorrection
from services.intake.entrypoints.dependencies import intake
from services.intake.service_layer import commands as c
from services.intake.service_layer import corrections, registry
from services.intake.service_layer.errors import Forbidden, NotFound
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.datetimes import IsoDateTime
from shared.platform.http import refusals_as_http
from shared.platform.openapi import errors

router = APIRouter(responses=errors(401, 403, 422))
REFUSALS = {NotFound: status.HTTP_404_NOT_FOUND, Forbidden: status.HTTP_403_FORBIDDEN}




def reader_of(principal: StaffPrincipal) -> registry.Reader:
    return registry.Reader(principal.subject, principal.roles, principal.own_work_only, principal.worker_id,
                           principal.programmes)


@router.get("/v1/cases/{case_id}/person", tags=["registry"], responses=errors(404))
async def person_for_case(case_id: uuid.UUID, deps: Intake = Depends(intake),
                          principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Whom to contact for a case and how: contact details, preferred method and times, safe-contact
    instructions, access and interpreter needs, concerns and the referrer's reason. For the worker holding
    the case (or a coordinator of its programme); every read is recorded in the audit trail."""
    with refusals_as_http(REFUSALS):
        return await registry.person_for_case(deps.uow(), case_id, reader_of(principal))


@router.patch("/v1/cases/{case_id}/person", tags=["registry"], responses=errors(404))
async def correct_person_for_case(case_id: uuid.UUID, body: ContactCorrection, deps: Intake = Depends(intake),
                                  principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Correct how to reach the person of a case (a JSON merge patch: a field left out stays, a field sent as
    null is removed): phone, email, address and postcode, best times, safe-contact instructions, access needs,
    language and interpreter. Checked as a referral's are. For whoever may read the details; each change is
    recorded in the audit trail by field name. The preferred contact method is consent: record it on the case."""
    with refusals_as_http(REFUSALS):
        return await corrections.correct_contact_details(deps.uow(), case_id, body, reader_of(principal))


@router.get("/v1/match-reviews/{review_id}", tags=["registry"], responses=errors(404))
async def match_review_records(review_id: uuid.UUID, deps: Intake = Depends(intake),
                               principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """An open person-match review with both records side by side (names, date of birth or age, NHS number,
    postcode, phone, email), to decide whether they are one person. For a coordinator of the review's
    programme; each record read is recorded in the audit trail with the review as its purpose."""
    with refusals_as_http(REFUSALS):
        return await registry.records_for_match_review(deps.uow(), review_id, reader_of(principal))


@router.get("/v1/audit-trail", tags=["audit"])
async def audit_trail(person_id: uuid.UUID | None = None, actor: str | None = Query(default=None, max_length=200),
                      since: IsoDateTime | None = None, until: IsoDateTime | None = None,
                      limit: int = Query(default=500, ge=1, le=5000), deps: Intake = Depends(intake),
                      _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """Who read or changed whose personal data, when and why, oldest first: by person, by user, by time."""
    return await registry.audit_entries(deps.uow(), person_id=person_id, actor=actor, since=since, until=until,
                                        limit=limit)


@router.get("/v1/audit-trail/verification", tags=["audit"])
async def audit_trail_verification(deps: Intake = Depends(intake),
                                   _: StaffPrincipal = Depends(require_staff())) -> dict:
    """Recomputes the trail's hash chain: intact, or the first entry that no longer fits."""
    check = await registry.audit_chain_check(deps.uow())
    return {"entries": check.entries, "intact": check.intact, "first_broken_seq": check.first_broken_seq}


class Erasure(BaseModel):
    """Whom to erase: the person, or the person one of their referrals names; and why."""

    person_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    reason: str = Field(min_length=1, max_length=500, description="why, for the audit trail (e.g. the request's reference)")

    @model_validator(mode="after")
    def _one(self) -> "Erasure":
        if (self.person_id is None) == (self.referral_id is None):
            raise ValueError("name either person_id or referral_id")
        return self


@router.post("/v1/erasures", tags=["registry"], responses=errors(400, 404))
async def erase(body: Erasure, deps: Intake = Depends(intake), principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Erase a person: their identifying and contact data leaves the registry (details, contact records, raw
    submissions, outreach notes, published outbox rows); ids, statuses and every report's counts stay; the
    erasure is in the audit trail. It cannot be undone."""
    with refusals_as_http(REFUSALS):
        return await deps.handle(c.ErasePerson(principal.subject, reason=body.reason, person_id=body.person_id,
                                               referral_id=body.referral_id, roles=tuple(sorted(principal.roles))))
