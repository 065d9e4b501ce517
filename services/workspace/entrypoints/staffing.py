"""/workers (a programme's workers, adding one, changing one) and /programmes/{id}/settings, for coordinators."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.domain import staffing as words
from services.workspace.domain.session import Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import staffing
from services.workspace.service_layer.coordination import programme_of
from services.workspace.service_layer.errors import Conflict, Invalid

router = APIRouter()
Signed = web.Signed
HOME = web.HOME
WORKERS = ("/workers", "Workers")


def _field_errors(problems: list[dict[str, str]], fields: set[str]) -> dict[str, str]:
    """caseload's refusals, each on its field where the form has one (else on the form as a whole)."""
    errors: dict[str, str] = {}
    for problem in problems:
        field = problem["field"].split(".")[-1] if problem["field"] else ""
        errors.setdefault(field if field in fields else "form", problem["message"])
    return errors


@router.get("/workers", response_class=HTMLResponse)
async def workers(request: Request, programme_id: str = "", session: Session = Signed) -> HTMLResponse:
    programme = programme_of(session, programme_id)
    found = await staffing.workers(web.wiring(request).call_as, session, programme)
    return web.page(request, "workers.html", title="Workers", workers=found, programme_id=programme,
                    programme_path=quote(programme, safe=""), crumbs=[HOME],
                    notice=request.query_params.get("saved"))


def _worker_page(request: Request, session: Session, values: dict, *, worker: dict | None = None,
                 errors: dict | None = None, status_code: int = 200) -> HTMLResponse:
    return web.page(request, "worker_form.html", title=f"Change {worker['name']}" if worker else "Add a worker",
                    worker=worker, values=values, errors=errors, roles=list(words.WORKER_ROLES.items()),
                    yes_no=words.YES_NO, programmes=list(session.programmes or ()), crumbs=[HOME, WORKERS],
                    status_code=status_code)


@router.get("/workers/new", response_class=HTMLResponse)
async def new_worker(request: Request, programme_id: str = "", session: Session = Signed) -> HTMLResponse:
    staffing.require_coordinator(session)
    return _worker_page(request, session, {"programme_id": programme_of(session, programme_id),
                                           "home_visits": "yes", "auto_accept_offers": "no"})


async def _saved(request: Request, session: Session, values: dict[str, Any], send, *,
                 worker: dict | None = None) -> Response:
    try:
        await send()
    except Invalid as invalid:
        errors = _field_errors(invalid.problems, set(words.worker_form_values({})) | {"role", "programme_id"})
    except Conflict as refusal:  # caseload's rule (hours below what their cases take): said on the form
        errors = {"form": str(refusal)}
    else:
        programme = values.get("programme_id") or (worker or {}).get("programme_id") or ""
        # The notice names no one: an address ends up in browser history and proxies' logs.
        notice = "Worker+saved" if worker else "Worker+added"
        return RedirectResponse(f"/workers?programme_id={quote(str(programme), safe='')}&saved={notice}",
                                status_code=303)
    return _worker_page(request, session, values, worker=worker, errors=errors, status_code=422)


@router.post("/workers/new", response_class=HTMLResponse)
async def add_worker(request: Request, session: Session = Signed) -> Response:
    staffing.require_coordinator(session)
    values = await web.form_of(request, session)
    body, errors = words.read_worker(values, new=True)
    if errors:
        return _worker_page(request, session, values, errors=errors, status_code=422)
    connect = web.wiring(request).call_as
    return await _saved(request, session, values, lambda: staffing.add_worker(connect, session, body))


@router.get("/workers/{worker_id}/edit", response_class=HTMLResponse)
async def edit_worker(worker_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    found = await staffing.worker(web.wiring(request).call_as, session, worker_id)
    return _worker_page(request, session, words.worker_form_values(found), worker=found)


@router.post("/workers/{worker_id}/edit", response_class=HTMLResponse)
async def change_worker(worker_id: str, request: Request, session: Session = Signed) -> Response:
    values = await web.form_of(request, session)
    connect = web.wiring(request).call_as
    found = await staffing.worker(connect, session, worker_id)
    body, errors = words.read_worker(values, new=False, load_hours=Decimal(str(found.get("load_hours") or 0)),
                                     was_active=bool(found.get("active", True)))
    if errors:
        return _worker_page(request, session, values, worker=found, errors=errors, status_code=422)
    return await _saved(request, session, values, lambda: staffing.change_worker(connect, session, worker_id, body),
                        worker=found)


def _settings_page(request: Request, programme_id: str, values: dict, errors: dict | None = None,
                   status_code: int = 200, notice: str | None = None) -> HTMLResponse:
    return web.page(request, "programme_settings.html", title="Programme settings", programme_id=programme_id,
                    settings=words.SETTINGS, values=values, errors=errors, notice=notice,
                    crumbs=[HOME, (f"/workers?programme_id={quote(programme_id, safe='')}", "Workers")],
                    status_code=status_code)


@router.get("/programmes/{programme_id}/settings", response_class=HTMLResponse)
async def programme_settings(programme_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    found = await staffing.programme_settings(web.wiring(request).call_as, session, programme_id)
    return _settings_page(request, programme_id, words.settings_form_values(found),
                          notice=request.query_params.get("saved"))


@router.post("/programmes/{programme_id}/settings", response_class=HTMLResponse)
async def set_programme_settings(programme_id: str, request: Request, session: Session = Signed) -> Response:
    staffing.require_coordinator(session)
    values = await web.form_of(request, session)
    body, errors = words.read_settings(values)
    if not errors:
        try:
            await staffing.set_programme_settings(web.wiring(request).call_as, session, programme_id, body)
            return RedirectResponse(f"/programmes/{quote(programme_id, safe='')}/settings?saved=Settings+saved",
                                    status_code=303)
        except Invalid as invalid:
            errors = _field_errors(invalid.problems, {s.name for s in words.SETTINGS})
    return _settings_page(request, programme_id, values, errors, status_code=422)
