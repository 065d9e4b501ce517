"""Outcomes' HTTP API (staff): a case's scored measures, and a loneliness summary."""

from __future__ import annotations

import math
import uuid

from fastapi import APIRouter, Depends, HTTPException, Request, status

from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.platform.auth import StaffPrincipal, require_staff

router = APIRouter()


@router.get("/v1/outcomes/cases/{case_id}", tags=["outcomes"])
async def case_outcome(case_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff())) -> dict:
    async with OutcomesUnitOfWork(request.app.state.ctx.engine) as uow:
        outcome = await uow.outcomes.case_outcome(case_id)
        if outcome is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no outcome recorded for that case")
        return {**outcome, "scores": await uow.outcomes.scores(case_id)}


@router.get("/v1/reports/loneliness", tags=["reports"])
async def loneliness_report(
    request: Request, programme_id: str | None = None, _: StaffPrincipal = Depends(require_staff())
) -> dict:
    """Paired UCLA-3 start/end: counts improved / same / worse, mean change with SD and 95% CI."""
    async with OutcomesUnitOfWork(request.app.state.ctx.engine) as uow:
        s = await uow.outcomes.loneliness_summary(programme_id)
    n = s["paired"]
    mean = float(s["mean_change"]) if s["mean_change"] is not None else None
    sd = float(s["sd_change"]) if s["sd_change"] is not None else None
    ci = None
    if mean is not None and sd is not None and n > 1:
        half = 1.96 * sd / math.sqrt(n)
        ci = [mean - half, mean + half]
    pct = (lambda k: round(100 * s[k] / n, 1) if n else None)
    return {
        "programme_id": programme_id,
        "instrument": "ucla3",
        "paired": n,
        "improved": s["improved"],
        "same": s["same"],
        "worse": s["worse"],
        "improved_pct": pct("improved"),
        "same_pct": pct("same"),
        "worse_pct": pct("worse"),
        "mean_change": mean,
        "sd_change": sd,
        "ci95_mean_change": ci,
    }
