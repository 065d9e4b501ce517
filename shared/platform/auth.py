"""Staff bearer tokens: signed (HS256) with the deployment's shared secret.

Every service verifies them without a call to another service. Partner API keys
are intake's business and live there.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.platform.logging import get_logger
from shared.platform.policy import Access, access_for
from shared.platform.throttle import FailedAttempts

log = get_logger(__name__)

ISSUER = "community-connector-referrals"
STAFF_ROLES = frozenset({"volunteer", "connector", "coordinator", "manager", "auditor", "operator", "admin",
                         "referrer"})
# A referrer is a partner's member of staff (a GP surgery's, a charity's): bound to that one partner (the token's
# `ptn`), it follows and makes that partner's referrals as the partner's API key would, and holds no other role.
REFERRER = "referrer"
# Workers: they see and change their own offers and cases only (the worker id their token carries).
WORKER_ROLES = frozenset({"volunteer", "connector"})
# Access tokens are short-lived; one claiming a longer life than this is refused however it was signed,
# so a leaked signing secret cannot mint a token that outlives its rotation by years.
MAX_TOKEN_LIFETIME = timedelta(hours=12)
DEFAULT_TOKEN_LIFETIME = timedelta(hours=1)


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
    worker_id: uuid.UUID | None = None  # the worker profile this account is, if any
    # The programmes this account works in; None: every programme (an admin, or a scheme-wide coordinator).
    programmes: frozenset[str] | None = None
    # The sites this account coordinates within its programmes; None: every site.
    sites: frozenset[str] | None = None
    session_id: uuid.UUID | None = None  # the sign-in session (identity's) the token belongs to, if any
    partner_id: str | None = None  # the partner a referrer works for (and only a referrer's token names one)

    @property
    def own_work_only(self) -> bool:
        """A worker and nothing more: limited to the offers and cases of its own worker profile."""
        return bool(self.roles) and self.roles <= WORKER_ROLES


def issue_staff_token(secret: str, subject: str, roles: list[str], ttl: timedelta = DEFAULT_TOKEN_LIFETIME,
                      worker_id: uuid.UUID | str | None = None, programmes: list[str] | None = None,
                      sites: list[str] | None = None, session_id: uuid.UUID | str | None = None,
                      partner_id: str | None = None) -> str:
    unknown = set(roles) - STAFF_ROLES
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    referrer_binding_problem(frozenset(roles), partner_id, ValueError)
    if ttl > MAX_TOKEN_LIFETIME:
        raise ValueError(f"a staff token lives at most {MAX_TOKEN_LIFETIME}")
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "sub": subject, "roles": sorted(roles), "iat": now, "exp": now + ttl}
    if worker_id is not None:
        claims["wid"] = str(worker_id)
    if programmes is not None:
        claims["prg"] = sorted(programmes)
    if sites is not None:
        claims["sit"] = sorted(sites)
    if session_id is not None:
        claims["sid"] = str(session_id)  # so a signed-out session's token can be refused (shared/platform/sessions.py)
    if partner_id is not None:
        claims["ptn"] = partner_id
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_staff_token(secret: str, token: str) -> StaffPrincipal:
    claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER,
                        options={"require": ["exp", "iat", "sub"]})
    if claims["exp"] - claims["iat"] > MAX_TOKEN_LIFETIME.total_seconds():
        raise jwt.InvalidTokenError("lifetime too long")
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not set(roles) <= STAFF_ROLES:
        raise jwt.InvalidTokenError("unknown roles")
    worker_id = uuid.UUID(claims["wid"]) if claims.get("wid") else None
    programmes, sites = _names(claims, "prg"), _names(claims, "sit")
    session_id = uuid.UUID(claims["sid"]) if claims.get("sid") else None
    partner_id = claims.get("ptn")
    if partner_id is not None and not isinstance(partner_id, str):
        raise jwt.InvalidTokenError("bad ptn")
    referrer_binding_problem(frozenset(roles), partner_id, jwt.InvalidTokenError)
    return StaffPrincipal(subject=claims["sub"], roles=frozenset(roles), worker_id=worker_id,
                          programmes=programmes, sites=sites, session_id=session_id, partner_id=partner_id)


def referrer_binding_problem(roles: frozenset[str], partner_id: str | None, error: type[Exception]) -> None:
    """A referrer is one partner's and nothing else; a partner is named for a referrer only.

    So a referrer token can never open a scheme staff route, and a staff token never speaks for a partner."""
    if REFERRER in roles and (roles != {REFERRER} or not partner_id):
        raise error("a referrer holds that role alone and names its partner")
    if partner_id is not None and REFERRER not in roles:
        raise error("only a referrer names a partner")


def _names(claims: dict, claim: str) -> frozenset[str] | None:
    """A claim that lists names (programmes, sites); absent means every one."""
    names = claims.get(claim)
    if names is None:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise jwt.InvalidTokenError(f"bad {claim}")
    return frozenset(names)


_bearer = HTTPBearer(auto_error=False)

# Who the metrics scraper is, to a route that lets it in: an operator for that route only (the policy row).
SCRAPER = StaffPrincipal(subject="metrics-scraper", roles=frozenset({"operator"}))


def _is_scrape_token(request: Request, presented: str) -> bool:
    expected = getattr(request.app.state.settings, "metrics_scrape_token", None)
    # compare_digest: the time taken says nothing of how much of the token was right.
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def route_access(request: Request) -> Access:
    """The policy table's row for the route this request matched; refused outright if it has none."""
    route = request.scope.get("route")
    service = getattr(request.app.state, "service_name", None)
    access = access_for(service, request.method, route.path) if route is not None and service else None
    if access is None:
        # Fail closed: a route nobody wrote a policy for is nobody's (and tests/unit/test_policy_table.py fails).
        log.error("route_without_policy", service=service, path=getattr(route, "path", None))
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="no access policy covers this route")
    return access


