"""/rejected-submissions: what intake refused, with its reasons in plain words, and one submission as sent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.workspace.domain.rejections import FOLLOW_UPS
from services.workspace.domain.session import COORDINATING_ROLES, Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import following_up

router = APIRouter()


@router.get("/rejected-submissions", response_class=HTMLResponse)
async def rejected_submissions(request: Request, partner_id: str = "", show: str = "",
                               session: Session = web.Signed) -> HTMLResponse:
    partner, everything = partner_id.strip()[:100], show == "all"
    found = await following_up.rejected_submissions(web.wiring(request).call_as, session, partner, everything)
    return web.page(request, "rejected_submissions.html", title="Rejected submissions", submissions=found,
                    partner_id=partner, everything=everything, may_act=session.has_any(COORDINATING_ROLES),
                    follow_ups=FOLLOW_UPS, listed=following_up.LISTED, crumbs=[web.HOME],
                    notice=request.query_params.get("saved"))


@router.post("/rejected-submissions/{submission_id}/follow-up", response_class=HTMLResponse)
async def follow_up(submission_id: str, request: Request, session: Session = web.Signed) -> Response:
    values = await web.form_of(request, session)
    await following_up.follow_up(web.wiring(request).call_as, session, submission_id, web.text(values, "outcome", 40))
    return RedirectResponse("/rejected-submissions?saved=Marked+as+followed+up", status_code=303)


@router.get("/rejected-submissions/{submission_id}", response_class=HTMLResponse)
async def rejected_submission(submission_id: str, request: Request, session: Session = web.Signed) -> HTMLResponse:
    found = await following_up.rejected_submission(web.wiring(request).call_as, session, submission_id)
    return web.page(request, "rejected_submission.html", title="A rejected submission", submission=found,
                    crumbs=[web.HOME, ("/rejected-submissions", "Rejected submissions")])
