"""HTTP plumbing shared by the services: correlation ids and problem-details errors."""

from __future__ import annotations

import uuid

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

CORRELATION_HEADER = "X-Correlation-Id"


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
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id")
        response.headers[CORRELATION_HEADER] = str(correlation_id)
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

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            media_type="application/problem+json",
            headers=exc.headers,
            content={"title": _title(exc.status_code), "status": exc.status_code, "detail": exc.detail},
        )


def _title(code: int) -> str:
    return {400: "Bad request", 401: "Unauthorised", 403: "Forbidden", 404: "Not found", 409: "Conflict"}.get(
        code, "Error"
    )
