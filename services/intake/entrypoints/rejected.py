"""Rejected submissions, for the coordinators who follow them up: the list (no personal data) and one
submission opened from its seal (audited)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from services.intake.bootstrap import Intake
from services.intake.entrypoints.dependencies import intake
from services.intake.service_layer import rejected
from services.intake.service_layer.errors import Forbidden, NotFound
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.datetimes import IsoDateTime
from shared.platform.http import refusals_as_http
from shared.platform.openapi import errors

router = APIRouter(responses=errors(401, 403, 422))
REFUSALS = {NotFound: status.HTTP_404_NOT_FOUND, Forbidden: status.HTTP_403_FORBIDDEN}


def _reader(principal: StaffPrincipal) -> rejected.Reader:
    return rejected.Reader(principal.subject, principal.roles, principal.programmes)


@router.get("/v1/rejected-submissions", tags=["rejected submissions"])
async def rejected_submissions(partner_id: str | None = Query(default=None, min_length=1, max_length=100),
                               received_before: IsoDateTime | None = None,
                               limit: int = Query(default=100, ge=1, le=500),
                               waiting: bool = Query(default=False, description="only those nobody has followed up"),
                               deps: Intake = Depends(intake),
                               principal: StaffPrincipal = Depends(require_staff())) -> list[dict]:
    """Submissions intake refused, newest first, from the partners referring to the caller's programmes: when,
    through which channel, from which partner, what was wrong (field and problem, never a value sent) and
    whether it was followed up. Page back with `received_before` set to the last one's `received_at`."""
    return await rejected.rejected_submissions(deps.uow(), _reader(principal), partner_id=partner_id,
                                               received_before=received_before, limit=limit, waiting_only=waiting)


class FollowUp(BaseModel):
    outcome: Literal["partner_told", "no_action_needed"] = Field(
        description="the partner was told what to change, or there is nothing to do (a test, or sent again already)")


@router.post("/v1/rejected-submissions/{submission_id}/follow-up", tags=["rejected submissions"],
             responses=errors(400, 404))
async def follow_up(submission_id: uuid.UUID, body: FollowUp, deps: Intake = Depends(intake),
                    principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Record what became of a refused submission, by whom and when, so coordinators see which still wait;
    a later follow-up replaces an earlier one. Answers the submission as listed."""
    with refusals_as_http(REFUSALS):
        return await rejected.follow_up(deps.uow(), submission_id, _reader(principal), body.outcome)


@router.get("/v1/rejected-submissions/{submission_id}", tags=["rejected submissions"], responses=errors(404))
async def rejected_submission(submission_id: uuid.UUID, deps: Intake = Depends(intake),
                              principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """One refused submission as it was sent (`body`, opened from its seal; null and `erased` once its key is
    destroyed by erasure or retention), with its reasons. The reading is recorded in the audit trail."""
    with refusals_as_http(REFUSALS):
        return await rejected.open_rejected_submission(deps.uow(), submission_id, _reader(principal))
