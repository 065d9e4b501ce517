"""Managers' and commissioners' reports: outcomes' figures, with workers named (caseload's list), never ids."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.workspace.domain.session import REPORTING_ROLES, Session
from services.workspace.service_layer.errors import Forbidden, Invalid
from services.workspace.service_layer.ports import Connect

INSTRUMENTS = {"ucla3": "UCLA-3 loneliness", "swemwbs": "SWEMWBS wellbeing", "ons4": "ONS4 wellbeing",
               "djg6": "De Jong Gierveld loneliness", "ons_loneliness": "ONS loneliness question",
               "mycaw": "MYCaW concerns"}
BREAKDOWNS = {"": "No breakdown", "worker": "Worker", "age_band": "Age band", "gender": "Gender",
              "source": "Referral source", "trigger_group": "Trigger group", "support": "Kind of support",
              "contacts": "Number of contacts"}


def require_reports(session: Session) -> None:
    if not session.has_any(REPORTING_ROLES):
        raise Forbidden("Reports are for managers, commissioners and coordinators.")


def read_filters(query: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The report's filters as asked for in the address; dates as YYYY-MM-DD; problems by field."""
    errors: dict[str, str] = {}
    filters = {"instrument": query.get("instrument") or "ucla3", "programme_id": (query.get("programme_id") or "")[:100],
               "worker_id": (query.get("worker_id") or "")[:40], "breakdown": query.get("breakdown") or "",
               "closed_from": (query.get("closed_from") or "")[:10], "closed_to": (query.get("closed_to") or "")[:10]}
    if filters["instrument"] not in INSTRUMENTS:
        errors["instrument"] = "Choose a measure from the list"
    if filters["breakdown"] not in BREAKDOWNS:
        errors["breakdown"] = "Choose a breakdown from the list"
    return filters, {**errors, **_date_errors(filters, "closed_from", "closed_to")}


def _api_params(filters: dict[str, str]) -> dict[str, str]:
    params = {"instrument": filters["instrument"], "programme_id": filters["programme_id"],
              "worker_id": filters["worker_id"], "breakdown": filters["breakdown"]}
    if params["breakdown"] == "worker":
        params["breakdown"] = ""  # one report per worker, asked for in turn (outcomes has no worker breakdown)
    if filters["closed_from"]:
        params["closed_from"] = f"{filters['closed_from']}T00:00:00+00:00"
    if filters["closed_to"]:
        params["closed_to"] = f"{filters['closed_to']}T23:59:59+00:00"
    return params


async def workers(connect: Connect, session: Session, programme_id: str = "") -> dict[str, str]:
    """Worker id -> name, for the filters and the per-worker breakdown."""
    listed = await connect(session.token).caseload.get("/v1/workers", programme_id=programme_id or None)
    return {str(w["id"]): str(w.get("name") or "Unnamed worker") for w in listed}


async def outcome_report(connect: Connect, session: Session, filters: dict[str, str]) -> dict[str, Any]:
    require_reports(session)
    outcomes = connect(session.token).outcomes
    named = await workers(connect, session, filters["programme_id"])
    if filters["worker_id"] and filters["worker_id"] not in named:
        raise Invalid([{"field": "worker_id", "message": "Choose a worker from the list"}])
    if filters["breakdown"] == "worker":
        groups = []
        for worker_id, name in sorted(named.items(), key=lambda item: item[1]):
            report = await outcomes.get("/v1/reports/outcomes", **{**_api_params(filters), "worker_id": worker_id})
            groups += [{**g, "group": name} for g in report["groups"] if g.get("paired")]
        report = {**report, "groups": groups} if named else {"groups": []}
    else:
        report = await outcomes.get("/v1/reports/outcomes", **_api_params(filters))
        for group in report["groups"]:
            group["group"] = named.get(str(group.get("group")), group.get("group")) or "Everyone"
    return {"report": report, "workers": named}


async def outcome_csv(connect: Connect, session: Session, filters: dict[str, str]) -> str:
    require_reports(session)
    return await connect(session.token).outcomes.get("/v1/reports/outcomes", **_api_params(filters), format="csv")


async def completeness(connect: Connect, session: Session, instrument: str, programme_id: str) -> dict[str, Any]:
    """Outcomes' completeness rows, each worker named; `level` says whether a row is everyone, a programme or a worker."""
    require_reports(session)
    found = await connect(session.token).outcomes.get("/v1/reports/completeness", instrument=instrument,
                                                     programme_id=programme_id or None)
    named = await workers(connect, session, programme_id)
    for row in found.get("rows", []):
        row["name"] = (named.get(str(row.get("worker_id")), "A worker no longer listed") if row.get("worker_id")
                       else ("Everyone" if row.get("level") == "all" else f"Programme {row.get('programme_id')}"))
    return found


async def funnel(connect: Connect, session: Session, programme_id: str) -> dict[str, Any]:
    require_reports(session)
    return await connect(session.token).outcomes.get("/v1/reports/funnel", programme_id=programme_id or None)


def read_unmet_filters(query: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The unmet-needs report's filters: a programme, and the dates needs were recorded between."""
    filters = {"programme_id": (query.get("programme_id") or "")[:100],
               "recorded_from": (query.get("recorded_from") or "")[:10],
               "recorded_to": (query.get("recorded_to") or "")[:10]}
    return filters, _date_errors(filters, "recorded_from", "recorded_to")


def _unmet_params(filters: dict[str, str]) -> dict[str, str | None]:
    return {"programme_id": filters["programme_id"] or None,
            "recorded_from": f"{filters['recorded_from']}T00:00:00+00:00" if filters["recorded_from"] else None,
            # up to the end of the day asked for
            "recorded_to": f"{filters['recorded_to']}T23:59:59+00:00" if filters["recorded_to"] else None}


async def unmet_needs(connect: Connect, session: Session, filters: dict[str, str]) -> dict[str, Any]:
    require_reports(session)
    return await connect(session.token).outcomes.get("/v1/reports/unmet-needs", **_unmet_params(filters))


async def unmet_needs_csv(connect: Connect, session: Session, filters: dict[str, str]) -> str:
    require_reports(session)
    return await connect(session.token).outcomes.get("/v1/reports/unmet-needs", **_unmet_params(filters),
                                                     format="csv")


def _date_errors(filters: dict[str, str], *names: str) -> dict[str, str]:
    """The report filters' dates that are not ISO dates, each with the words the form shows."""
    errors = {}
    for name in names:
        if filters[name]:
            try:
                date.fromisoformat(filters[name])
            except ValueError:
                errors[name] = "Enter a date like 2026-03-31"
    return errors
