"""Staff bearer tokens: signed (HS256) with the deployment's shared secret.

Every service verifies them without a call to another service. Partner API keys
are intake's business and live there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.platform.logging import get_logger
from shared.platform.throttle import FailedAttempts

log = get_logger(__name__)

ISSUER = "community-connector-referrals"
STAFF_ROLES = frozenset({"admin", "coordinator", "connector", "volunteer", "analyst"})


def client_keys(request: Request, *more: tuple[str, str]) -> list[tuple[str, str]]:
    """What failed attempts are counted by: the client's address, and any key id or account given."""
    return [("address", request.client.host if request.client else "unknown"), *more]


def _attempts(request: Request) -> FailedAttempts | None:
    return getattr(request.app.state, "failed_attempts", None)


def _too_many(retry_after: int) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail="too many failed attempts: try again later",
                         headers={"Retry-After": str(retry_after)})


def refuse_if_locked_out(request: Request, keys: list[tuple[str, str]]) -> None:
    attempts = _attempts(request)
    if attempts is not None and (wait := attempts.retry_after(keys)):
        raise _too_many(wait)


def credential_failed(request: Request, keys: list[tuple[str, str]], what: str) -> None:
    """Count a wrong credential; 429 at once if that locked the client or key out. Logs no secret."""
    attempts = _attempts(request)
    wait = attempts.failed(keys) if attempts is not None else None
    log.warning(what, client_address=keys[0][1], key_ids=[v for k, v in keys[1:]], locked_out=bool(wait))
    if wait:
        raise _too_many(wait)


@dataclass(frozen=True)
class StaffPrincipal:
    subject: str
    roles: frozenset[str]


def issue_staff_token(secret: str, subject: str, roles: list[str], ttl: timedelta = timedelta(days=30)) -> str:
    unknown = set(roles) - STAFF_ROLES
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "sub": subject, "roles": sorted(roles), "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_staff_token(secret: str, token: str) -> StaffPrincipal:
    claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "sub"]})
    return StaffPrincipal(subject=claims["sub"], roles=frozenset(claims.get("roles", [])))


_bearer = HTTPBearer(auto_error=False)


def require_staff(*roles: str):
    """FastAPI dependency: a valid staff token holding at least one of `roles` (any role if none given)."""

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> StaffPrincipal:
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="a staff bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        keys = client_keys(request)
        refuse_if_locked_out(request, keys)
        try:
            principal = verify_staff_token(request.app.state.settings.auth_secret, credentials.credentials)
        except jwt.PyJWTError:
            credential_failed(request, keys, "staff_token_refused")
            # Nothing of why: the library's words would tell a forger which check their token failed.
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="invalid token",
                headers={"WWW-Authenticate": "Bearer"},
            ) from None
        if roles and not (principal.roles & set(roles)):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"needs one of the roles: {', '.join(roles)}")
        return principal

    return dependency
