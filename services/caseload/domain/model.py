"""Caseload's domain rules. No I/O."""

from __future__ import annotations

from enum import StrEnum

from shared.schemas.events.case import ClosureReason, WorkerRole
from shared.schemas.events.triage import Pathway


class CaseStatus(StrEnum):
    WAITING = "waiting"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class ContactKind(StrEnum):
    PHONE = "phone"
    FACE_TO_FACE = "face_to_face"
    HOME_VISIT = "home_visit"
    COMMUNITY = "community"
    GROUP = "group"


class ClosureNotAllowed(Exception):
    pass


class ContactNotAllowed(Exception):
    pass


def check_contact(status: CaseStatus) -> None:
    """Contacts are recorded against a case someone holds."""
    if status != CaseStatus.ASSIGNED:
        raise ContactNotAllowed(f"a {status} case has no worker to record contacts for")


def check_closure(status: CaseStatus, contact_count: int, reason: ClosureReason) -> None:
    """A case closes once, and never without any contact unless contact itself failed."""
    if status == CaseStatus.CLOSED:
        raise ClosureNotAllowed("the case is already closed")
    if status != CaseStatus.ASSIGNED:
        raise ClosureNotAllowed(f"a {status} case cannot be closed; it has no worker yet")
    if contact_count == 0 and reason != ClosureReason.CONTACT_FAILED:
        raise ClosureNotAllowed(
            "a case with no recorded contact can only be closed with reason 'contact_failed'"
        )


def lead_role(pathway: Pathway | None) -> WorkerRole:
    """Who leads the case: volunteers take the volunteer pathway, connectors everything else."""
    return WorkerRole.VOLUNTEER if pathway == Pathway.VOLUNTEER else WorkerRole.CONNECTOR
