"""The worker's offers: /offers (what each is, to decide on), /offers/{offer_id}, accepting, and declining with a
coded reason once the worker has confirmed (a declined offer goes to someone else and cannot be taken back)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.domain import offers as words
from services.workspace.domain.session import Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import casework
from services.workspace.service_layer.errors import Conflict

router = APIRouter()
Signed = web.Signed
CRUMBS = [web.HOME, ("/offers", "My offers")]
# What became of the case once the offer was declined, as caseload answers (its case_status).
# Offered on, or taken at once by a worker who takes offers as they come: either way someone else's now.
AFTER_DECLINE = {"offered": "Offer declined: the case has gone to another worker",
                 "assigned": "Offer declined: the case has gone to another worker",
                 "waiting": "Offer declined: the case waits for the next worker with room"}


@router.get("/offers", response_class=HTMLResponse)
async def offers(request: Request, session: Session = Signed) -> HTMLResponse:
    found = await casework.my_offers(web.wiring(request).call_as, session)
    return web.page(request, "offers.html", title="My offers", offers=found, summary=words.summary, hours=words.hours,
                    crumbs=[web.HOME], notice=request.query_params.get("saved"))


@router.get("/offers/{offer_id}", response_class=HTMLResponse)
async def offer(offer_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    found = await casework.my_offer(web.wiring(request).call_as, session, offer_id)
    return web.page(request, "offer.html", title="An offer of support", offer=found, rows=words.summary(found),
                    crumbs=CRUMBS)


@router.post("/offers/{offer_id}/accept")
async def accept_offer(offer_id: str, request: Request, session: Session = Signed) -> Response:
    values = await web.form_of(request, session)
    try:
        await casework.answer_offer(web.wiring(request).call_as, session, offer_id, accept=True)
    except Conflict:  # caseload's words name the offer's state; the worker wants to know what that means
        raise Conflict(words.OFFER_GONE, back=("/offers", "Go to your offers")) from None
    case_id = web.text(values, "case_id", 64)
    if case_id:
        return RedirectResponse(f"/cases/{casework.case_id_of(case_id)}?saved="
                                f"{quote('Offer accepted: the case is yours')}", status_code=303)
    return RedirectResponse("/cases", status_code=303)


async def _decline_page(request: Request, offer_id: str, values: dict[str, Any],
                        errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    found = await casework.my_offer(web.wiring(request).call_as, request.state.session, offer_id)
    return web.page(request, "decline.html", title="Decline this offer", offer=found, rows=words.summary(found),
                    reasons=words.DECLINE_REASONS, values=values, errors=errors, crumbs=CRUMBS,
                    status_code=status_code)


@router.get("/offers/{offer_id}/decline", response_class=HTMLResponse)
async def decline_form(offer_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    return await _decline_page(request, offer_id, {})


@router.post("/offers/{offer_id}/decline", response_class=HTMLResponse)
async def decline_offer(offer_id: str, request: Request, session: Session = Signed) -> Response:
    values = await web.form_of(request, session)
    decline, errors = words.read_decline(values)
    if errors:
        return await _decline_page(request, offer_id, values, errors, status_code=422)
    answer = await casework.answer_offer(web.wiring(request).call_as, session, offer_id, accept=False, decline=decline)
    notice = AFTER_DECLINE.get((answer or {}).get("case_status"), "Offer declined")
    return RedirectResponse(f"/offers?saved={quote(notice)}", status_code=303)
