"""An operator's page: each service's dead letters (messages its consumers gave up on), and replaying one.

Each service keeps and replays its own (shared/platform/dead_letter_routes.py); the workspace asks each as
the signed-in operator, so the service's policy row decides. Reasons carry no personal data by design."""

from __future__ import annotations

import uuid
from typing import Any

from services.workspace.domain.session import OPERATING_ROLES, Session
from services.workspace.service_layer.errors import Forbidden, NotFound
from services.workspace.service_layer.ports import Connect

SERVICES = ("intake", "triage", "caseload", "outcomes", "identity")


def require_operator(session: Session) -> None:
    if not session.has_any(OPERATING_ROLES):
        raise Forbidden("Dead letters are for operators and administrators.")


async def dead_letters(connect: Connect, session: Session) -> dict[str, list[dict[str, Any]]]:
    """Every service's dead letters waiting for someone, by service, each list oldest first as the service keeps it."""
    require_operator(session)
    apis = connect(session.token)
    return {service: await getattr(apis, service).get("/v1/dead-letters", status="dead") for service in SERVICES}


async def replay(connect: Connect, session: Session, service: str, dead_letter_id: str) -> None:
    require_operator(session)
    if service not in SERVICES:
        raise NotFound(service)
    try:
        letter = uuid.UUID(dead_letter_id)
    except ValueError:
        raise NotFound(dead_letter_id) from None
    await getattr(connect(session.token), service).post(f"/v1/dead-letters/{letter}/replay")
