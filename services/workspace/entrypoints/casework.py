"""The worker's pages: /cases (the caseload), /cases/{case_id} and a form for each thing recorded."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.domain import casework as words
from services.workspace.domain import contact_details
from services.workspace.domain.dues import SORTS
from services.workspace.domain.instruments import (CLOSURE_INSTRUMENTS, CONCERN_SCORES, INSTRUMENTS, TIMEPOINTS,
                                                   concern_field, described, item_field, read_measure)
from services.workspace.domain.session import Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import casework
from services.workspace.service_layer.errors import Invalid

router = APIRouter()
Signed = web.Signed


def _crumbs(case_id: str | None = None) -> list[tuple[str, str]]:
    crumbs = [web.HOME, ("/cases", "My caseload")]
    return crumbs + ([(f"/cases/{case_id}", "Case")] if case_id else [])


def _done(case_id: str, notice: str) -> RedirectResponse:
    # Post/redirect/get: a reload never records it twice; the notice says what was saved.
    return RedirectResponse(f"/cases/{case_id}?saved={quote(notice)}", status_code=303)


def _problems(invalid: Invalid) -> dict[str, str]:
    return {p["field"] or "form": p["message"] for p in invalid.problems}


# --------------------------------------------------------------------------- caseload and case


@router.get("/cases", response_class=HTMLResponse)
async def caseload(request: Request, sort: str = "due", show: str = "open", session: Session = Signed) -> HTMLResponse:
    sort = sort if sort in SORTS else "due"
    show = show if show in ("open", "all") else "open"
    rows = await casework.my_caseload(web.wiring(request).call_as, session, sort, show=show)
    return web.page(request, "caseload.html", title="My caseload", rows=rows, sort=sort, sorts=SORTS, show=show,
                    statuses=words.STATUSES, crumbs=[web.HOME])


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case(case_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    view = await casework.case_page(web.wiring(request).call_as, session, case_id)
    return web.page(request, "case.html", title="Case", crumbs=_crumbs(), notice=request.query_params.get("saved"),
                    words=words, instruments=INSTRUMENTS, described=described,
                    mobility_words={k: v for k, v in contact_details.MOBILITY.items() if k}, **view)


# --------------------------------------------------------------------------- correcting how to reach the person


def _contact_details_page(request: Request, case_id: str, values: dict[str, Any],
                          errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return web.page(request, "form_contact_details.html", title="Change contact details", case_id=case_id,
                    values=values, errors=errors, crumbs=_crumbs(case_id), mobility=contact_details.MOBILITY,
                    interpreter=contact_details.INTERPRETER, status_code=status_code)


@router.get("/cases/{case_id}/person/edit", response_class=HTMLResponse)
async def contact_details_form(case_id: str, request: Request, session: Session = Signed) -> HTMLResponse:
    person = await casework.person_to_correct(web.wiring(request).call_as, session, case_id)
    return _contact_details_page(request, casework.case_id_of(case_id), contact_details.form_values(person))


@router.post("/cases/{case_id}/person/edit", response_class=HTMLResponse)
async def contact_details_post(case_id: str, request: Request, session: Session = Signed) -> Response:
    case_id = casework.case_id_of(case_id)
    values = await web.form_of(request, session)
    patch, errors = contact_details.read_contact_details(values)
    if errors:
        return _contact_details_page(request, case_id, values, errors, status_code=422)
    try:
        await casework.correct_contact_details(web.wiring(request).call_as, session, case_id, patch)
    except Invalid as invalid:
        return _contact_details_page(request, case_id, values, contact_details.problems_on_form(invalid.problems),
                                     status_code=422)
    return _done(case_id, "Contact details updated")


# --------------------------------------------------------------------------- one form per thing recorded

FORMS: dict[str, dict[str, Any]] = {
    "contact": {"title": "Record a contact", "template": "form_contact.html"},
    "goal": {"title": "Add a goal", "template": "form_goal.html"},
    "signpost": {"title": "Signpost to an activity or service", "template": "form_signpost.html"},
    "unmet_need": {"title": "Record an unmet need", "template": "form_unmet_need.html"},
    "review": {"title": "Review the case", "template": "form_review.html"},
    "extend": {"title": "Extend the support", "template": "form_extend.html"},
    "hold": {"title": "Put the case on hold", "template": "form_hold.html"},
    "close": {"title": "Close the case", "template": "form_close.html"},
    "transfer": {"title": "Transfer the case to another worker", "template": "form_transfer.html"},
    "consent": {"title": "Record a change to consent", "template": "form_consent.html"},
}
SLUGS = {"contact": "contact", "goal": "goal", "signpost": "signpost", "unmet-need": "unmet_need", "review": "review",
         "extend": "extend", "hold": "hold", "close": "close", "transfer": "transfer",
         "consent": "consent"}


async def _form_page(request: Request, case_id: str, form: str, values: dict[str, Any],
                     errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    spec = FORMS[form]
    workers = {}
    if form == "transfer":  # whom it can go to: the case's programme's workers, by name
        workers = await casework.transfer_targets(web.wiring(request).call_as, request.state.session, case_id)
    if form == "consent" and "do_not_contact_was" not in values:  # first opened: ticked as caseload holds them
        case = await casework.case_brief(web.wiring(request).call_as, request.state.session, case_id)
        held = words.ticked((case.get("consent") or {}).get("do_not_contact_by")) or []
        values = {**values, "do_not_contact_by": held, "do_not_contact_was": ",".join(held)}
    return web.page(request, spec["template"], title=spec["title"], case_id=case_id, values=values, errors=errors,
                    crumbs=_crumbs(case_id), words=words, instruments=CLOSURE_INSTRUMENTS, timepoints=TIMEPOINTS,
                    item_field=item_field, workers=workers, status_code=status_code,
                    declined=words.ticked(values.get("do_not_contact_by")) or [])


def _read(form: str, values: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str], str]:
    """The body caseload takes for the form, the problems with it, and what to say once it is saved."""
    if form == "contact":
        body, errors = words.read_contact(values)
        return body, errors, "Contact recorded" if body["successful"] else "Attempt recorded"
    if form == "goal":
        text, errors = words.read_text(values, "description", "the goal", low=3)
        return {"description": text}, errors, "Goal added"
    if form == "signpost":
        text, errors = words.read_text(values, "destination", "where you signposted them", high=300)
        category = str(values.get("category") or "").strip()[:100] or None
        return {"destination": text, "category": category}, errors, "Signpost recorded"
    if form == "unmet_need":
        text, errors = words.read_text(values, "need", "what they needed", high=300)
        return {"need": text}, errors, "Unmet need recorded"
    if form == "review":
        outcome, errors = words.read_choice(values, "outcome", words.REVIEW_OUTCOMES, "the review's outcome")
        return {"outcome": outcome}, errors, "Review recorded"
    if form == "extend":
        errors: dict[str, str] = {}
        weeks = words.whole_number(values, "extra_weeks", 1, 26, errors, "the extra weeks")
        sessions = words.whole_number(values, "extra_sessions", 0, 26, errors, "the extra sessions", required=False)
        reason, more = words.read_text(values, "reason", "why the support is extended", low=3, high=1000)
        return {"extra_weeks": weeks, "extra_sessions": sessions, "reason": reason}, errors | more, "Support extended"
    if form == "transfer":
        to_worker = str(values.get("to_worker_id") or "")
        errors = {} if to_worker else {"to_worker_id": "Choose whom to transfer the case to"}
        reason, more = words.read_text(values, "reason", "why the case is transferred", low=3)
        return {"to_worker_id": to_worker, "reason": reason}, errors | more, "Case transferred"
    if form == "consent":
        body, errors = words.read_consent(values)
        return body, errors, "Consent change recorded"
    if form == "hold":
        reason, errors = words.read_text(values, "reason", "why the case is on hold", low=3)
        return {"reason": reason}, errors, "Case put on hold"
    if form == "close":
        reason, errors = words.read_choice(values, "reason", words.CLOSURE_REASONS, "why the case is closing")
        if values.get("confirm") != "yes":
            errors["confirm"] = "Confirm that you want to close the case: it cannot be reopened"
        measures = []
        for instrument in CLOSURE_INSTRUMENTS.values():
            prefixed = {k.removeprefix(f"{instrument.id}_"): v for k, v in values.items()
                        if k.startswith(f"{instrument.id}_")}
            if not prefixed.get("collected"):
                continue  # this instrument was not offered at closure (e.g. recorded already)
            measure, problems = read_measure(instrument, "end", prefixed)
            errors.update({f"{instrument.id}_{k}": v for k, v in problems.items()})
            if measure:
                measures.append(measure)
        return {"reason": reason, "measures": measures}, errors, "Case closed"
    raise KeyError(form)


@router.post("/cases/{case_id}/resume")
async def resume(case_id: str, request: Request, session: Session = Signed) -> Response:
    await web.form_of(request, session)
    await casework.record(web.wiring(request).call_as, session, case_id, "resume")
    return _done(casework.case_id_of(case_id), "Case resumed")


@router.get("/cases/{case_id}/{slug}", response_class=HTMLResponse)
async def case_form(case_id: str, slug: str, request: Request, session: Session = Signed) -> HTMLResponse:
    if slug not in SLUGS:
        raise casework.NotFound(slug)
    await casework.case_brief(web.wiring(request).call_as, session, case_id)  # 403/404 before any form is shown
    return await _form_page(request, casework.case_id_of(case_id), SLUGS[slug], {})


@router.post("/cases/{case_id}/{slug}", response_class=HTMLResponse)
async def case_form_post(case_id: str, slug: str, request: Request, session: Session = Signed) -> Response:
    if slug not in SLUGS:
        raise casework.NotFound(slug)
    case_id = casework.case_id_of(case_id)
    form = SLUGS[slug]
    values = await web.form_of(request, session)
    body, errors, saved = _read(form, values)
    if errors:
        return await _form_page(request, case_id, form, values, errors, status_code=422)
    try:
        await casework.record(web.wiring(request).call_as, session, case_id, form, body)
    except Invalid as invalid:
        return await _form_page(request, case_id, form, values, _problems(invalid), status_code=422)
    return _done(case_id, saved)


@router.post("/cases/{case_id}/goals/{goal_id}/progress")
async def goal_progress(case_id: str, goal_id: str, request: Request, session: Session = Signed) -> Response:
    values = await web.form_of(request, session)
    progress, errors = words.read_choice(values, "progress", words.GOAL_PROGRESS, "the goal's progress")
    if errors:
        raise Invalid([{"field": "progress", "message": errors["progress"]}])
    await casework.record(web.wiring(request).call_as, session, case_id, "goal", {"progress": progress},
                          sub_path=f"/{casework.case_id_of(goal_id)}/progress")
    return _done(casework.case_id_of(case_id), "Goal progress recorded")


@router.post("/cases/{case_id}/signposts/{signpost_id}/take-up")
async def take_up(case_id: str, signpost_id: str, request: Request, session: Session = Signed) -> Response:
    values = await web.form_of(request, session)
    taken = web.text(values, "taken_up", 5)
    if taken not in ("yes", "no"):
        raise Invalid([{"field": "taken_up", "message": "Say whether they took it up"}])
    await casework.record(web.wiring(request).call_as, session, case_id, "signpost", {"taken_up": taken == "yes"},
                          sub_path=f"/{casework.case_id_of(signpost_id)}/take-up")
    return _done(casework.case_id_of(case_id), "Take-up recorded")


# --------------------------------------------------------------------------- measures: one form per instrument


@router.get("/cases/{case_id}/measures/{instrument_id}", response_class=HTMLResponse)
async def measure_form(case_id: str, instrument_id: str, request: Request, timepoint: str = "baseline",
                       session: Session = Signed) -> HTMLResponse:
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None:
        raise casework.NotFound(instrument_id)
    case = await casework.case_brief(web.wiring(request).call_as, session, case_id)
    values = {"timepoint": timepoint}
    if instrument.concerns and timepoint != "baseline":
        values |= baseline_concerns(case)  # the same concerns are scored again, so they start filled in
    return _measure_page(request, casework.case_id_of(case_id), instrument, values)


def baseline_concerns(case: dict[str, Any]) -> dict[str, str]:
    """The concerns the person named at baseline (opened by caseload for this reader), as the form's fields."""
    for measure in case.get("measures") or []:
        if measure.get("instrument") == "mycaw" and measure.get("timepoint") == "baseline":
            return {concern_field(i): c for i, c in enumerate(measure.get("concerns") or []) if c}
    return {}


