"""/search: a coordinator finds a referral by its reference, the person's name, NHS number or postcode, its
partner or status. A GET form, so a search can be bookmarked or shared within the team's own workspace."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.workspace.domain.search import STATUSES, TEXT_FIELDS, asked, offset_of, read_search
from services.workspace.domain.session import Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import search
from services.workspace.service_layer.errors import Invalid

router = APIRouter()

def _message(problem: dict[str, str]) -> str:
    """Intake's words for a problem, as a sentence for the error summary."""
    text = problem["message"].strip()
    return text[:1].upper() + text[1:] if text else "Check what you entered"


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request, session: Session = web.Signed) -> HTMLResponse:
    search.require_searcher(session)
    query = dict(request.query_params)
    terms, errors = read_search(query)
    if not asked(query):  # opened, not sent: the empty form, no problems yet
        errors = {}
    found, offset = None, offset_of(query)
    if asked(query) and not errors:
        try:
            found = await search.search_referrals(web.wiring(request).call_as, session,
                                                  {k: v for k, v in terms.items() if v}, offset)
        except Invalid as invalid:
            errors = {p["field"] or "reference": _message(p) for p in invalid.problems}
    pages = {}
    if found:
        base = {k: v for k, v in terms.items() if v}
        if offset > 0:
            pages["previous"] = "/search?" + urlencode({**base, "offset": max(offset - search.PAGE_SIZE, 0)})
        if found["more"]:
            pages["next"] = "/search?" + urlencode({**base, "offset": offset + search.PAGE_SIZE})
    return web.page(request, "search.html", title="Find a referral", crumbs=[web.HOME], fields=TEXT_FIELDS,
                    statuses=STATUSES, values=terms, errors=errors, found=found, offset=offset, pages=pages,
                    status_code=422 if errors else 200)
