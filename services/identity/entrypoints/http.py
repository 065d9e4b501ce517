"""Identity's HTTP API: accounts (admin), and sign-in and sign-out (staff).

Sign-in refusals all read the same ("the email or password is not right", 401), and are
counted per email and client address by the platform's throttle: a guessing loop is locked
out (429, Retry-After) however it varies the one or the other.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from services.identity.domain.accounts import Account, UnknownRole, normalise_email
from services.identity.service_layer import commands as c
from services.identity.service_layer import handlers
from services.identity.service_layer.errors import EmailTaken, NotFound, OidcNotConfigured, SignInRefused
from services.identity.service_layer.handlers import Identity, SignedIn
from shared.platform.auth import (
    StaffPrincipal,
    client_keys,
    credential_failed,
    refuse_if_locked_out,
    require_staff,
)
from shared.platform.http import correlation_id_of, refusals_as_http
from shared.platform.logging import get_logger
from shared.platform.oidc import OidcTokenRefused
from shared.platform.openapi import errors

log = get_logger(__name__)
# 400: a body that is not JSON at all (the platform's plumbing answers it before any route).
router = APIRouter(responses=errors(400, 401, 422))
# Who may call each route is the policy table's (shared/platform/policy.py): accounts are the admin's.
STAFF = require_staff()
REFUSALS = {NotFound: status.HTTP_404_NOT_FOUND, EmailTaken: status.HTTP_409_CONFLICT,
            UnknownRole: 422, OidcNotConfigured: status.HTTP_404_NOT_FOUND}

Role = Literal["volunteer", "connector", "coordinator", "manager", "auditor", "operator", "admin", "referrer"]
# No email library is installed: a plain shape check (one @, a dot in the domain, no spaces), RFC 5321's length.
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=100)]  # a programme or site id
Password = Annotated[str, StringConstraints(min_length=12, max_length=256)]


def identity(request: Request) -> Identity:
    return request.app.state.ctx.dependencies


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewAccount(_Strict):
    name: Name
    email: Email
    roles: list[Role] = Field(min_length=1, max_length=7)
    password: Password
    programmes: list[Label] = Field(default_factory=list, max_length=50)
    sites: list[Label] = Field(default_factory=list, max_length=50)
    worker_id: uuid.UUID | None = Field(default=None, description="the caseload worker profile this account is")
    partner_id: Label | None = Field(default=None, description="a referrer's partner: required with, and only "
                                     "with, the referrer role (a partner's staff, who hold no other role)")


class AccountChanges(_Strict):
    name: Name | None = None
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=7)
    programmes: list[Label] | None = Field(default=None, max_length=50)
    sites: list[Label] | None = Field(default=None, max_length=50)
    worker_id: uuid.UUID | None = None
    partner_id: Label | None = None
    # Strict: 0 or "no" is not taken for false when what is at stake is who can sign in.
    disabled: StrictBool | None = Field(default=None, description="disabling revokes every session of the account")


class NewPassword(_Strict):
    password: Password


class AccountOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    roles: list[str]
    programmes: list[str]
    sites: list[str]
    worker_id: uuid.UUID | None
    partner_id: str | None = None
    disabled: bool
    created_at: datetime
    updated_at: datetime


def _out(account: Account) -> AccountOut:
    # The password hash never leaves the service.
    return AccountOut(id=account.id, name=account.name, email=account.email, roles=list(account.roles),
                      programmes=list(account.programmes), sites=list(account.sites), worker_id=account.worker_id,
                      partner_id=account.partner_id, disabled=account.disabled, created_at=account.created_at, updated_at=account.updated_at)


class Credentials(_Strict):
    email: Annotated[str, StringConstraints(min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class SessionOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
    session_id: uuid.UUID


# --- accounts (admin) -----------------------------------------------------------------------------


@router.post("/v1/accounts", status_code=201, tags=["accounts"], responses=errors(403, 409))
async def create_account(body: NewAccount, request: Request, deps: Identity = Depends(identity),
                         _: StaffPrincipal = Depends(STAFF)) -> AccountOut:
    with refusals_as_http(REFUSALS):
        account = await deps.handle(c.CreateAccount(
            name=body.name, email=body.email, roles=tuple(body.roles), password=body.password,
            programmes=tuple(body.programmes), sites=tuple(body.sites), worker_id=body.worker_id, partner_id=body.partner_id,
            correlation_id=correlation_id_of(request)))
    return _out(account)


@router.get("/v1/accounts", tags=["accounts"], responses=errors(403))
async def list_accounts(limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000),
                        deps: Identity = Depends(identity), _: StaffPrincipal = Depends(STAFF)) -> list[AccountOut]:
    return [_out(a) for a in await handlers.list_accounts(deps, limit, offset)]


@router.get("/v1/accounts/{account_id}", tags=["accounts"], responses=errors(403, 404))
async def get_account(account_id: uuid.UUID, deps: Identity = Depends(identity),
                      _: StaffPrincipal = Depends(STAFF)) -> AccountOut:
    with refusals_as_http(REFUSALS):
        return _out(await handlers.get_account(deps, account_id))


@router.patch("/v1/accounts/{account_id}", tags=["accounts"], responses=errors(403, 404))
async def change_account(account_id: uuid.UUID, body: AccountChanges, request: Request,
                         deps: Identity = Depends(identity), _: StaffPrincipal = Depends(STAFF)) -> AccountOut:
    # Only what was sent changes; worker_id sent as null unlinks the worker profile.
    changes = body.model_dump(exclude_unset=True)
    for field in ("name", "roles", "disabled", "programmes", "sites"):
        if field in changes and changes[field] is None:
            del changes[field]  # null there means "leave as it is": none of them can be empty
    with refusals_as_http(REFUSALS):
        account = await deps.handle(c.UpdateAccount(account_id, changes, correlation_id_of(request)))
    return _out(account)


@router.post("/v1/accounts/{account_id}/password", status_code=204, tags=["accounts"], responses=errors(403, 404))
async def set_password(account_id: uuid.UUID, body: NewPassword, request: Request,
                       deps: Identity = Depends(identity), _: StaffPrincipal = Depends(STAFF)) -> Response:
    with refusals_as_http(REFUSALS):
        await deps.handle(c.SetPassword(account_id, body.password, correlation_id_of(request)))
    return Response(status_code=204)


# --- sessions (sign-in, sign-out) -----------------------------------------------------------------


@router.post("/v1/sessions", status_code=201, tags=["sessions"], responses=errors(429))
async def sign_in(body: Credentials, request: Request, deps: Identity = Depends(identity)) -> SessionOut:
    """Sign in with email and password: a staff bearer token for every service."""
    keys = client_keys(request, ("account", normalise_email(body.email)))
    refuse_if_locked_out(request, keys)
    try:
        signed_in: SignedIn = await deps.handle(c.SignIn(body.email, body.password, correlation_id_of(request)))
    except SignInRefused as refused:
        credential_failed(request, keys, "sign_in_refused")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(refused),
                            headers={"WWW-Authenticate": "Bearer"}) from None
    return SessionOut(access_token=signed_in.access_token, expires_in=signed_in.expires_in,
                      session_id=signed_in.session.id)


class OidcToken(_Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=16 * 1024)] = Field(
        description="an ID token (or JWT access token) of the configured OpenID Connect issuer, for this client")


@router.post("/v1/sessions/oidc", status_code=201, tags=["sessions"], responses=errors(404, 429))
async def sign_in_with_oidc(body: OidcToken, request: Request, deps: Identity = Depends(identity)) -> SessionOut:
    """Sign in with the organisation's identity provider: its token is verified against the issuer's published
    keys, the account with the token's email is found (it must exist and be enabled), and a staff bearer token
    of our own, short-lived and revocable, is issued with that account's roles."""
    keys = client_keys(request)
    refuse_if_locked_out(request, keys)
    try:
        with refusals_as_http(REFUSALS):
            signed_in: SignedIn = await deps.handle(c.SignInWithOidc(body.token, correlation_id_of(request)))
    except (OidcTokenRefused, SignInRefused) as refused:
        # The reason is a fixed phrase (never any of the token); the caller is told only that it failed.
        log.info("oidc_token_refused", reason=getattr(refused, "reason", "no enabled account with the token's email"))
        credential_failed(request, keys, "oidc_sign_in_refused")
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="the token is not accepted",
                            headers={"WWW-Authenticate": "Bearer"}) from None
    return SessionOut(access_token=signed_in.access_token, expires_in=signed_in.expires_in,
                      session_id=signed_in.session.id)


@router.delete("/v1/sessions/current", status_code=204, tags=["sessions"], responses=errors(404))
async def sign_out(request: Request, deps: Identity = Depends(identity),
                   principal: StaffPrincipal = Depends(STAFF)) -> Response:
    """Sign out: the token (its session) is refused by every service from now on."""
    session_id = principal.session_id
    try:
        account_id = uuid.UUID(principal.subject)
    except ValueError:
        session_id = None
    if session_id is None:
        # A minted token (referrals token) has no session to end.
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="this token has no sign-in session")
    with refusals_as_http(REFUSALS):
        await deps.handle(c.SignOut(session_id, account_id, correlation_id_of(request)))
    return Response(status_code=204)
