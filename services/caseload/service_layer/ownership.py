"""Whose offers and cases an actor may touch: a worker acting as itself, only its own; anyone whose
account names programmes (a coordinator of one programme), only those programmes'.

Checked here, in the service layer, so every way in (HTTP today, the workspace next)
is held to it, not only the routes that remember to ask.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.caseload.service_layer import commands as c
from services.caseload.service_layer.errors import Forbidden


def require_own(cmd: c.Command, worker_id: uuid.UUID | None, what: str = "case") -> None:
    if may_see(cmd.own_work_only, cmd.actor_worker_id, worker_id):
        return
    raise Forbidden(f"this {what} is not yours: it belongs to another worker")


def require_in_programme(cmd: c.Command, programme_id: str | None, what: str = "case") -> None:
    if in_programmes(cmd.actor_programmes, programme_id):
        return
    raise Forbidden(f"this {what} is in a programme you do not work in")


def in_programmes(programmes: frozenset[str] | None, programme_id: str | None) -> bool:
    return programmes is None or programme_id in programmes


def may_see(own_work_only: bool, actor_worker_id: uuid.UUID | None, worker_id: uuid.UUID | None) -> bool:
    return not own_work_only or (actor_worker_id is not None and worker_id == actor_worker_id)


@dataclass(frozen=True)
class Viewer:
    """Who asks a query: a worker acting as itself sees only its own offers and cases."""

    own_work_only: bool = False
    worker_id: uuid.UUID | None = None
    programmes: frozenset[str] | None = None

    def require_own(self, worker_id: uuid.UUID | None, what: str = "case") -> None:
        if not may_see(self.own_work_only, self.worker_id, worker_id):
            raise Forbidden(f"this {what} is not yours: it belongs to another worker")

    def require_in_programme(self, programme_id: str | None, what: str = "case") -> None:
        if not in_programmes(self.programmes, programme_id):
            raise Forbidden(f"this {what} is in a programme you do not work in")

    def sees_programme(self, programme_id: str | None) -> bool:
        return in_programmes(self.programmes, programme_id)


EVERYONE = Viewer()
