"""What every page shares: rendering on the shared layout, the signed-in session, CSRF, and the pages
for refusals (sign in, 403, 404, try again)."""

from __future__ import annotations

import hmac
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader

from services.workspace.bootstrap import Wiring
from services.workspace.domain.languages import name_of
from services.workspace.domain.session import Session, areas_for
from services.workspace.service_layer.errors import Forbidden, NotSignedIn
from shared.web import assets as shared_assets

TEMPLATES = Path(__file__).parent / "templates"
STATIC_URL = "/static"
SESSION_COOKIE = "workspace_session"
# Before signing in there is no session to hold the CSRF token: a cookie of its own, matched by the form.
SIGN_IN_CSRF_COOKIE = "workspace_sign_in_csrf"
CSRF_FIELD = "csrf_token"
SERVICE_NAME = "Connector workspace"

_ENV = Environment(
    loader=ChoiceLoader([FileSystemLoader([TEMPLATES, shared_assets.TEMPLATES]), PackageLoader("nhsuk_frontend_jinja")]),
    undefined=ChainableUndefined,  # the NHS.UK macros read optional parameters several levels deep
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["language_name"] = name_of  # 'so' -> 'Somali', wherever a page shows a person's language


def stylesheet_urls() -> list[str]:
    return [f"{STATIC_URL}/{shared_assets.NHSUK_STYLESHEET}?v={shared_assets.NHSUK_FRONTEND_VERSION}",
            f"{STATIC_URL}/{shared_assets.APP_STYLESHEET}", f"{STATIC_URL}/workspace.css"]


def script_urls() -> list[str]:
    """htmx and our one script: with either missing (or JavaScript off) every page still works, reloading."""
    return [f"{STATIC_URL}/{shared_assets.HTMX_SCRIPT}?v={shared_assets.HTMX_VERSION}", f"{STATIC_URL}/workspace.js"]


def wiring(request: Request) -> Wiring:
    return request.app.state.wiring


def page(request: Request, template: str, *, title: str, status_code: int = 200,
         errors: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A page on the workspace layout: its <title> says "Error:" first when the form has problems."""
    session: Session | None = getattr(request.state, "session", None)
    error_list = [{"href": f"#{field or 'form'}", "text": text} for field, text in (errors or {}).items()]
    html = _ENV.get_template(template).render(
        title=f"Error: {title}" if error_list else title, heading=title, service_name=SERVICE_NAME,
        stylesheets=stylesheet_urls(), scripts=script_urls(), session=session, areas=areas_for(session) if session else [],
        csrf_token=session.csrf if session else context.pop("csrf_token", ""), error_list=error_list,
        errors=errors or {}, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


# The breadcrumb every page starts from.
HOME = ("/", "Workspace")


def current_session(request: Request) -> Session:
    """The signed-in person, or NotSignedIn (the handler sends them to sign in and back here)."""
    session = wiring(request).cookie.open(request.cookies.get(SESSION_COOKIE))
    if session is None or session.expired(time.time()):
        raise NotSignedIn()
    request.state.session = session
    return session


async def form_of(request: Request, session: Session | None = None) -> dict[str, Any]:
    """The posted form, once its CSRF token matches the session's (or, signing in, the sign-in cookie's)."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 else (items[0] if items else "")
    expected = session.csrf if session else request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    given = values.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("the form was out of date or not ours: go back, reload the page and try again")
    return values


def text(values: dict[str, Any], name: str, limit: int = 2000) -> str:
    value = values.get(name, "")
    value = value[0] if isinstance(value, list) else value
    return str(value).strip()[:limit]


def set_session_cookie(response: Response, request: Request, session: Session) -> None:
    settings = wiring(request).settings
    response.set_cookie(SESSION_COOKIE, wiring(request).cookie.seal(session), httponly=True,
                        secure=settings.cookie_secure, samesite="lax", path="/",
                        max_age=max(0, int(session.expires_at - time.time())))


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def new_sign_in_csrf() -> str:
    return secrets.token_urlsafe(32)


def to_sign_in(request: Request) -> RedirectResponse:
    """Signed out (or expired): to the sign-in page, which brings them back to where they were going."""
    target = request.url.path if request.method == "GET" else "/"
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    response = RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)
    clear_session_cookie(response)
    return response


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# What a page that needs a signed-in person declares: `session: Session = Signed`.
Signed = Depends(current_session)
