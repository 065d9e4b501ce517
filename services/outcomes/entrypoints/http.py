"""Outcomes' HTTP API (staff): a case's measures, and the reports, as JSON, CSV or an SVG chart."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response

from services.outcomes.adapters import tables as t
from services.outcomes.domain.instruments import INSTRUMENTS
from services.outcomes.service_layer import reports
from shared.platform.auth import StaffPrincipal, require_staff

router = APIRouter()


@router.get("/v1/outcomes/cases/{case_id}", tags=["outcomes"])
async def case_measures(case_id: uuid.UUID, request: Request, _: StaffPrincipal = Depends(require_staff())) -> dict:
    async with request.app.state.ctx.engine.connect() as conn:
        rows = (await conn.execute(sa.select(t.measures).where(t.measures.c.case_id == case_id)
                                   .order_by(t.measures.c.instrument, t.measures.c.recorded_at))).mappings().all()
    if not rows:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no measures recorded for that case")
    measures = [dict(r) for r in rows]
    changes = []
    for instrument in sorted({m["instrument"] for m in measures}):
        by_time = {m["timepoint"]: m for m in measures if m["instrument"] == instrument}
        start, end = by_time.get("baseline"), by_time.get("end")
        if start and end and start["score"] is not None and end["score"] is not None:
            changes.append({"instrument": instrument, "start": float(start["score"]), "end": float(end["score"]),
                            "change": float(end["score"] - start["score"]),
                            "direction": INSTRUMENTS[instrument].improved(float(start["score"]), float(end["score"])),
                            "category_start": start["category"], "category_end": end["category"]})
    return {"case_id": str(case_id), "measures": measures, "changes": changes}


@router.get("/v1/reports/outcomes", tags=["reports"])
async def outcomes_report(
    request: Request,
    instrument: str = "ucla3",
    programme_id: str | None = None,
    worker_id: uuid.UUID | None = None,
    closed_from: datetime | None = None,
    closed_to: datetime | None = None,
    breakdown: Literal["trigger_group", "source", "age_band", "gender", "support", "contacts"] | None = None,
    format: Literal["json", "csv", "svg"] = "json",
    _: StaffPrincipal = Depends(require_staff()),
):
    """Paired start/end change on an instrument, overall or broken down, for any programme, worker and dates."""
    if instrument not in INSTRUMENTS:
        raise HTTPException(422, detail=f"unknown instrument; one of {', '.join(INSTRUMENTS)}")
    async with request.app.state.ctx.engine.connect() as conn:
        report = await reports.change_report(conn, instrument=instrument, programme_id=programme_id,
                                             worker_id=str(worker_id) if worker_id else None, closed_from=closed_from,
                                             closed_to=closed_to, breakdown=breakdown)
    if format == "csv":
        return Response(reports.to_csv(report), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{instrument}-report.csv"'})
    if format == "svg":
        return Response(reports.to_svg(report), media_type="image/svg+xml")
    return report


@router.get("/v1/reports/loneliness", tags=["reports"])
async def loneliness_report(request: Request, programme_id: str | None = None,
                            _: StaffPrincipal = Depends(require_staff())) -> dict:
    """UCLA-3 start/end for everyone: the headline figures."""
    async with request.app.state.ctx.engine.connect() as conn:
        report = await reports.change_report(conn, instrument="ucla3", programme_id=programme_id)
    empty = {"paired": 0, "improved": 0, "same": 0, "worse": 0, "mean_change": None}
    return {"programme_id": programme_id, "instrument": "ucla3", **(report["groups"][0] if report["groups"] else empty)}


@router.get("/v1/reports/funnel", tags=["reports"])
async def funnel(request: Request, programme_id: str | None = None, received_from: datetime | None = None,
                 received_to: datetime | None = None, _: StaffPrincipal = Depends(require_staff())) -> dict:
    """Referrals (and people) to decisions, contact, time in service, closures, signposts, unmet needs."""
    async with request.app.state.ctx.engine.connect() as conn:
        return await reports.funnel(conn, programme_id, received_from, received_to)


@router.get("/v1/reports/completeness", tags=["reports"])
async def completeness(request: Request, programme_id: str | None = None, instrument: str = "ucla3",
                       _: StaffPrincipal = Depends(require_staff())) -> dict:
    async with request.app.state.ctx.engine.connect() as conn:
        return await reports.completeness(conn, programme_id, instrument)
