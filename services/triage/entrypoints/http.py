"""Triage's HTTP API (staff): decisions and their rules, the review queue, overrides,
rule-set versions, what-if runs and appropriateness feedback."""

from __future__ import annotations

import uuid

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field, ValidationError, field_validator

from services.triage.bootstrap import TriageDependencies
from services.triage.domain.ruleset import RuleSet
from services.triage.service_layer import handlers, queries
from services.triage.service_layer.commands import (
    ClaimReview,
    DecideReview,
    OverrideDecision,
    PublishRuleSet,
    Sizing,
    WhatIf,
)
from services.triage.service_layer.errors import Conflict, IncompleteDecision, NotFound, OutOfScope
from services.triage.service_layer.unit_of_work import TriageUnitOfWork
from shared.platform.audit_http import audit_trail_router
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.datetimes import IsoDateTime
from shared.platform.http import refusals_as_http
from shared.platform.openapi import errors, request_body
from shared.schemas.events.triage import Complexity, Decision, Pathway

router = APIRouter(responses=errors(400, 401, 403, 422))  # every route is staff's, and validates what it reads
STATUS_OF = {NotFound: status.HTTP_404_NOT_FOUND, Conflict: status.HTTP_409_CONFLICT, OutOfScope: status.HTTP_403_FORBIDDEN,
             IncompleteDecision: 422}


def dependencies(request: Request) -> TriageDependencies:
    return request.app.state.ctx.dependencies


RULESET_BODY = request_body(RuleSet, media_types=("application/yaml", "application/json"),
                            description="A rule set as YAML or JSON (see services/triage/rulesets/).")


@router.get("/v1/decisions/{referral_id}", tags=["decisions"], responses=errors(404))
async def get_decision(referral_id: uuid.UUID, deps: TriageDependencies = Depends(dependencies),
                       principal: StaffPrincipal = Depends(require_staff())) -> dict:
    decision = await queries.decision(referral_id, uow_factory=deps.uow_factory, actor=principal.subject,
                                      roles=tuple(principal.roles))
    if decision is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no decision for that referral yet")
    return decision


@router.get("/v1/reviews", tags=["reviews"])
async def list_reviews(programme_id: str | None = None, deps: TriageDependencies = Depends(dependencies),
                       principal: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """Referrals waiting for a person, oldest first, with their age and whether they are overdue."""
    return await queries.list_reviews(programme_id, uow_factory=deps.uow_factory, clock=deps.clock,
                                      programmes=principal.programmes)


@router.post("/v1/reviews/{review_id}/claim", tags=["reviews"], responses=errors(404, 409))
async def claim(review_id: uuid.UUID, deps: TriageDependencies = Depends(dependencies),
                principal: StaffPrincipal = Depends(require_staff())) -> dict:
    with refusals_as_http(STATUS_OF):
        return await handlers.claim_review(ClaimReview(review_id, principal.subject, programmes=principal.programmes), uow_factory=deps.uow_factory,
                                           clock=deps.clock)


class HumanDecision(BaseModel):
    decision: Decision
    reason_code: str | None = Field(default=None, pattern=r"^[a-z0-9_]+$")
    note: str = Field(min_length=3, max_length=2000, description="why, for the record")
    complexity: Complexity | None = None
    pathway: Pathway | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    expected_weekly_hours: float | None = Field(default=None, gt=0, le=20)
    signposting: str | None = Field(default=None, max_length=1000)

    @field_validator("decision")
    @classmethod
    def _final(cls, decision: Decision) -> Decision:
        # A person's decision ends the review; sending it back to review would loop.
        if decision == Decision.NEEDS_REVIEW:
            raise ValueError("a person's decision is accepted, declined or redirected")
        return decision

    def sizing(self) -> Sizing:
        return Sizing(complexity=self.complexity, pathway=self.pathway, priority=self.priority,
                      expected_weekly_hours=self.expected_weekly_hours, signposting=self.signposting)


@router.post("/v1/reviews/{review_id}/decision", tags=["reviews"], responses=errors(404, 409))
async def decide_review(review_id: uuid.UUID, body: HumanDecision, deps: TriageDependencies = Depends(dependencies),
                        principal: StaffPrincipal = Depends(require_staff())) -> dict:
    command = DecideReview(review_id, principal.subject, body.decision, body.note, body.reason_code, body.sizing(),
                           programmes=principal.programmes)
    with refusals_as_http(STATUS_OF):
        return await handlers.decide_review(command, uow_factory=deps.uow_factory, rulebook=deps.rulebook,
                                            clock=deps.clock)


@router.post("/v1/decisions/{referral_id}/override", tags=["decisions"], responses=errors(404, 409))
async def override(referral_id: uuid.UUID, body: HumanDecision, deps: TriageDependencies = Depends(dependencies),
                   principal: StaffPrincipal = Depends(require_staff())) -> dict:
    command = OverrideDecision(referral_id, principal.subject, body.decision, body.note, body.reason_code,
                               body.sizing(), programmes=principal.programmes)
    with refusals_as_http(STATUS_OF):
        return await handlers.override_decision(command, uow_factory=deps.uow_factory, rulebook=deps.rulebook,
                                                clock=deps.clock)


async def _ruleset_from(request: Request) -> RuleSet:
    raw = await request.body()
    try:
        data = yaml.safe_load(raw)  # YAML or JSON (JSON is YAML)
        return RuleSet.model_validate(data)
    except (yaml.YAMLError, ValidationError, ValueError) as exc:
        raise HTTPException(422, detail=f"not a valid rule set: {exc}") from None


@router.post("/v1/rulesets", tags=["rulesets"], status_code=201, responses=errors(409, 413),
             openapi_extra=RULESET_BODY)
async def publish(request: Request, deps: TriageDependencies = Depends(dependencies),
                  principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Publish a new rule-set version (YAML or JSON). It applies to referrals received from `effective_from`."""
    ruleset = await _ruleset_from(request)
    with refusals_as_http(STATUS_OF):
        await handlers.publish_ruleset(PublishRuleSet(ruleset, principal.subject), uow_factory=deps.uow_factory)
    return {"programme_id": ruleset.programme_id, "version": ruleset.version,
            "effective_from": ruleset.effective_from.isoformat()}


@router.post("/v1/rulesets/what-if", tags=["rulesets"], responses=errors(413), openapi_extra=RULESET_BODY)
async def what_if(request: Request, received_from: IsoDateTime | None = None, received_to: IsoDateTime | None = None,
                  deps: TriageDependencies = Depends(dependencies),
                  _: StaffPrincipal = Depends(require_staff())) -> dict:
    """Run a draft rule set over past referrals: how many decisions would change, and which."""
    draft = await _ruleset_from(request)
    return await handlers.what_if(WhatIf(draft, received_from, received_to), uow_factory=deps.uow_factory)


@router.get("/v1/reports/appropriateness", tags=["reports"])
async def appropriateness(programme_id: str | None = None, since: IsoDateTime | None = None,
                          deps: TriageDependencies = Depends(dependencies),
                          _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """Declined and redirected referrals by referring organisation and reason."""
    return await queries.appropriateness(programme_id, since, uow_factory=deps.uow_factory)


def _unit_of_work(deps: TriageDependencies = Depends(dependencies)) -> TriageUnitOfWork:
    return deps.uow_factory()


# Who opened or wrote whose sealed notes (shared/platform/audit_http.py): for admin and auditor.
router.include_router(audit_trail_router(_unit_of_work))
