"""What is due on a case, and when: the connector's to-do list, worked out from the case's own dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# The budget is "running out" this long before it ends: time to review, extend or plan the closure.
BUDGET_WARNING = timedelta(days=14)
OPEN_STATUSES = frozenset({"assigned", "on_hold"})


@dataclass(frozen=True)
class Due:
    kind: str  # first_contact | review | follow_up | budget
    label: str
    at: datetime
    overdue: bool


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value)
    return None


def dues(case: dict[str, Any], now: datetime) -> list[Due]:
    """Everything still to do on an open case, soonest first; a closed case owes a follow-up at most."""
    found: list[Due] = []

    def add(kind: str, label: str, at: datetime | None, warn_before: timedelta = timedelta(0)) -> None:
        if at is not None and now >= at - warn_before:
            found.append(Due(kind, label, at, overdue=now > at))
        elif at is not None:
            found.append(Due(kind, label, at, overdue=False))

    status = case.get("status")
    if status in OPEN_STATUSES:
        if not case.get("first_contact_at"):
            add("first_contact", "First contact", _when(case.get("first_contact_due_at")))
        if not case.get("reviewed"):
            add("review", "Review", _when(case.get("review_due_at")))
        budget_end = _when(case.get("budget_ends_at"))
        if budget_end is not None and now >= budget_end - BUDGET_WARNING:
            found.append(Due("budget", "Budget running out", budget_end, overdue=now > budget_end))
    if case.get("follow_up_due_at") and not case.get("follow_up_recorded"):
        add("follow_up", "Follow-up", _when(case.get("follow_up_due_at")))
    return sorted(found, key=lambda due: due.at)


def next_due(case: dict[str, Any], now: datetime) -> Due | None:
    found = dues(case, now)
    return found[0] if found else None


SORTS = {
    "due": "What is due first",
    "opened": "Opened first",
    "priority": "Priority",
}


def sort_caseload(rows: list[dict[str, Any]], sort: str, now: datetime) -> list[dict[str, Any]]:
    """The caseload in the order asked for (an unknown order is "due"); cases with nothing due go last."""
    far = datetime.max.replace(tzinfo=now.tzinfo)
    if sort == "opened":
        return sorted(rows, key=lambda row: str(row.get("opened_at") or ""))
    if sort == "priority":
        return sorted(rows, key=lambda row: (int(row.get("priority") or 9), str(row.get("opened_at") or "")))
    return sorted(rows, key=lambda row: (due.at if (due := next_due(row, now)) else far))
