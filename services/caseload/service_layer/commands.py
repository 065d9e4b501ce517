"""What staff (and caseload's own timers) ask caseload to do: one small class per command.

Each carries who asks (`actor`, the staff member's subject); the service layer
checks the rules and records the events a command causes, one handler per command
(`handlers.HANDLERS`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.schemas.events.case import ClosureReason, DeclineReason
from shared.schemas.events.common import MeasureResponse


@dataclass(frozen=True)
class Command:
    actor: str
    # Set for a worker acting as itself (a volunteer's or connector's token): it may change only the
    # offers and cases of `actor_worker_id`. Unset for coordinators and caseload's own timers.
    own_work_only: bool = field(default=False, kw_only=True)
    actor_worker_id: uuid.UUID | None = field(default=None, kw_only=True)
    # The programmes the actor works in (a coordinator coordinates only these); None: every programme.
    actor_programmes: frozenset[str] | None = field(default=None, kw_only=True)
    # The sites the actor coordinates within those programmes; None: every site.
    actor_sites: frozenset[str] | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class AddWorker(Command):
    worker_id: uuid.UUID
    programme_id: str
    details: dict[str, Any]  # name, role, capacity and the matching profile, as validated at the edge


@dataclass(frozen=True)
class UpdateWorker(Command):
    worker_id: uuid.UUID
    details: dict[str, Any]


@dataclass(frozen=True)
class SetProgrammeSettings(Command):
    programme_id: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class AcceptOffer(Command):
    offer_id: uuid.UUID


@dataclass(frozen=True)
class DeclineOffer(Command):
    offer_id: uuid.UUID
    reason: str | None  # the worker's note: may say something about the person, so sealed
    reason_code: DeclineReason | None = None  # what coordinators count; None from clients that send only a note


@dataclass(frozen=True)
class CaseCommand(Command):
    case_id: uuid.UUID


@dataclass(frozen=True)
class RecordContact(CaseCommand):
    kind: str
    minutes: int
    occurred_at: datetime
    successful: bool = True
    travel_minutes: int = 0
    initiated_by: str = "worker"  # "person": they contacted the service, whatever their wishes say of us
    note: str | None = None  # what the worker noted of it, about the person: sealed


@dataclass(frozen=True)
class ChangeConsent(CaseCommand):
    """The person's wishes from now on; a field left None keeps its current value."""

    reported_by: str
    reported_at: datetime
    to_contact: bool | None = None
    to_data_sharing: bool | None = None
    do_not_contact_by: list[str] | None = None
    preferred_contact: str | None = None
    clear_preferred_contact: bool = False


@dataclass(frozen=True)
class SetGoal(CaseCommand):
    description: str


@dataclass(frozen=True)
class ProgressGoal(CaseCommand):
    goal_id: uuid.UUID
    progress: str


@dataclass(frozen=True)
class Signpost(CaseCommand):
    destination: str
    category: str | None = None
    note: str | None = None  # about the person: sealed


@dataclass(frozen=True)
class RecordTakeUp(CaseCommand):
    signpost_id: uuid.UUID
    taken_up: bool


@dataclass(frozen=True)
class RecordUnmetNeed(CaseCommand):
    need: str
    detail: str | None = None  # about the person: sealed


@dataclass(frozen=True)
class ReviewCase(CaseCommand):
    outcome: str


@dataclass(frozen=True)
class ExtendCase(CaseCommand):
    extra_weeks: int
    reason: str
    extra_sessions: int = 0


@dataclass(frozen=True)
class PutOnHold(CaseCommand):
    reason: str


@dataclass(frozen=True)
class ResumeCase(CaseCommand):
    pass


@dataclass(frozen=True)
class TransferCase(CaseCommand):
    to_worker_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class RecordMeasure(CaseCommand):
    measure: MeasureResponse


@dataclass(frozen=True)
class CloseCase(CaseCommand):
    reason: ClosureReason
    measures: list[MeasureResponse] = field(default_factory=list)
