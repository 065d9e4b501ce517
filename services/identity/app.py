"""The identity service: staff accounts and sign-in sessions; wiring of its routes, tables and migrations."""

from __future__ import annotations

from pathlib import Path

from services.identity.adapters import tables
from services.identity.bootstrap import bootstrap
from services.identity.entrypoints.consumers import build_consumers
from services.identity.entrypoints.http import router
from shared.platform.definition import Publication, ServiceApi
from shared.platform.service import ServiceDefinition
from shared.schemas import topics

API = ServiceApi(
    summary="Identity: staff accounts (roles, programmes, sites, worker profile) and sign-in with a password.",
    description=(
        "Admins create and change accounts; staff sign in with email and password for a bearer token that every "
        "service verifies on its own. Signing out, or disabling an account, revokes its sessions: identity "
        "publishes `identity.session_revoked` and every service refuses those tokens from then on."
    ),
    publishes=(
        Publication(topics.SESSIONS, ("identity.session_revoked",),
                    description="Revoked sign-in sessions, keyed by account id; every service reads them."),
    ),
)

DEFINITION = ServiceDefinition(
    name="identity",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    consumers=build_consumers,
    bootstrap=bootstrap,
    api=API,
)
