"""The public self-referral form (works without JavaScript), the self-referrer's status page, and
the stylesheets they link to (under /self-referral/static/)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

import services.intake.entrypoints.self_referral.assets as assets
import services.intake.entrypoints.self_referral.pages as pages
import services.intake.entrypoints.self_referral.parsing as parsing
from services.intake.domain.status import PLAIN_WORDS
from services.intake.entrypoints.dependencies import address_wait, held_slot, intake
from services.intake.entrypoints.self_referral.fields import FILLED_BY_STAFF
from services.intake.service_layer import commands as c
from services.intake.service_layer import queries
from services.intake.service_layer.errors import SubmissionRejected
from shared.platform.auth import client_keys
from shared.platform.http import DATABASE_RETRY_AFTER_S, correlation_id_of, database_out_of_reach
from shared.platform.throttle import FailedAttempts
from shared.platform.openapi import PROBLEM_JSON, PROBLEM_REF, html, request_body

NOT_OPEN = html(404, "No such programme, or it does not take self-referrals (a page saying so).")
# A page refusing what cannot be read (control characters: shared/platform/input_limits.py), or, for a
# query parameter missing or malformed, the problem details every route gives.
UNREADABLE = {422: {"description": "What was sent cannot be read: a short page, or problem details naming the field.",
                    "content": {"text/html": {"schema": {"type": "string"}},
                                PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}}
FORM_FIELDS = request_body(
    {"type": "object", "additionalProperties": {"type": "string"}},
    media_types=("application/x-www-form-urlencoded",),
    description="The form's fields, as the page posts them (see the form for their names).")

router = APIRouter(prefix="/self-referral", tags=["self-referral"])


def _stylesheet(name: str) -> Response:
    path = assets.path_of(name)
    if path is None:  # not installed (e.g. no `npm ci`): the pages still work, unstyled
        return PlainTextResponse("Not found", status_code=404)
    return FileResponse(path, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


# Exact file names, not /static/{name}: a programme called "static" keeps its status page.
@router.get(f"/static/{assets.NHSUK_STYLESHEET}", include_in_schema=False)
async def nhsuk_stylesheet() -> Response:
    return _stylesheet(assets.NHSUK_STYLESHEET)


@router.get(f"/static/{assets.APP_STYLESHEET}", include_in_schema=False)
async def app_stylesheet() -> Response:
    return _stylesheet(assets.APP_STYLESHEET)


async def _programme(request: Request, programme_id: str) -> dict | None:
    programme = await queries.programme(intake(request).uow(), programme_id)
    return programme if programme and programme["self_referral_open"] else None


def _not_found() -> HTMLResponse:
    return HTMLResponse(pages.render_not_found(), 404)


@router.get("/{programme_id}", response_class=HTMLResponse, responses={**NOT_OPEN, **UNREADABLE})
async def show_form(programme_id: str, request: Request) -> HTMLResponse:
    programme = await _programme(request, programme_id)
    if programme is None:
        return _not_found()
    return HTMLResponse(pages.render_form(programme_id=programme_id, programme_name=programme["name"],
                                          action=f"/self-referral/{programme_id}"))


@router.post("/{programme_id}", response_class=HTMLResponse, status_code=303, responses={
    303: {"description": "Received: on to the confirmation page with the reference.",
          "headers": {"Location": {"schema": {"type": "string"}}}},
    **NOT_OPEN, **html(422, "The form again, each problem shown by its field, or a page refusing what cannot be read."),
    **html(413, "What was sent is too large (a page saying so)."),
    429: {"description": "Too many forms sent just now, from everyone or from this address: a page asking the "
                         "sender to try again after the minutes it gives (the Retry-After header in seconds).",
          "headers": {"Retry-After": {"schema": {"type": "integer"}}},
          "content": {"text/html": {"schema": {"type": "string"}}}},
    503: {"description": "The service cannot store the form just now (its database is restarting): a page asking "
                         "the person to send it again shortly (Retry-After in seconds).",
          "headers": {"Retry-After": {"schema": {"type": "integer"}}},
          "content": {"text/html": {"schema": {"type": "string"}}}}},
    openapi_extra=FORM_FIELDS)
async def submit_form(programme_id: str, request: Request):
    # Within everyone's rate and this address's before anything is read or stored, like the partners'
    # routes; a person is answered with a page saying when to try again, not problem details.
    with held_slot(request) as wait:
        wait = wait or address_wait(request)
        if wait is not None:
            return _busy(wait)
        try:
            return await _received(programme_id, request)
        except Exception as exc:
            if not database_out_of_reach(exc):
                raise
            # A person is told in words to send it again, as when the service is busy (not problem details).
            return HTMLResponse(pages.render_busy(retry_after_s=DATABASE_RETRY_AFTER_S, unavailable=True), 503,
                                headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)})


def _busy(wait: int, *, looking_up: bool = False) -> HTMLResponse:
    return HTMLResponse(pages.render_busy(retry_after_s=wait, looking_up=looking_up), 429,
                        headers={"Retry-After": str(wait)})


async def _received(programme_id: str, request: Request):
    programme = await _programme(request, programme_id)
    if programme is None:
        return _not_found()
    posted = await request.form()
    fields: dict[str, str | list[str]] = {}
    for key in posted:
        values = [v for v in posted.getlist(key) if isinstance(v, str)]
        fields[key] = values if len(values) > 1 else (values[0] if values else "")
    raw = json.dumps(fields, ensure_ascii=False).encode()
    data, errors = parsing.form_to_submission(fields, programme_id=programme_id)
    channel = "phone" if fields.get("filled_by") == FILLED_BY_STAFF else "self_referral_form"
    if data is not None:
        try:
            outcome = await intake(request).handle(c.SubmitReferral(
                channel, partner_id="self-referral", channel=channel, body=raw, data=data,
                correlation_id=correlation_id_of(request)))
            reference = outcome.referral.self_reference or str(outcome.referral.id)
            return RedirectResponse(f"/self-referral/{programme_id}/confirmation?reference={reference}", 303)
        except SubmissionRejected as rejected:
            errors = {"_form": "; ".join(e["problem"] for e in rejected.errors)}
    else:
        await intake(request).handle(c.RecordRejectedSubmission(
            channel, "self-referral", channel, raw, [{"field": k, "problem": v} for k, v in errors.items()],
            correlation_id_of(request)))
    values = {k: v for k, v in fields.items() if isinstance(v, str)}
    return HTMLResponse(
        pages.render_form(programme_id=programme_id, programme_name=programme["name"],
                          action=f"/self-referral/{programme_id}", values=values, errors=errors),
        status_code=422,
    )


@router.get("/{programme_id}/confirmation", response_class=HTMLResponse, responses={**NOT_OPEN, **UNREADABLE})
async def confirmation(programme_id: str, reference: str, request: Request) -> HTMLResponse:
    programme = await _programme(request, programme_id)
    if programme is None:
        return _not_found()
    return HTMLResponse(pages.render_confirmation(reference=reference, programme_name=programme["name"]))


@router.get("/{programme_id}/status", response_class=HTMLResponse, responses={**UNREADABLE, 429: {
    "description": "Too many references and postcodes that matched nothing, from this address: a page asking "
                   "the person to try again later (Retry-After in seconds).",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}}, "content": {"text/html": {"schema": {"type": "string"}}}}})
async def status_page(programme_id: str, request: Request, reference: str = "", postcode: str = "") -> HTMLResponse:
    """A self-referrer checks progress with their reference and postcode: no need to chase.

    A reference and postcode that match nothing count as a failed attempt by the sender's address, as a
    wrong API key does: guessing references is slowed, then refused for a while."""
    found_words: bool | None = None
    words = ""
    if reference:
        attempts: FailedAttempts | None = getattr(request.app.state, "failed_attempts", None)
        keys = [("self_referral_status", client_keys(request)[0][1])]
        if attempts is not None and (wait := attempts.retry_after(keys)):
            return _busy(wait, looking_up=True)
        status = await queries.self_referral_status(intake(request).uow(), reference, postcode)
        if status is not None:
            found_words, words = True, PLAIN_WORDS[status]
        else:
            found_words = False
            if attempts is not None and (wait := attempts.failed(keys)):
                return _busy(wait, looking_up=True)
    return HTMLResponse(pages.render_status(programme_id=programme_id, reference=reference, postcode=postcode,
                                            found=found_words, status_words=words))
