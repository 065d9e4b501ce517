"""Caseload's rules without I/O: status from events, matching, the waiting list, deadlines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.caseload.domain.matching import CaseNeeds, WorkerProfile, eligible, rank
from services.caseload.domain.model import (
    CaseState,
    CaseStatus,
    NotAllowed,
    add_months,
    add_working_days,
    check_goal,
    effective_priority,
    estimate_wait_days,
    waiting_order,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # a Friday
W1, W2 = str(uuid.uuid4()), str(uuid.uuid4())


def test_status_is_folded_from_the_case_events():
    events = [
        ("case.opened", {}),
        ("case.offered", {"worker_id": W1}),
        ("case.offer_declined", {"worker_id": W1}),
        ("case.waitlisted", {}),
        ("case.offered", {"worker_id": W2}),
        ("case.assigned", {"worker_id": W2}),
        ("case.contact_recorded", {"successful": False, "at": NOW.isoformat()}),
        ("case.contact_recorded", {"successful": True, "at": NOW.isoformat()}),
        ("case.goal_set", {"goal_id": "g1"}),
        ("case.goal_progressed", {"goal_id": "g1", "progress": "achieved"}),
        ("case.extended", {"extra_weeks": 4, "extra_sessions": 2}),
        ("case.put_on_hold", {"reason": "in hospital"}),
    ]
    state = CaseState.fold(events)
    assert (state.status, state.worker_id, state.contacts, state.attempts) == (CaseStatus.ON_HOLD, W2, 1, 1)
    assert state.first_contact_at == NOW and state.goals == {"g1": "achieved"} and state.active_goals == 0
    assert (state.budget_weeks, state.budget_sessions) == (16, 14)
    resumed = state.apply("case.resumed", {}).apply("case.transferred", {"to_worker_id": W1})
    assert (resumed.status, resumed.worker_id) == (CaseStatus.ASSIGNED, W1)
    closed = resumed.apply("case.closed", {"closed_at": NOW.isoformat(), "reason": "planned_end"})
    assert closed.status == CaseStatus.CLOSED and closed.closure_reason == "planned_end"


def test_no_more_than_three_goals_at_a_time():
    state = CaseState(status=CaseStatus.ASSIGNED, goals={"a": "not_started", "b": "some_progress", "c": "achieved"})
    check_goal(state)
    with pytest.raises(NotAllowed, match="up to 3 goals"):
        check_goal(CaseState(status=CaseStatus.ASSIGNED, goals={"a": "x", "b": "x", "c": "x"}))
    with pytest.raises(NotAllowed):
        check_goal(CaseState(status=CaseStatus.WAITING))


def worker(id_, load="0", capacity="21", **kw) -> WorkerProfile:
    return WorkerProfile(id=id_, role=kw.pop("role", "connector"), capacity_hours=Decimal(capacity),
                         load_hours=Decimal(load), max_open_cases=kw.pop("max_open_cases", 20),
                         open_cases=kw.pop("open_cases", 0), **kw)


def test_eligibility_respects_hours_case_slots_role_and_home_visits():
    case = CaseNeeds(role="connector", hours=Decimal("1.5"), home_visit_needed=True)
    assert eligible(worker("a"), case) is None
    assert "weekly hours" in eligible(worker("a", load="20"), case)
    assert "maximum number" in eligible(worker("a", open_cases=20), case)
    assert "needs a connector" in eligible(worker("a", role="volunteer"), case)
    assert "home visits" in eligible(worker("a", home_visits=False), case)
    assert eligible(worker("a"), CaseNeeds(role="connector", hours=Decimal(1), exclude=frozenset({"a"})))


def test_ranking_prefers_fit_then_lower_load_with_reasons():
    case = CaseNeeds(role="connector", hours=Decimal("1.5"), language="gu", interpreter_needed=True,
                     gender_preference="female", postcode_district="LE4", needs=("gardening",))
    speaks = worker("speaks", load="10", languages=("gu",), gender="female", travel_districts=("LE4",),
                    interests=("gardening",))
    idle = worker("idle", load="0", gender="male")
    ranked = rank([idle, speaks], case)
    assert [r.worker_id for r in ranked] == ["speaks", "idle"]
    assert "speaks gu" in ranked[0].reasons and "covers LE4" in ranked[0].reasons
    assert any("gender" in r for r in ranked[1].reasons)
    # Same fit: the less loaded goes first.
    assert [r.worker_id for r in rank([worker("busy", load="12"), worker("free", load="2")],
                                      CaseNeeds(role="connector", hours=Decimal(1)))] == ["free", "busy"]
    # Continuity: whoever supported the person before comes first.
    again = CaseNeeds(role="connector", hours=Decimal(1), previous_worker_id="before")
    assert rank([worker("other"), worker("before", load="10")], again)[0].worker_id == "before"


def test_waiting_list_orders_by_priority_with_ageing_then_time_waited():
    old_low = {"id": "old-low", "priority": 4, "waiting_since": NOW - timedelta(days=30)}
    new_high = {"id": "new-high", "priority": 2, "waiting_since": NOW - timedelta(days=1)}
    mid = {"id": "mid", "priority": 3, "waiting_since": NOW - timedelta(days=2)}
    # 30 days at 14 days a level lifts priority 4 to 2; it has waited longer than new-high.
    assert effective_priority(4, old_low["waiting_since"], NOW, 14) == 2
    assert [c["id"] for c in waiting_order([mid, new_high, old_low], NOW, 14)] == ["old-low", "new-high", "mid"]
    assert effective_priority(2, NOW - timedelta(days=400), NOW, 14) == 1  # never above the top


def test_first_contact_deadline_counts_working_days():
    assert add_working_days(NOW, 5) == NOW + timedelta(days=7)  # Friday + 5 working days = next Friday
    assert add_working_days(NOW, 1) == NOW + timedelta(days=3)  # Friday + 1 = Monday
    assert add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)


def test_estimated_wait_follows_the_recent_closure_rate():
    assert estimate_wait_days(position=4, closures_last_28_days=14, active_workers=3) == 8  # 0.5 a day
    assert estimate_wait_days(position=1, closures_last_28_days=0, active_workers=3) == 10  # 3 slots per 30 days
