"""/dead-letters: each service's dead letters, and replaying one, for operators and administrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.domain.session import Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import operating

router = APIRouter()
Signed = web.Signed
HOME = web.HOME


@router.get("/dead-letters", response_class=HTMLResponse)
async def dead_letters(request: Request, session: Session = Signed) -> HTMLResponse:
    found = await operating.dead_letters(web.wiring(request).call_as, session)
    return web.page(request, "dead_letters.html", title="Dead letters", by_service=found, crumbs=[HOME],
                    notice=request.query_params.get("saved"))


@router.post("/dead-letters/{service}/{dead_letter_id}/replay", response_class=HTMLResponse)
async def replay(service: str, dead_letter_id: str, request: Request, session: Session = Signed) -> Response:
    await web.form_of(request, session)
    await operating.replay(web.wiring(request).call_as, session, service, dead_letter_id)
    return RedirectResponse("/dead-letters?saved=Sent+again+to+its+topic", status_code=303)
