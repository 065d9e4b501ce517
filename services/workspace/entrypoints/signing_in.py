"""Sign in, sign out, the home page, and the stylesheets and scripts."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response

from services.workspace.domain.session import Session, areas_for
from services.workspace.entrypoints import web
from services.workspace.service_layer import sessions
from services.workspace.service_layer.errors import Invalid, WrongCredentials
from shared.web import assets as shared_assets

router = APIRouter()
STATIC = Path(__file__).parent / "static"


def _sign_in_page(request: Request, *, email: str = "", next_path: str = "/", errors: dict[str, str] | None = None,
                  status_code: int = 200) -> HTMLResponse:
    # The one already given, if any: a browser loads other things meanwhile (its favicon, a second tab), and
    # each would otherwise replace the cookie under a form already on screen.
    given = request.cookies.get(web.SIGN_IN_CSRF_COOKIE, "")
    csrf = given if 30 <= len(given) <= 100 else web.new_sign_in_csrf()
    response = web.page(request, "sign_in.html", title="Sign in", email=email, next_path=web.safe_next(next_path),
                        errors=errors, csrf_token=csrf, status_code=status_code)
    response.set_cookie(web.SIGN_IN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/sign-in",
                        secure=web.wiring(request).settings.cookie_secure, max_age=3600)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002 - the URL's word
    return _sign_in_page(request, next_path=next)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    values = await web.form_of(request)
    email, password = web.text(values, "email", 300), web.text(values, "password", 300)
    next_path = web.safe_next(web.text(values, "next", 500))
    try:
        session = await sessions.sign_in(web.wiring(request).call_as, email, password)
    except Invalid as invalid:
        return _sign_in_page(request, email=email, next_path=next_path, status_code=422,
                             errors={p["field"]: p["message"] for p in invalid.problems})
    except WrongCredentials:
        return _sign_in_page(request, email=email, next_path=next_path, status_code=401,
                             errors={"email": "The email address or password is not right"})
    response = RedirectResponse(next_path, status_code=303)
    web.set_session_cookie(response, request, session)
    response.delete_cookie(web.SIGN_IN_CSRF_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: Session = web.Signed) -> Response:
    await web.form_of(request, session)
    await sessions.sign_out(web.wiring(request).call_as, session)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    web.clear_session_cookie(response)
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: Session = web.Signed) -> HTMLResponse:
    return web.page(request, "home.html", title="Your workspace", home_areas=areas_for(session))


def _file(path: Path | None, media_type: str) -> Response:
    if path is None or not path.is_file():
        return PlainTextResponse("Not found", status_code=404)  # e.g. no `npm ci`: the pages work unstyled
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


@router.get(f"{web.STATIC_URL}/{shared_assets.NHSUK_STYLESHEET}", include_in_schema=False)
async def nhsuk_stylesheet() -> Response:
    return _file(next((p for p in shared_assets.nhsuk_candidates() if p.is_file()), None), "text/css")


@router.get(f"{web.STATIC_URL}/{shared_assets.APP_STYLESHEET}", include_in_schema=False)
async def app_stylesheet() -> Response:
    return _file(shared_assets.app_stylesheet(), "text/css")


@router.get(f"{web.STATIC_URL}/workspace.css", include_in_schema=False)
async def workspace_stylesheet() -> Response:
    return _file(STATIC / "workspace.css", "text/css")


@router.get(f"{web.STATIC_URL}/{shared_assets.HTMX_SCRIPT}", include_in_schema=False)
async def htmx_script() -> Response:
    return _file(next((p for p in shared_assets.htmx_candidates() if p.is_file()), None), "text/javascript")


@router.get(f"{web.STATIC_URL}/workspace.js", include_in_schema=False)
async def workspace_script() -> Response:
    return _file(STATIC / "workspace.js", "text/javascript")
