"""/referrals (a referrer's own referrals and their status) and /referrals/new (the referral form)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.domain.referring import read_referral
from services.workspace.domain.session import Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import referring
from services.workspace.service_layer.errors import Conflict, Forbidden, Invalid

router = APIRouter()
Signed = web.Signed
HOME = web.HOME
# Intake names a field by its place in the canonical referral; the form by its own input.
FORM_FIELD = {"person.given_name": "given_name", "person.family_name": "family_name",
              "person.date_of_birth": "dob-day", "person.postcode": "postcode", "person.phone": "phone",
              "reason": "reason", "partner_referral_id": "partner_referral_id", "consent.to_referral": "consent"}


@router.get("/referrals", response_class=HTMLResponse)
async def referrals(request: Request, session: Session = Signed) -> HTMLResponse:
    found = await referring.own_referrals(web.wiring(request).call_as, session)
    return web.page(request, "referrals.html", title="Our referrals", referrals=found, crumbs=[HOME],
                    notice=request.query_params.get("saved"))


def _form(request: Request, session: Session, values: dict, errors: dict | None = None,
          status_code: int = 200) -> HTMLResponse:
    return web.page(request, "referral_new.html", title="Make a referral", values=values, errors=errors,
                    programme_options=[(p, p) for p in session.programmes or ()], crumbs=[HOME, ("/referrals", "Our referrals")],
                    status_code=status_code)


@router.get("/referrals/new", response_class=HTMLResponse)
async def new_referral(request: Request, session: Session = Signed) -> HTMLResponse:
    referring.require_referrer(session)
    return _form(request, session, {})


@router.post("/referrals/new", response_class=HTMLResponse)
async def make_referral(request: Request, session: Session = Signed) -> Response:
    referring.require_referrer(session)
    values = await web.form_of(request, session)
    body, errors = read_referral(values, session.programmes or (), date.today())
    if not errors:
        try:
            await referring.make_referral(web.wiring(request).call_as, session, body)
            return RedirectResponse("/referrals?saved=Referral+sent", status_code=303)
        except Invalid as invalid:
            errors = {FORM_FIELD.get(p["field"], "form"): p["message"] for p in invalid.problems}
        except (Conflict, Forbidden) as refused:
            errors = {"form": str(refused) or "The referral was not accepted"}
    return _form(request, session, values, errors, status_code=422)
