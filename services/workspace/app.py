"""The workspace's web application: its pages, the refusal pages, health, and its process."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.workspace.bootstrap import Wiring, bootstrap
from services.workspace.entrypoints import web
from services.workspace.entrypoints.casework import router as casework
from services.workspace.entrypoints.coordination import router as coordination
from services.workspace.entrypoints.offers import router as offers
from services.workspace.entrypoints.following_up import router as following_up
from services.workspace.entrypoints.operating import router as operating
from services.workspace.entrypoints.referring import router as referring
from services.workspace.entrypoints.reports import router as reports
from services.workspace.entrypoints.search import router as search
from services.workspace.entrypoints.signing_in import router as signing_in
from services.workspace.entrypoints.staffing import router as staffing
from services.workspace.service_layer.errors import Conflict, Forbidden, NotFound, NotSignedIn, Unavailable
from services.workspace.settings import WorkspaceSettings
from shared.platform.http import install_http_plumbing
from shared.platform.logging import configure_logging, get_logger

log = get_logger(__name__)
ROUTERS = [signing_in, offers, casework, reports, coordination, search, staffing, following_up, referring, operating]


def create_app(wiring: Wiring | None = None) -> FastAPI:
    wiring = wiring or bootstrap(WorkspaceSettings())
    configure_logging("workspace", wiring.settings.log_level)
    # httpx logs each request's URL at INFO, and a search's URL can carry a name or a postcode.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.ready = True
        yield
        app.state.ready = False
        await wiring.client.aclose()

    app = FastAPI(title="Connector workspace", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.wiring = wiring
    app.state.ready = False
    install_http_plumbing(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        # No framing (clickjacking), nothing cached that shows a person's details, no scripts but ours.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                                    " frame-ancestors 'none'; form-action 'self'")
        if not request.url.path.startswith(web.STATIC_URL):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, _: NotSignedIn):
        return web.to_sign_in(request)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, refusal: Forbidden) -> HTMLResponse:
        return web.page(request, "forbidden.html", title="You cannot open this page", status_code=403,
                        reason=str(refusal))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _: NotFound) -> HTMLResponse:
        return web.page(request, "not_found.html", title="Page not found", status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, refusal: Conflict) -> HTMLResponse:
        reason = str(refusal)
        return web.page(request, "conflict.html", title="That cannot be done now", status_code=409,
                        reason=reason[:1].upper() + reason[1:], back=refusal.back)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, refusal: Unavailable) -> HTMLResponse:
        log.warning("service_unavailable", problem=str(refusal))
        return web.page(request, "unavailable.html", title="Sorry, there is a problem", status_code=503)

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> HTMLResponse:
        # The kind of failure only: a message could quote what a person typed.
        log.error("page_failed", path=request.url.path, error=type(exc).__name__)
        return web.page(request, "unavailable.html", title="Sorry, there is a problem", status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        if exc.status_code == 404:
            if web.wiring(request).cookie.open(request.cookies.get(web.SESSION_COOKIE)) is None:
                return web.to_sign_in(request)  # signed out, every address leads to sign in; none is revealed
            return web.page(request, "not_found.html", title="Page not found", status_code=404)
        return web.page(request, "unavailable.html", title="Sorry, there is a problem", status_code=exc.status_code)

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict:
        return {"status": "live", "service": "workspace"}

    @app.get("/health/ready", include_in_schema=False)
    async def ready(request: Request):
        from fastapi.responses import JSONResponse

        ok = bool(request.app.state.ready)
        return JSONResponse({"status": "ready" if ok else "starting", "service": "workspace"},
                            status_code=200 if ok else 503)

    return app


def run() -> None:
    settings = WorkspaceSettings()
    uvicorn.run(create_app(bootstrap(settings)), host=settings.http_host, port=settings.http_port,
                log_config=None, access_log=False)
