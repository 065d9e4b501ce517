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


@dataclass(frozen=True)
class Viewer:
    """Who acts or asks: a worker acting as itself touches only its own offers and cases; anyone whose
    account names programmes, only those programmes'. One rule for commands and queries alike."""

    own_work_only: bool = False
    worker_id: uuid.UUID | None = None
    programmes: frozenset[str] | None = None

    @classmethod
    def of(cls, cmd: c.Command) -> Viewer:
        return cls(cmd.own_work_only, cmd.actor_worker_id, cmd.actor_programmes)

    def require_own(self, worker_id: uuid.UUID | None, what: str = "case") -> None:
        if self.own_work_only and (self.worker_id is None or worker_id != self.worker_id):
            raise Forbidden(f"this {what} is not yours: it belongs to another worker")

    def require_in_programme(self, programme_id: str | None, what: str = "case") -> None:
        if not self.sees_programme(programme_id):
            raise Forbidden(f"this {what} is in a programme you do not work in")

    def sees_programme(self, programme_id: str | None) -> bool:
        return self.programmes is None or programme_id in self.programmes


def require_own(cmd: c.Command, worker_id: uuid.UUID | None, what: str = "case") -> None:
    Viewer.of(cmd).require_own(worker_id, what)


def require_in_programme(cmd: c.Command, programme_id: str | None, what: str = "case") -> None:
    Viewer.of(cmd).require_in_programme(programme_id, what)


EVERYONE = Viewer()
