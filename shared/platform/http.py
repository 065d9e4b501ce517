"""HTTP plumbing shared by the services: correlation ids, trace spans and problem-details errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import asyncpg
import sqlalchemy.exc
import structlog
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.platform import tracing
from shared.platform.tracing import TRACEPARENT, TRACESTATE

CORRELATION_HEADER = "X-Correlation-Id"
# How long a caller is asked to wait while the database is out of reach (a restart takes seconds).
DATABASE_RETRY_AFTER_S = 5
log = structlog.get_logger(__name__)
# Scrapes and probes would drown the traces that matter.
UNTRACED_PATHS = frozenset({"/metrics"})


@contextmanager
def refusals_as_http(statuses: Mapping[type[Exception], int]) -> Iterator[None]:
    """A use case's refusal becomes the HTTP error of its kind, its message the detail.

    The service layer says what kind of refusal it is (not found, not allowed...);
    only the entrypoint knows that HTTP says 404 or 409 for it.
    """
    try:
        yield
    except tuple(statuses) as refusal:
        code = next(code for kind, code in statuses.items() if isinstance(refusal, kind))
        raise HTTPException(code, detail=str(refusal)) from None


def correlation_id_of(request: Request) -> uuid.UUID:
    return request.state.correlation_id


def install_http_plumbing(app: FastAPI) -> None:
    @app.middleware("http")
    async def correlation(request: Request, call_next):
        given = request.headers.get(CORRELATION_HEADER)
        try:
            correlation_id = uuid.UUID(given) if given else uuid.uuid4()
        except ValueError:
            correlation_id = uuid.uuid4()
        request.state.correlation_id = correlation_id
        structlog.contextvars.bind_contextvars(correlation_id=str(correlation_id))
        trace.get_current_span().set_attribute("referrals.correlation_id", str(correlation_id))
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id")
        response.headers[CORRELATION_HEADER] = str(correlation_id)
        return response

    @app.middleware("http")
    async def tracing_span(request: Request, call_next):
        # Added last, so outermost: every log line of the request carries its trace id.
        if request.url.path in UNTRACED_PATHS or request.url.path.startswith("/health/"):
            return await call_next(request)
        with tracing.tracer().start_as_current_span(
            f"{request.method}",
            context=tracing.context_from({k: request.headers.get(k) for k in (TRACEPARENT, TRACESTATE)}),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": request.method, "url.path": request.url.path},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                response = await call_next(request)
            except BaseException as exc:
                tracing.mark_failed(span, exc)
                raise
            route = request.scope.get("route")
            if route is not None and getattr(route, "path", None):
                span.update_name(f"{request.method} {route.path}")
                span.set_attribute("http.route", route.path)
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            # W3C Trace Context level 2: tells the caller which trace its request joined.
            ctx = span.get_span_context()
            response.headers["traceresponse"] = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"
            return response

    @app.exception_handler(RequestValidationError)
    async def validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
        # RFC 9457 problem details; each error names the field and what is wrong with it,
        # without echoing the submitted value back.
        errors = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "<body>", "problem": e["msg"]}
            for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            media_type="application/problem+json",
            content={
                "type": "https://referrals.example/problems/validation",
                "title": "The request is not valid",
                "status": 422,
                "detail": f"{len(errors)} field(s) failed validation",
                "errors": errors,
            },
        )

    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not database_out_of_reach(exc):
            raise exc  # a fault of ours: the server error it is
        # A warning, not a traceback per request: the readiness check and the database's own log say why.
        log.warning("database_out_of_reach", error=type(exc).__name__, path=request.url.path)
        return JSONResponse(
            status_code=503, media_type="application/problem+json",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_S)},
            content={"title": "Service unavailable", "status": 503,
                     "detail": "the database cannot be reached just now: try again shortly (a retry with the "
                               "same reference or Idempotency-Key is not taken twice)"})

    for kind in (ConnectionError, sqlalchemy.exc.DBAPIError, *_DATABASE_GONE):
        app.add_exception_handler(kind, database_unavailable)

    # Starlette's own (404 no route, 405, 400 a body that is not JSON) are problem details too.
    @app.exception_handler(StarletteHTTPException)
    async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the one route it matched; a path served by several
            # routes (GET and POST /v1/referrals) allows the methods of all of them (RFC 9110 15.5.6).
            headers["Allow"] = ", ".join(_methods_of(request))
        return JSONResponse(
            status_code=exc.status_code,
            media_type="application/problem+json",
            headers=headers,
            content={"title": _title(exc.status_code), "status": exc.status_code, "detail": exc.detail},
        )


# asyncpg's: connection lost or refused, the server starting, shutting down, or crashed.
_DATABASE_GONE = (asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError,
                  asyncpg.CrashShutdownError)


def database_out_of_reach(exc: BaseException) -> bool:
    """The database refused or lost the connection (it is restarting, or failing over): not the request's fault,
    and the same request will work again shortly."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
        exc = getattr(exc, "__cause__", None) or exc  # SQLAlchemy's asyncpg adapter wraps asyncpg's own error
    return isinstance(exc, (ConnectionError, *_DATABASE_GONE))


def _methods_of(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _title(code: int) -> str:
    return {400: "Bad request", 401: "Unauthorised", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
            409: "Conflict"}.get(
        code, "Error"
    )
