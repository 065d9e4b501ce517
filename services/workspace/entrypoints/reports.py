"""/reports: the outcome report with its filters, an SVG chart, the table behind it, and a CSV download."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.workspace.domain.charts import Series, grouped_bars
from services.workspace.domain.session import Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import reports
from services.workspace.service_layer.errors import Invalid

router = APIRouter()


def _chart(report: dict) -> str | None:
    groups = [(str(g["group"]), [g.get("mean_start"), g.get("mean_end")]) for g in report.get("groups", [])
              if g.get("paired")]
    if not groups:
        return None
    name = report.get("instrument_name") or report.get("instrument", "")
    better = "lower" if report.get("better") == "lower" else "higher"
    return grouped_bars(
        f"{name}: mean score at the start and at the end",
        f"Mean {name} score at the start and at the end of support for each group; a {better} score is better.",
        groups, [Series("Start", "app-bar-start"), Series("End", "app-bar-end")], f"Mean score ({better} is better)")


@router.get("/reports", response_class=HTMLResponse)
async def outcome_report(request: Request, session: Session = web.Signed) -> HTMLResponse:
    reports.require_reports(session)
    filters, errors = reports.read_filters(dict(request.query_params))
    found: dict = {"report": {"groups": []}, "workers": {}}
    if not errors:
        try:
            found = await reports.outcome_report(web.wiring(request).call_as, session, filters)
        except Invalid as invalid:
            errors = {p["field"] or "form": p["message"] for p in invalid.problems}
    if errors:  # the filters still need the workers' names
        found["workers"] = await reports.workers(web.wiring(request).call_as, session)
    query = urlencode({k: v for k, v in filters.items() if v})
    return web.page(request, "reports.html", title="Outcome report", filters=filters, errors=errors,
                    report=found["report"], workers=found["workers"], chart=_chart(found["report"]),
                    instruments=reports.INSTRUMENTS, breakdowns=reports.BREAKDOWNS, csv_url=f"/reports/outcomes.csv?{query}",
                    crumbs=[web.HOME], status_code=422 if errors else 200)


@router.get("/reports/outcomes.csv")
async def outcome_csv(request: Request, session: Session = web.Signed) -> Response:
    filters, errors = reports.read_filters(dict(request.query_params))
    if errors:
        raise Invalid([{"field": k, "message": v} for k, v in errors.items()])
    csv = await reports.outcome_csv(web.wiring(request).call_as, session, filters)
    return Response(csv, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filters["instrument"]}-outcomes.csv"'})


@router.get("/reports/completeness", response_class=HTMLResponse)
async def completeness(request: Request, instrument: str = "ucla3", programme_id: str = "",
                       session: Session = web.Signed) -> HTMLResponse:
    instrument = instrument if instrument in reports.INSTRUMENTS else "ucla3"
    found = await reports.completeness(web.wiring(request).call_as, session, instrument, programme_id[:100])
    return web.page(request, "completeness.html", title="Measure completeness", found=found, instrument=instrument,
                    instruments=reports.INSTRUMENTS, programme_id=programme_id[:100],
                    crumbs=[web.HOME, ("/reports", "Reports")])


@router.get("/reports/funnel", response_class=HTMLResponse)
async def funnel(request: Request, programme_id: str = "", session: Session = web.Signed) -> HTMLResponse:
    found = await reports.funnel(web.wiring(request).call_as, session, programme_id[:100])
    counts = {k: v for k, v in found.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    lists = {k: v for k, v in found.items() if isinstance(v, list)}
    return web.page(request, "funnel.html", title="Referral funnel", counts=counts, lists=lists,
                    programme_id=programme_id[:100], crumbs=[web.HOME, ("/reports", "Reports")])


TOP_KINDS = 15  # the chart's bars; the table has every kind


def _unmet_chart(rows: list[dict], label: str, chart_id: str, what: str) -> str | None:
    if not rows:
        return None
    shown = rows[:TOP_KINDS]
    more = f" The {len(shown)} most recorded are drawn; the table has all {len(rows)}." if len(rows) > len(shown) else ""
    return grouped_bars(
        f"Unmet needs by {what}", f"How many times each {what} of unmet need was recorded, and in how many cases."
        + more, [(str(r[label]), [r["times"], r["cases"]]) for r in shown],
        [Series("Times recorded", "app-bar-start"), Series("Cases", "app-bar-end")], "Count", chart_id=chart_id)


@router.get("/reports/unmet-needs", response_class=HTMLResponse)
async def unmet_needs(request: Request, session: Session = web.Signed) -> HTMLResponse:
    reports.require_reports(session)
    filters, errors = reports.read_unmet_filters(dict(request.query_params))
    found: dict = {"by_kind": [], "by_area": [], "by_kind_and_area": [], "times": 0, "cases": 0}
    if not errors:
        found = await reports.unmet_needs(web.wiring(request).call_as, session, filters)
    query = urlencode({k: v for k, v in filters.items() if v})
    return web.page(request, "unmet_needs.html", title="Unmet needs", filters=filters, errors=errors, found=found,
                    kind_chart=_unmet_chart(found["by_kind"], "kind", "kind-chart", "kind"),
                    area_chart=_unmet_chart(found["by_area"], "area", "area-chart", "area"),
                    csv_url=f"/reports/unmet-needs.csv?{query}", crumbs=[web.HOME, ("/reports", "Reports")],
                    status_code=422 if errors else 200)


@router.get("/reports/unmet-needs.csv")
async def unmet_needs_csv(request: Request, session: Session = web.Signed) -> Response:
    filters, errors = reports.read_unmet_filters(dict(request.query_params))
    if errors:
        raise Invalid([{"field": k, "message": v} for k, v in errors.items()])
    csv = await reports.unmet_needs_csv(web.wiring(request).call_as, session, filters)
    return Response(csv, media_type="text/csv", headers={"Content-Disposition": 'attachment; filename="unmet-needs.csv"'})
