"""The workspace's own rules: what is due on a case, how the caseload sorts, how a questionnaire is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.workspace.domain.dues import dues, sort_caseload
from services.workspace.domain.instruments import INSTRUMENTS, read_measure
from services.workspace.domain.casework import read_contact, timeline_entry

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _case(**fields):
    return {"status": "assigned", "opened_at": "2026-01-01T09:00:00+00:00", "priority": 3, **fields}


def test_an_open_case_owes_first_contact_and_review_and_says_which_is_overdue():
    case = _case(first_contact_due_at=(NOW - timedelta(days=1)).isoformat(),
                 review_due_at=(NOW + timedelta(days=20)).isoformat())
    found = dues(case, NOW)
    assert [(d.kind, d.overdue) for d in found] == [("first_contact", True), ("review", False)]


def test_first_contact_made_and_review_done_are_no_longer_due():
    case = _case(first_contact_due_at="2026-02-01T00:00:00+00:00", first_contact_at="2026-01-20T00:00:00+00:00",
                 review_due_at="2026-02-10T00:00:00+00:00", reviewed=True)
    assert dues(case, NOW) == []


def test_the_budget_is_flagged_in_its_last_two_weeks_only():
    assert dues(_case(budget_ends_at="2026-04-30T00:00:00+00:00"), NOW) == []
    [due] = dues(_case(budget_ends_at="2026-03-10T00:00:00+00:00"), NOW)
    assert (due.kind, due.overdue) == ("budget", False)


def test_a_closed_case_owes_only_its_follow_up():
    case = _case(status="closed", first_contact_due_at="2026-01-05T00:00:00+00:00",
                 follow_up_due_at="2026-03-01T00:00:00+00:00")
    assert [(d.kind, d.overdue) for d in dues(case, NOW)] == [("follow_up", True)]


def test_the_caseload_sorts_by_what_is_due_first_and_nothing_due_goes_last():
    later = _case(id="b", first_contact_due_at="2026-03-20T00:00:00+00:00")
    sooner = _case(id="a", first_contact_due_at="2026-03-03T00:00:00+00:00")
    idle = _case(id="c", first_contact_at="2026-01-02T00:00:00+00:00", reviewed=True)
    assert [r["id"] for r in sort_caseload([idle, later, sooner], "due", NOW)] == ["a", "b", "c"]
    urgent = _case(id="u", priority=1)
    assert [r["id"] for r in sort_caseload([idle, urgent], "priority", NOW)][0] == "u"


def test_ucla3_needs_every_item_answered_with_one_of_its_three_answers():
    ucla3 = INSTRUMENTS["ucla3"]
    measure, errors = read_measure(ucla3, "baseline", {"item_1": "3", "item_2": "2", "item_3": "1"})
    assert errors == {} and measure == {"instrument": "ucla3", "timepoint": "baseline", "items": [3, 2, 1]}
    measure, errors = read_measure(ucla3, "baseline", {"item_1": "3", "item_2": "4"})
    assert measure is None and set(errors) == {"item_2", "item_3"}


def test_swemwbs_has_seven_items_from_one_to_five():
    swemwbs = INSTRUMENTS["swemwbs"]
    answers = {f"item_{i}": "5" for i in range(1, 8)}
    measure, errors = read_measure(swemwbs, "end", answers)
    assert errors == {} and measure["items"] == [5] * 7
    _, errors = read_measure(swemwbs, "end", {**answers, "item_7": "0"})
    assert list(errors) == ["item_7"]


def test_not_collected_takes_a_reason_instead_of_answers():
    ucla3 = INSTRUMENTS["ucla3"]
    measure, errors = read_measure(ucla3, "end", {"collected": "no", "not_collected_reason": "Declined today"})
    assert errors == {} and measure == {"instrument": "ucla3", "timepoint": "end",
                                        "not_collected_reason": "Declined today"}
    _, errors = read_measure(ucla3, "end", {"collected": "no"})
    assert list(errors) == ["not_collected_reason"]
    _, errors = read_measure(ucla3, "someday", {"collected": "no", "not_collected_reason": "x"})
    assert list(errors) == ["timepoint"]


def test_a_contact_names_what_is_missing_and_an_attempt_is_not_a_success():
    body, errors = read_contact({"kind": "phone", "reached": "no", "minutes": "5"})
    assert errors == {} and body["successful"] is False and body["travel_minutes"] == 0
    _, errors = read_contact({"kind": "carrier pigeon", "minutes": "lots"})
    assert set(errors) == {"kind", "reached", "minutes"}


def test_the_timeline_says_what_happened_in_words():
    entry = timeline_entry({"event_type": "case.contact_recorded", "at": "2026-03-01T10:00:00+00:00",
                            "data": {"kind": "home_visit", "minutes": 45, "successful": True}})
    assert entry["what"] == "Contact recorded" and entry["detail"] == "Home visit, 45 minutes (reached)"


def test_a_declined_offer_on_the_timeline_says_why_in_the_workers_words():
    coded = timeline_entry({"event_type": "case.offer_declined", "data": {"reason_code": "language",
                                                                          "reason": "Needs Tigrinya"}})
    assert coded["what"] == "Offer declined"
    assert coded["detail"] == "I do not speak the language needed. Needs Tigrinya"
    sealed = timeline_entry({"event_type": "case.offer_declined", "data": {"reason_code": "away",
                                                                           "reason": {"sealed": "..."}}})
    assert sealed["detail"] == "I will be away or off work"  # a note this reader may not open is left out
    older = timeline_entry({"event_type": "case.offer_declined", "data": {"reason": "on leave"}})
    assert older["detail"] == "on leave"


def test_corrected_details_on_the_timeline_say_what_the_case_is_matched_on_now():
    entry = timeline_entry({"event_type": "case.details_corrected", "data": {
        "language": "so", "interpreter_needed": False, "postcode_district": "N1",
        "changed": ["language", "interpreter_needed", "postcode_district"]}})
    assert entry["what"] == "Contact details corrected"
    assert entry["detail"] == "main language now Somali; no interpreter needed; area now N1"
    moved_away = timeline_entry({"event_type": "case.details_corrected", "data": {
        "language": None, "interpreter_needed": True, "postcode_district": None, "changed": ["postcode_district"]}})
    assert moved_away["detail"] == "no postcode"


def test_each_forms_questions_and_answers_are_the_ones_outcomes_scores():
    from services.outcomes.domain.instruments import INSTRUMENTS as SCORED
    from services.workspace.domain.instruments import CONCERN_SCORES
    from services.workspace.domain.instruments import INSTRUMENTS as ASKED

    for key, asked in ASKED.items():
        scored = SCORED[key]
        low, high = scored.item_range
        # MYCaW's concerns are scored items too (before wellbeing), and only the first concern is required.
        assert asked.concerns + len(asked.items) == len(scored.items), key
        assert asked.values() == set(range(low, high + 1)), key
        if asked.concerns:
            assert {value for value, _ in CONCERN_SCORES} == set(range(low, high + 1))
            assert scored.min_items == len(asked.items) + 1
