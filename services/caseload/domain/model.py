"""Caseload's domain rules. No I/O.

A case's status is never a flag someone sets: it is derived by folding the case's
events (`CaseState.fold`). Commands are checked against that state before any
event is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.schemas.events.case import ClosureReason, DeclineReason, WorkerRole
from shared.schemas.events.triage import Pathway

MAX_ACTIVE_GOALS = 3


class CaseStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class ContactKind(StrEnum):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    LETTER = "letter"
    VIDEO = "video"
    FACE_TO_FACE = "face_to_face"
    HOME_VISIT = "home_visit"
    COMMUNITY = "community"
    GROUP = "group"
    ACCOMPANIED_JOURNEY = "accompanied_journey"


class NotAllowed(Exception):
    """A command that the case's current state does not allow; the message says why."""



@dataclass(frozen=True)
class CaseState:
    status: CaseStatus = CaseStatus.WAITING
    worker_id: str | None = None
    contacts: int = 0
    attempts: int = 0
    first_contact_at: datetime | None = None
    goals: dict[str, str] = field(default_factory=dict)  # goal id -> progress
    signposts: dict[str, bool | None] = field(default_factory=dict)  # signpost id -> taken up?
    budget_weeks: int = 12
    budget_sessions: int = 12
    extensions: int = 0
    reviewed: bool = False
    closed_at: datetime | None = None
    closure_reason: str | None = None
    follow_up_recorded: bool = False
    first_contact_deadline_missed: bool = False

    @property
    def active_goals(self) -> int:
        return sum(1 for p in self.goals.values() if p not in ("achieved", "dropped"))

    def apply(self, event_type: str, data: dict[str, Any]) -> CaseState:
        kind = event_type.removeprefix("case.")
        if kind in ("opened", "waitlisted", "offer_declined", "offer_expired"):
            return replace(self, status=CaseStatus.WAITING, worker_id=None)
        if kind == "offered":
            return replace(self, status=CaseStatus.OFFERED, worker_id=str(data["worker_id"]))
        if kind == "assigned":
            return replace(self, status=CaseStatus.ASSIGNED, worker_id=str(data["worker_id"]))
        if kind == "contact_recorded":
            if not data["successful"]:
                return replace(self, attempts=self.attempts + 1)
            first = self.first_contact_at or datetime.fromisoformat(str(data["at"]))
            return replace(self, contacts=self.contacts + 1, first_contact_at=first)
        if kind == "first_contact_deadline_missed":
            return replace(self, first_contact_deadline_missed=True)
        if kind in ("goal_set", "goal_progressed"):
            progress = data.get("progress", "not_started")
            return replace(self, goals={**self.goals, str(data["goal_id"]): progress})
        if kind == "signposted":
            return replace(self, signposts={**self.signposts, str(data["signpost_id"]): None})
        if kind == "signpost_take_up_recorded":
            return replace(self, signposts={**self.signposts, str(data["signpost_id"]): data["taken_up"]})
        if kind == "reviewed":
            return replace(self, reviewed=True)
        if kind == "extended":
            return replace(self, budget_weeks=self.budget_weeks + data["extra_weeks"],
                           budget_sessions=self.budget_sessions + data["extra_sessions"],
                           extensions=self.extensions + 1)
        if kind == "put_on_hold":
            return replace(self, status=CaseStatus.ON_HOLD)
        if kind == "resumed":
            return replace(self, status=CaseStatus.ASSIGNED)
        if kind == "transferred":
            return replace(self, worker_id=str(data["to_worker_id"]))
        if kind == "closed":
            return replace(self, status=CaseStatus.CLOSED, closed_at=datetime.fromisoformat(str(data["closed_at"])),
                           closure_reason=data["reason"])
        if kind == "measure_recorded" and data["measure"]["timepoint"] == "follow_up":
            return replace(self, follow_up_recorded=True)
        return self  # events that change no part of the state (e.g. unmet needs, follow-up requests)

    @classmethod
    def fold(cls, events: list[tuple[str, dict[str, Any]]], **initial: Any) -> CaseState:
        state = cls(**initial)
        for event_type, data in events:
            state = state.apply(event_type, data)
        return state


def require(condition: bool, reason: str) -> None:
    if not condition:
        raise NotAllowed(reason)


def check_contact(state: CaseState) -> None:
    require(state.status in (CaseStatus.ASSIGNED, CaseStatus.ON_HOLD),
            f"a {state.status} case has no worker to record contacts for")


def check_closure(state: CaseState, reason: ClosureReason) -> None:
    """A case closes once, and never without any contact unless contact itself failed."""
    require(state.status != CaseStatus.CLOSED, "the case is already closed")
    require(state.status in (CaseStatus.ASSIGNED, CaseStatus.ON_HOLD),
            f"a {state.status} case cannot be closed; it has no worker yet")
    require(state.contacts > 0 or reason == ClosureReason.CONTACT_FAILED,
            "a case with no recorded contact can only be closed with reason 'contact_failed'")


def check_decline(code: DeclineReason | None, reason: str | None) -> None:
    """A decline says why: with a code (what coordinators count), a note, or both; `other` is no reason without
    the note that says what it is. A note alone is how clients before the codes decline, and still does."""
    require(code is not None or bool(reason), "say why the offer is declined: a reason code or a reason")
    require(code != DeclineReason.OTHER or bool(reason), "say why the offer is declined: 'other' needs a reason")


def check_goal(state: CaseState) -> None:
    require(state.status in (CaseStatus.ASSIGNED, CaseStatus.ON_HOLD), "goals are agreed on an open, assigned case")
    require(state.active_goals < MAX_ACTIVE_GOALS, f"up to {MAX_ACTIVE_GOALS} goals at a time")


def check_open(state: CaseState, doing: str) -> None:
    require(state.status in (CaseStatus.ASSIGNED, CaseStatus.ON_HOLD), f"cannot {doing} a {state.status} case")


def lead_role(pathway: Pathway | None) -> WorkerRole:
    """Who leads the case: volunteers take the volunteer pathway, connectors everything else."""
    return WorkerRole.VOLUNTEER if pathway == Pathway.VOLUNTEER else WorkerRole.CONNECTOR


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` working days (Monday to Friday) after `start`; bank holidays are not known here."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def add_months(start: datetime, months: int) -> datetime:
    month = start.month - 1 + months
    year = start.year + month // 12
    month = month % 12 + 1
    day = min(start.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                          31, 31, 30, 31, 30, 31][month - 1])
    return start.replace(year=year, month=month, day=day)


def effective_priority(priority: int, waiting_since: datetime, now: datetime, ageing_days: float) -> int:
    """Priority rises one level for every `ageing_days` waited, so nobody waits forever."""
    waited = (now - waiting_since).total_seconds() / 86400
    return max(1, priority - int(waited // ageing_days))


def waiting_order(cases: list[dict[str, Any]], now: datetime, ageing_days: float) -> list[dict[str, Any]]:
    return sorted(cases, key=lambda c: (effective_priority(c["priority"], c["waiting_since"], now, ageing_days),
                                        c["waiting_since"]))


def estimate_wait_days(position: int, closures_last_28_days: int, active_workers: int,
                       typical_days_in_service: int = 30) -> int:
    """Roughly how long the person at `position` (1 = next) will wait.

    From the recent rate at which places free up; with no history yet, from how
    long cases usually stay open spread over the workers there are.
    """
    if closures_last_28_days > 0:
        per_day = closures_last_28_days / 28
    else:
        per_day = max(active_workers, 1) / typical_days_in_service
    return max(1, round(position / per_day))

