"""Identity's composition root: the unit of work, password hasher, token secret and OIDC verifier, wired once."""

from __future__ import annotations

import os
from functools import partial

from services.identity.adapters.passwords import Argon2Hasher
from services.identity.adapters.unit_of_work import SqlIdentityUnitOfWork
from services.identity.service_layer.handlers import Identity
from shared.platform.definition import ServiceContext
from shared.platform.oidc import OidcSettings, OidcVerifier


def oidc_verifier() -> OidcVerifier | None:
    """The configured issuer's verifier (OIDC_ISSUER, OIDC_AUDIENCE, ...: shared.platform.oidc.OidcSettings);
    None when no issuer is configured, and then only passwords sign in."""
    if not os.environ.get("OIDC_ISSUER"):
        return None
    return OidcVerifier(OidcSettings())  # a half-configured issuer (no audience) stops the start, loudly


def bootstrap(ctx: ServiceContext) -> Identity:
    return Identity(uow=partial(SqlIdentityUnitOfWork, ctx.engine), hasher=Argon2Hasher(),
                    token_secret=lambda: ctx.settings.auth_secret, oidc=oidc_verifier())
