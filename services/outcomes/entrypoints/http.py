"""Outcomes' HTTP API (staff): a case's measures, and the reports, as JSON, CSV or an SVG chart."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response

from services.outcomes.bootstrap import OutcomesDependencies
from services.outcomes.domain.instruments import INSTRUMENTS
from services.outcomes.service_layer import reports
from services.outcomes.service_layer.scope import OutsideProgrammes
from shared.platform.auth import StaffPrincipal, require_staff
from shared.platform.datetimes import IsoDateTime
from shared.platform.openapi import errors

router = APIRouter(responses=errors(401, 403, 422))  # every route is staff's
# The instruments a report can be about, as the document's enum: any other is refused as invalid input.
InstrumentId = Literal[tuple(INSTRUMENTS)]  # type: ignore[valid-type]
# The report's other formats, beside the JSON FastAPI declares from the return value.
REPORT_FORMATS = {200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                    "image/svg+xml": {"schema": {"type": "string"}}},
                        "description": "The report: JSON, or CSV or an SVG chart as `format` asks"}}


def _refused(exc: OutsideProgrammes) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc))


def dependencies(request: Request) -> OutcomesDependencies:
    return request.app.state.ctx.dependencies


@router.get("/v1/outcomes/cases/{case_id}", tags=["outcomes"], responses=errors(404))
async def case_measures(case_id: uuid.UUID, deps: OutcomesDependencies = Depends(dependencies),
                        principal: StaffPrincipal = Depends(require_staff())) -> dict:
    try:
        return await reports.case_measures(deps.views, case_id, principal.programmes)
    except reports.NoMeasuresRecorded as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except OutsideProgrammes as exc:
        raise _refused(exc) from exc


@router.get("/v1/reports/outcomes", tags=["reports"], responses=REPORT_FORMATS)
async def outcomes_report(
    instrument: InstrumentId = "ucla3",
    programme_id: str | None = None,
    worker_id: uuid.UUID | None = None,
    closed_from: IsoDateTime | None = None,
    closed_to: IsoDateTime | None = None,
    breakdown: Literal["trigger_group", "source", "age_band", "gender", "support", "contacts"] | None = None,
    format: Literal["json", "csv", "svg"] = "json",
    deps: OutcomesDependencies = Depends(dependencies),
    principal: StaffPrincipal = Depends(require_staff()),
):
    """Paired start/end change on an instrument, overall or broken down, for any programme, worker and dates."""
    try:
        report = await reports.change_report(deps.views, instrument=instrument, programme_id=programme_id,
                                             worker_id=str(worker_id) if worker_id else None,
                                             closed_from=closed_from, closed_to=closed_to, breakdown=breakdown,
                                             programmes=principal.programmes)
    except reports.UnknownInstrument as exc:
        raise HTTPException(422, detail=str(exc)) from exc
    except OutsideProgrammes as exc:
        raise _refused(exc) from exc
    if format == "csv":
        return Response(reports.to_csv(report), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{instrument}-report.csv"'})
    if format == "svg":
        return Response(reports.to_svg(report), media_type="image/svg+xml")
    return report


@router.get("/v1/reports/loneliness", tags=["reports"])
async def loneliness_report(programme_id: str | None = None, deps: OutcomesDependencies = Depends(dependencies),
                            principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """UCLA-3 start/end for everyone: the headline figures."""
    try:
        report = await reports.change_report(deps.views, instrument="ucla3", programme_id=programme_id,
                                             programmes=principal.programmes)
    except OutsideProgrammes as exc:
        raise _refused(exc) from exc
    return {"programme_id": report["filters"]["programme_id"], "instrument": "ucla3", **reports.headline(report)}


@router.get("/v1/reports/funnel", tags=["reports"])
async def funnel(programme_id: str | None = None, received_from: IsoDateTime | None = None,
                 received_to: IsoDateTime | None = None, deps: OutcomesDependencies = Depends(dependencies),
                 principal: StaffPrincipal = Depends(require_staff())) -> dict:
    """Referrals (and people) to decisions, contact, time in service, closures, signposts, unmet needs."""
    try:
        return await reports.funnel(deps.views, programme_id, received_from, received_to, principal.programmes)
    except OutsideProgrammes as exc:
        raise _refused(exc) from exc


@router.get("/v1/reports/completeness", tags=["reports"])
async def completeness(programme_id: str | None = None, instrument: InstrumentId = "ucla3",
                       deps: OutcomesDependencies = Depends(dependencies),
                       principal: StaffPrincipal = Depends(require_staff())) -> dict:
    try:
        return await reports.completeness(deps.views, programme_id, instrument, principal.programmes)
    except OutsideProgrammes as exc:
        raise _refused(exc) from exc


@router.get("/v1/reports/unmet-needs", tags=["reports"],
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "The report: JSON, or CSV (one row per kind and area) as `format` asks"}})
async def unmet_needs(programme_id: str | None = Query(default=None, max_length=100),
                      recorded_from: IsoDateTime | None = None, recorded_to: IsoDateTime | None = None,
                      format: Literal["json", "csv"] = "json", deps: OutcomesDependencies = Depends(dependencies),
                      principal: StaffPrincipal = Depends(require_staff())):
    """Unmet needs recorded on cases, counted by kind, by area (postcode district) and by both, with how many
    cases each; for one programme, or every one for a scheme-wide account."""
    try:
        report = await reports.unmet_needs(deps.views, programme_id, recorded_from, recorded_to, principal.programmes)
    except OutsideProgrammes as exc:
        raise _refused(exc) from exc
    if format == "csv":
        return Response(reports.unmet_needs_csv(report), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="unmet-needs.csv"'})
    return report
