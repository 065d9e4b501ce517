"""Signing in and out: identity checks the password and issues the token; the workspace keeps it."""

from __future__ import annotations

import secrets
import time

import jwt

from services.workspace.domain.session import Session
from services.workspace.service_layer.errors import Invalid, NotSignedIn, WrongCredentials
from services.workspace.service_layer.ports import Connect

MAX_EMAIL = 254
MAX_PASSWORD = 256


def check_sign_in_form(email: str, password: str) -> dict[str, str]:
    errors = {}
    if not email:
        errors["email"] = "Enter your email address"
    elif len(email) > MAX_EMAIL or "@" not in email:
        errors["email"] = "Enter an email address like name@example.org"
    if not password:
        errors["password"] = "Enter your password"
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"A password has {MAX_PASSWORD} characters or fewer"
    return errors


async def sign_in(connect: Connect, email: str, password: str) -> Session:
    errors = check_sign_in_form(email, password)
    if errors:
        raise Invalid([{"field": k, "message": v} for k, v in errors.items()])
    try:
        answer = await connect(None).identity.post("/v1/sessions", {"email": email, "password": password})
    except (NotSignedIn, Invalid):
        raise WrongCredentials() from None
    token = answer["access_token"]
    # Read, not verified: it came straight from identity, and every service verifies it on each call.
    claims = jwt.decode(token, options={"verify_signature": False})
    programmes = claims.get("prg")
    return Session(token=token, csrf=secrets.token_urlsafe(32), name=email, roles=tuple(claims.get("roles", [])),
                   expires_at=float(claims.get("exp") or time.time() + int(answer.get("expires_in", 3600))),
                   worker_id=claims.get("wid"), programmes=tuple(programmes) if programmes is not None else None)


async def sign_out(connect: Connect, session: Session) -> None:
    """Ends the session at identity (every service then refuses its token); already ended is fine."""
    try:
        await connect(session.token).identity.request("DELETE", "/v1/sessions/current")
    except NotSignedIn:
        pass
