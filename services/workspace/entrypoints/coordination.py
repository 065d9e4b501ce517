"""/reviews (triage's review queue and one review's decision) and /match-reviews (uncertain person matches)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.domain.session import Session
from services.workspace.domain.triage import DECISIONS, read_decision
from services.workspace.entrypoints import web
from services.workspace.service_layer import coordination
from services.workspace.service_layer.errors import Invalid

router = APIRouter()
Signed = web.Signed
HOME = web.HOME


@router.get("/reviews", response_class=HTMLResponse)
async def reviews(request: Request, session: Session = Signed) -> HTMLResponse:
    found = await coordination.triage_reviews(web.wiring(request).call_as, session)
    return web.page(request, "reviews.html", title="Triage reviews", reviews=found, crumbs=[HOME],
                    notice=request.query_params.get("saved"))


def _review_page(request: Request, view: dict, values: dict, errors: dict | None = None,
                 status_code: int = 200) -> HTMLResponse:
    return web.page(request, "review.html", title="Decide a triage review", decisions=DECISIONS, values=values,
                    errors=errors, crumbs=[HOME, ("/reviews", "Triage reviews")], status_code=status_code, **view)


@router.get("/reviews/{review_id}", response_class=HTMLResponse)
async def review(review_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    view = await coordination.triage_review(web.wiring(request).call_as, session, review_id)
    return _review_page(request, view, {})


@router.post("/reviews/{review_id}", response_class=HTMLResponse)
async def decide_review(review_id: str, request: Request, session: Session = Signed) -> Response:
    values = await web.form_of(request, session)
    body, errors = read_decision(values)
    if not errors:
        try:
            await coordination.decide_triage_review(web.wiring(request).call_as, session, review_id, body)
            return RedirectResponse("/reviews?saved=Review+decided", status_code=303)
        except Invalid as invalid:
            errors = {p["field"] or "form": p["message"] for p in invalid.problems}
    view = await coordination.triage_review(web.wiring(request).call_as, session, review_id)
    return _review_page(request, view, values, errors, status_code=422)


@router.get("/match-reviews", response_class=HTMLResponse)
async def match_reviews(request: Request, session: Session = Signed) -> HTMLResponse:
    found = await coordination.match_reviews(web.wiring(request).call_as, session)
    return web.page(request, "match_reviews.html", title="Person-match reviews", reviews=found, crumbs=[HOME],
                    notice=request.query_params.get("saved"))


@router.get("/match-reviews/{review_id}", response_class=HTMLResponse)
async def match_review(review_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    found = await coordination.match_review(web.wiring(request).call_as, session, review_id)
    return web.page(request, "match_review.html", title="Is this the same person?", review=found,
                    crumbs=[HOME, ("/match-reviews", "Person-match reviews")])


@router.post("/match-reviews/{review_id}", response_class=HTMLResponse)
async def decide_match(review_id: str, request: Request, session: Session = Signed) -> Response:
    values = await web.form_of(request, session)
    answer = web.text(values, "same_person", 5)
    if answer not in ("yes", "no"):
        found = await coordination.match_review(web.wiring(request).call_as, session, review_id)
        return web.page(request, "match_review.html", title="Is this the same person?", review=found,
                        crumbs=[HOME, ("/match-reviews", "Person-match reviews")], status_code=422,
                        errors={"same_person": "Say whether this is the same person"})
    await coordination.decide_match(web.wiring(request).call_as, session, review_id, answer == "yes")
    return RedirectResponse("/match-reviews?saved=Match+decided", status_code=303)


@router.get("/waiting-list", response_class=HTMLResponse)
async def waiting_list(request: Request, programme_id: str = "", session: Session = Signed) -> HTMLResponse:
    programme = coordination.programme_of(session, programme_id)
    found = await coordination.waiting_list(web.wiring(request).call_as, session, programme)
    return web.page(request, "waiting_list.html", title="Waiting list", waiting=found, programme_id=programme,
                    crumbs=[HOME])


@router.get("/capacity", response_class=HTMLResponse)
async def capacity(request: Request, programme_id: str = "", session: Session = Signed) -> HTMLResponse:
    programme = coordination.programme_of(session, programme_id)
    found = await coordination.capacity(web.wiring(request).call_as, session, programme)
    return web.page(request, "capacity.html", title="Capacity", programme_id=programme, crumbs=[HOME], **found)
