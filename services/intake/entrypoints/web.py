"""The public self-referral form (works without JavaScript) and the self-referrer's status page."""

from __future__ import annotations

import html
import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.intake.domain.status import PLAIN_WORDS
from services.intake.entrypoints import self_referral_form as form
from services.intake.entrypoints.http import intake
from services.intake.service_layer import commands as c
from services.intake.service_layer import queries
from services.intake.service_layer.errors import SubmissionRejected
from shared.platform.http import correlation_id_of

router = APIRouter(prefix="/self-referral", tags=["self-referral"])


async def _programme(request: Request, programme_id: str) -> dict | None:
    programme = await queries.programme(intake(request).uow(), programme_id)
    return programme if programme and programme["self_referral_open"] else None


def _not_found() -> HTMLResponse:
    return HTMLResponse(_page("Page not found", "<h1>Page not found</h1><p>This form is not open.</p>"), 404)


@router.get("/{programme_id}", response_class=HTMLResponse)
async def show_form(programme_id: str, request: Request) -> HTMLResponse:
    programme = await _programme(request, programme_id)
    if programme is None:
        return _not_found()
    return HTMLResponse(form.render_form(programme_id=programme_id, programme_name=programme["name"],
                                         action=f"/self-referral/{programme_id}"))


@router.post("/{programme_id}", response_class=HTMLResponse)
async def submit_form(programme_id: str, request: Request):
    programme = await _programme(request, programme_id)
    if programme is None:
        return _not_found()
    posted = await request.form()
    fields: dict[str, str | list[str]] = {}
    for key in posted:
        values = [v for v in posted.getlist(key) if isinstance(v, str)]
        fields[key] = values if len(values) > 1 else (values[0] if values else "")
    raw = json.dumps(fields, ensure_ascii=False).encode()
    data, errors = form.form_to_submission(fields, programme_id=programme_id)
    channel = "phone" if fields.get("filled_by") == form.FILLED_BY_STAFF else "self_referral_form"
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
        form.render_form(programme_id=programme_id, programme_name=programme["name"],
                         action=f"/self-referral/{programme_id}", values=values, errors=errors),
        status_code=422,
    )


@router.get("/{programme_id}/confirmation", response_class=HTMLResponse)
async def confirmation(programme_id: str, reference: str, request: Request) -> HTMLResponse:
    programme = await _programme(request, programme_id)
    if programme is None:
        return _not_found()
    return HTMLResponse(form.render_confirmation(reference=reference, programme_name=programme["name"]))


@router.get("/{programme_id}/status", response_class=HTMLResponse)
async def status_page(programme_id: str, request: Request, reference: str = "", postcode: str = "") -> HTMLResponse:
    """A self-referrer checks progress with their reference and postcode: no need to chase."""
    title, body = "Check your referral", ""
    if reference:
        status = await queries.self_referral_status(intake(request).uow(), reference, postcode)
        if status is not None:
            body = f'<div class="panel" role="status"><p>{html.escape(PLAIN_WORDS[status])}</p></div>'
        else:
            body = ('<div class="error" role="alert"><p>We could not find a referral with that reference and '
                    'postcode. Check both and try again, or call us.</p></div>')
    page = f"""<h1>{title}</h1>{body}
<form method="get" action="/self-referral/{html.escape(programme_id)}/status" novalidate>
  <div><label for="reference">Your reference</label>
  <input id="reference" name="reference" type="text" value="{html.escape(reference)}" autocomplete="off"></div>
  <div><label for="postcode">Your postcode</label>
  <input id="postcode" name="postcode" type="text" value="{html.escape(postcode)}" autocomplete="postal-code"></div>
  <button type="submit">Check</button>
</form>"""
    return HTMLResponse(_page(title, page))


def _page(title: str, content: str) -> str:
    return f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;font-size:1.2rem;line-height:1.5;max-width:40rem;margin:2rem auto;padding:0 1rem}}
label{{display:block;font-weight:bold;margin-top:1rem}} input{{font-size:1.2rem;padding:.4rem}}
button{{font-size:1.2rem;margin-top:1rem;padding:.5rem 1rem}} .panel{{border:4px solid #00703c;padding:1rem}}
.error{{border:4px solid #d4351c;padding:1rem}} :focus{{outline:3px solid #fd0}}</style></head>
<body><main id="main-content">{content}</main></body></html>"""