async def _refuse_if_revoked(request: Request, principal: StaffPrincipal) -> None:
    """A token of a signed-out session (or a disabled account's) is refused, though its signature is still good.

    The revocations are the service's own copy of identity's events (shared/platform/sessions.py)."""
    if principal.session_id is None:
        return  # a token minted without a session (referrals token, the tests' own): nothing to revoke
    revoked = getattr(request.app.state, "revoked_sessions", None)
    if revoked is None:
        # Fail closed: a token that could have been revoked is not taken while that cannot be checked.
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="sign-in sessions cannot be checked yet")
    if await revoked.is_revoked(principal.session_id):
        log.info("revoked_session_refused", session_id=str(principal.session_id))
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid token",
                            headers={"WWW-Authenticate": "Bearer"})


async def referrer_from_token(request: Request, token: str) -> StaffPrincipal:
    """The referrer a bearer token names, for a partner route whose row admits referrers: verified, not signed
    out, and bound to a partner (verify_staff_token enforces that a referrer names one); else 401."""
    keys = client_keys(request)
    refuse_if_locked_out(request, keys)
    try:
        principal = verify_staff_token(request.app.state.settings.auth_secret, token)
    except (jwt.PyJWTError, ValueError, TypeError):
        credential_failed(request, keys, "referrer_token_refused")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="invalid token",
                            headers={"WWW-Authenticate": "Bearer"}) from None
    await _refuse_if_revoked(request, principal)
    if REFERRER not in principal.roles or not route_access(request).roles & {REFERRER}:
        # A scheme staff token on a partner's route: the partner's credential is what is missing.
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="an X-API-Key header or a referrer's token is required")
    return principal


def require_staff():
    """FastAPI dependency: a valid staff token holding a role the policy table gives this route."""

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> StaffPrincipal:
        access = route_access(request)
        if credentials is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="a staff bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        keys = client_keys(request)
        refuse_if_locked_out(request, keys)
        if access.scraper and _is_scrape_token(request, credentials.credentials):
            return SCRAPER
        try:
            principal = verify_staff_token(request.app.state.settings.auth_secret, credentials.credentials)
        except (jwt.PyJWTError, ValueError, TypeError):
            credential_failed(request, keys, "staff_token_refused")
            # Nothing of why: the library's words would tell a forger which check their token failed.
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="invalid token",
                headers={"WWW-Authenticate": "Bearer"},
            ) from None
        await _refuse_if_revoked(request, principal)
        if not access.admits(principal.roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                detail=f"needs one of the roles: {', '.join(sorted(access.roles))}")
        return principal

    return dependency
