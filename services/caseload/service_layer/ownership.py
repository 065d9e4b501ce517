"""Whose offers and cases an actor may touch: a worker acting as itself, only its own; anyone whose
account names programmes (a coordinator of one programme), only those programmes'; anyone whose account
names sites (a coordinator of one site), only the workers at those sites and the cases they hold.

A case that nobody holds yet (waiting, or offered) is at no site: every coordinator of its programme
sees it, since whichever site frees room first takes it.

Checked here, in the service layer, so every way in (HTTP today, the workspace next)
is held to it, not only the routes that remember to ask.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.caseload.domain.case import Case
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.errors import Forbidden
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork


@dataclass(frozen=True)
class Viewer:
    """Who acts or asks: a worker acting as itself touches only its own offers and cases; anyone whose
    account names programmes, only those programmes'. One rule for commands and queries alike."""

    own_work_only: bool = False
    worker_id: uuid.UUID | None = None
    programmes: frozenset[str] | None = None
    sites: frozenset[str] | None = None
    # Who it is (the staff member's subject) and as what: named in the audit trail when notes are opened.
    actor: str = ""
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, cmd: c.Command) -> Viewer:
        return cls(cmd.own_work_only, cmd.actor_worker_id, cmd.actor_programmes, cmd.actor_sites, actor=cmd.actor)

    @property
    def limited(self) -> bool:
        """Whether anything at all is out of this viewer's sight."""
        return self.own_work_only or self.programmes is not None or self.sites is not None

    def sees_site(self, site: str | None) -> bool:
        return self.sites is None or site in self.sites

    def require_at_site(self, site: str | None, what: str = "case") -> None:
        if not self.sees_site(site):
            raise Forbidden(f"this {what} is at a site you do not coordinate")

    def require_whole_programme(self, what: str = "programme's settings") -> None:
        """Programme-wide changes are for those who coordinate every site of it."""
        if self.sites is not None:
            raise Forbidden(f"the {what} are for whoever coordinates every site of the programme")

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


def require_at_site(cmd: c.Command, site: str | None, what: str = "case") -> None:
    Viewer.of(cmd).require_at_site(site, what)


async def require_sees_case(viewer: Viewer, uow: CaseloadUnitOfWork, case: Case, what: str = "case") -> None:
    """The case is in the viewer's programmes, the viewer's own if it is a worker, and held at one of the
    viewer's sites if it names sites (the holding worker's site; a case nobody holds is at none)."""
    viewer.require_in_programme(case.programme_id, what)
    viewer.require_own(case.worker_id, what)
    if viewer.sites is not None and case.worker_id is not None:
        viewer.require_at_site(await worker_site(uow, case.worker_id), what)


async def worker_site(uow: CaseloadUnitOfWork, worker_id: uuid.UUID) -> str | None:
    worker = await uow.workers.get(worker_id)
    return worker["site"] if worker else None


EVERYONE = Viewer()
