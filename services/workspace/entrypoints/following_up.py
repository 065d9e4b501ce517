"""/rejected-submissions: what intake refused, with its reasons in plain words, and one submission as sent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.workspace.domain.session import COORDINATING_ROLES, Session
from services.workspace.entrypoints import web
from services.workspace.service_layer import following_up

router = APIRouter()


@router.get("/rejected-submissions", response_class=HTMLResponse)
async def rejected_submissions(request: Request, partner_id: str = "", session: Session = web.Signed) -> HTMLResponse:
    partner = partner_id.strip()[:100]
    found = await following_up.rejected_submissions(web.wiring(request).call_as, session, partner)
    return web.page(request, "rejected_submissions.html", title="Rejected submissions", submissions=found,
                    partner_id=partner, may_open=session.has_any(COORDINATING_ROLES), listed=following_up.LISTED,
                    crumbs=[web.HOME])


@router.get("/rejected-submissions/{submission_id}", response_class=HTMLResponse)
async def rejected_submission(submission_id: str, request: Request, session: Session = web.Signed) -> HTMLResponse:
    found = await following_up.rejected_submission(web.wiring(request).call_as, session, submission_id)
    return web.page(request, "rejected_submission.html", title="A rejected submission", submission=found,
                    crumbs=[web.HOME, ("/rejected-submissions", "Rejected submissions")])