def _measure_page(request, case_id, instrument, values, errors=None, status_code=200) -> HTMLResponse:
    return web.page(request, "form_measure.html", title=instrument.name, case_id=case_id, instrument=instrument,
                    values=values, errors=errors, timepoints=TIMEPOINTS, item_field=item_field,
                    concern_field=concern_field, concern_scores=CONCERN_SCORES, crumbs=_crumbs(case_id),
                    status_code=status_code)


@router.post("/cases/{case_id}/measures/{instrument_id}", response_class=HTMLResponse)
async def measure_post(case_id: str, instrument_id: str, request: Request, session: Session = Signed) -> Response:
    instrument = INSTRUMENTS.get(instrument_id)
    if instrument is None:
        raise casework.NotFound(instrument_id)
    case_id = casework.case_id_of(case_id)
    values = await web.form_of(request, session)
    measure, errors = read_measure(instrument, web.text(values, "timepoint", 20), values)
    if errors:
        return _measure_page(request, case_id, instrument, values, errors, status_code=422)
    try:
        await casework.record(web.wiring(request).call_as, session, case_id, "measure", measure)
    except Invalid as invalid:
        return _measure_page(request, case_id, instrument, values, _problems(invalid), status_code=422)
    return _done(case_id, f"{instrument.name} recorded")
