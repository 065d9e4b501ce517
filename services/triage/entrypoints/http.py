"""Triage's HTTP API (staff): decisions and their rules, the review queue, overrides,
rule-set versions, what-if runs and appropriateness feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field, ValidationError, field_validator

from services.triage.domain.ruleset import RuleSet
from services.triage.entrypoints.consumers import RULEBOOK
from services.triage.service_layer import handlers
from services.triage.adapters.unit_of_work import TriageUnitOfWork
from shared.platform.auth import StaffPrincipal, require_staff
from shared.schemas.events.triage import Complexity, Decision, Pathway

router = APIRouter()
REVIEWERS = ("admin", "coordinator")


def uow_factory(request: Request):
    return partial(TriageUnitOfWork, request.app.state.ctx.engine)


def _raise(error: handlers.ReviewError):
    raise HTTPException(error.status, detail=error.detail) from None


@router.get("/v1/decisions/{referral_id}", tags=["decisions"])
async def get_decision(referral_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff())) -> dict:
    async with uow_factory(request)() as uow:
        decision = await uow.decisions.get(referral_id)
    if decision is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no decision for that referral yet")
    return decision


@router.get("/v1/reviews", tags=["reviews"])
async def list_reviews(request: Request, programme_id: str | None = None,
                       _: StaffPrincipal = Depends(require_staff(*REVIEWERS))) -> list[dict]:
    """Referrals waiting for a person, oldest first, with their age and whether they are overdue."""
    return await handlers.list_reviews(uow_factory(request), programme_id)


@router.post("/v1/reviews/{review_id}/claim", tags=["reviews"])
async def claim(review_id: uuid.UUID, request: Request,
                principal: StaffPrincipal = Depends(require_staff(*REVIEWERS))) -> dict:
    try:
        return await handlers.claim_review(uow_factory(request), review_id, principal.subject)
    except handlers.ReviewError as error:
        _raise(error)


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

    def sizing(self) -> dict:
        return self.model_dump(include={"complexity", "pathway", "priority", "expected_weekly_hours", "signposting"},
                               exclude_none=True, mode="json")


@router.post("/v1/reviews/{review_id}/decision", tags=["reviews"])
async def decide_review(review_id: uuid.UUID, body: HumanDecision, request: Request,
                        principal: StaffPrincipal = Depends(require_staff(*REVIEWERS))) -> dict:
    try:
        return await handlers.decide_review(uow_factory(request), RULEBOOK, review_id, principal.subject,
                                            body.decision, body.reason_code, body.note, body.sizing())
    except handlers.ReviewError as error:
        _raise(error)


@router.post("/v1/decisions/{referral_id}/override", tags=["decisions"])
async def override(referral_id: uuid.UUID, body: HumanDecision, request: Request,
                   principal: StaffPrincipal = Depends(require_staff(*REVIEWERS))) -> dict:
    try:
        return await handlers.override(uow_factory(request), RULEBOOK, referral_id, principal.subject,
                                       body.decision, body.reason_code, body.note, body.sizing())
    except handlers.ReviewError as error:
        _raise(error)


async def _ruleset_from(request: Request) -> RuleSet:
    raw = await request.body()
    try:
        data = yaml.safe_load(raw)  # YAML or JSON (JSON is YAML)
        return RuleSet.model_validate(data)
    except (yaml.YAMLError, ValidationError, ValueError) as exc:
        raise HTTPException(422, detail=f"not a valid rule set: {exc}") from None


@router.post("/v1/rulesets", tags=["rulesets"], status_code=201)
async def publish(request: Request, principal: StaffPrincipal = Depends(require_staff("admin"))) -> dict:
    """Publish a new rule-set version (YAML or JSON). It applies to referrals received from `effective_from`."""
    ruleset = await _ruleset_from(request)
    try:
        await handlers.publish_ruleset(uow_factory(request), ruleset, principal.subject)
    except handlers.ReviewError as error:
        _raise(error)
    return {"programme_id": ruleset.programme_id, "version": ruleset.version,
            "effective_from": ruleset.effective_from.isoformat()}


@router.post("/v1/rulesets/what-if", tags=["rulesets"])
async def what_if(request: Request, received_from: datetime | None = None, received_to: datetime | None = None,
                  _: StaffPrincipal = Depends(require_staff(*REVIEWERS))) -> dict:
    """Run a draft rule set over past referrals: how many decisions would change, and which."""
    draft = await _ruleset_from(request)
    return await handlers.what_if(uow_factory(request), draft, received_from, received_to)


@router.get("/v1/reports/appropriateness", tags=["reports"])
async def appropriateness(request: Request, programme_id: str | None = None, since: datetime | None = None,
                          _: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """Declined and redirected referrals by referring organisation and reason."""
    return await handlers.appropriateness(uow_factory(request), programme_id, since)
