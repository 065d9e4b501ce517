"""A coordinator's workers and programme settings, kept by caseload and changed there as the coordinator
(caseload decides which programmes and sites are theirs; the workspace asks for the coordinating role first)."""

from __future__ import annotations

from typing import Any

from services.workspace.domain.session import COORDINATING_ROLES, Session
from services.workspace.service_layer.casework import case_id_of
from services.workspace.service_layer.errors import Forbidden, NotFound
from services.workspace.service_layer.ports import Connect


def require_coordinator(session: Session) -> None:
    if not session.has_any(COORDINATING_ROLES):
        raise Forbidden("Workers and programme settings are for coordinators.")


async def workers(connect: Connect, session: Session, programme_id: str) -> list[dict[str, Any]]:
    require_coordinator(session)
    return await connect(session.token).caseload.get("/v1/workers", programme_id=programme_id)


async def worker(connect: Connect, session: Session, worker_id: str) -> dict[str, Any]:
    """One worker as caseload lists them (caseload has no page of one: the list the coordinator may see)."""
    require_coordinator(session)
    worker_id = case_id_of(worker_id)
    found = await connect(session.token).caseload.get("/v1/workers")
    match = next((w for w in found if str(w.get("id")) == worker_id), None)
    if match is None:
        raise NotFound(worker_id)
    return match


async def add_worker(connect: Connect, session: Session, body: dict[str, Any]) -> dict[str, Any]:
    require_coordinator(session)
    return await connect(session.token).caseload.post("/v1/workers", body)


async def change_worker(connect: Connect, session: Session, worker_id: str, body: dict[str, Any]) -> dict[str, Any]:
    require_coordinator(session)
    return await connect(session.token).caseload.request("PATCH", f"/v1/workers/{case_id_of(worker_id)}", json=body)


def _programme_path(programme_id: str) -> str:
    if not programme_id or len(programme_id) > 100 or not programme_id.replace("-", "").replace("_", "").isalnum():
        raise NotFound(programme_id[:100])
    return f"/v1/programmes/{programme_id}/settings"


async def programme_settings(connect: Connect, session: Session, programme_id: str) -> dict[str, Any]:
    require_coordinator(session)
    return await connect(session.token).caseload.get(_programme_path(programme_id))


async def set_programme_settings(connect: Connect, session: Session, programme_id: str,
                                 body: dict[str, Any]) -> dict[str, Any]:
    require_coordinator(session)
    return await connect(session.token).caseload.request("PUT", _programme_path(programme_id), json=body)
