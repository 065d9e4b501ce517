"""Triage's HTTP API (staff): read a referral's decision and the rules behind it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request, status

from services.triage.service_layer.unit_of_work import TriageUnitOfWork
from shared.platform.auth import StaffPrincipal, require_staff

router = APIRouter()


@router.get("/v1/decisions/{referral_id}", tags=["decisions"])
async def get_decision(
    referral_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff())
) -> dict:
    async with TriageUnitOfWork(request.app.state.ctx.engine) as uow:
        decision = await uow.decisions.get(referral_id)
    if decision is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no decision for that referral yet")
    return decision
