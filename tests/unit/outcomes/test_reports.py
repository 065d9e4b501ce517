"""The reports over the read side's rows (a fake of the views): what they ask for and how they
summarise it. The statistics themselves are tested in tests/unit/test_instruments.py."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from services.outcomes.service_layer import reports
from services.outcomes.service_layer.scope import OutsideProgrammes
from services.outcomes.service_layer.ports import CompletenessRows, FunnelRows
from tests.unit.outcomes.fakes import FakeViews

CASE = uuid.uuid4()


def _measure(instrument: str, timepoint: str, score, category=None) -> dict:
    return {"case_id": CASE, "instrument": instrument, "timepoint": timepoint, "score": score, "category": category}


async def test_a_case_with_no_measures_is_not_found():
    with pytest.raises(reports.NoMeasuresRecorded):
        await reports.case_measures(FakeViews(), CASE)


async def test_a_case_shows_its_change_on_each_instrument_scored_at_start_and_end():
    views = FakeViews(measures={CASE: [
        _measure("swemwbs", "baseline", Decimal("19.98")), _measure("swemwbs", "end", Decimal("23.21")),
        _measure("ucla3", "baseline", Decimal("8"), "most_lonely"), _measure("ucla3", "end", Decimal("5"), "not_lonely"),
        _measure("ons4", "baseline", None)]})

    shown = await reports.case_measures(views, CASE)

    assert shown["case_id"] == str(CASE) and len(shown["measures"]) == 5
    # SWEMWBS: higher is better, 19.98 to 23.21 is 3.23 up; UCLA-3: lower is better, 8 to 5 is 3 down.
    assert shown["changes"] == [
        {"instrument": "swemwbs", "start": 19.98, "end": 23.21, "change": 3.23, "direction": "improved",
         "category_start": None, "category_end": None},
        {"instrument": "ucla3", "start": 8.0, "end": 5.0, "change": -3.0, "direction": "improved",
         "category_start": "most_lonely", "category_end": "not_lonely"}]


async def test_a_person_who_did_not_consent_to_data_sharing_is_not_shown_individually():
    views = FakeViews(measures={CASE: [_measure("ucla3", "baseline", Decimal("8"), "most_lonely"),
                                       _measure("ucla3", "end", Decimal("5"), "not_lonely")]}, not_shared={CASE})
    shown = await reports.case_measures(views, CASE)
    assert (shown["measures"], shown["changes"]) == ([], [])
    assert "did not consent to data sharing" in shown["withheld"]


async def test_an_unknown_instrument_is_refused_before_anything_is_read():
    views = FakeViews()
    with pytest.raises(reports.UnknownInstrument):
        await reports.change_report(views, instrument="gad7")
    assert views.asked == []


async def test_the_change_report_asks_for_the_instruments_direction_and_summarises_each_group():
    row = {"grp": "all", "paired": 4, "improved": 3, "same": 1, "worse": 0, "mean_change": Decimal("-2"),
           "sd_change": Decimal("1"), "mean_start": Decimal("7.5"), "mean_end": Decimal("5.5"), "lonely_at_start": 4,
           "lonely_to_not_lonely": 2, "with_follow_up": 0, "mean_change_to_follow_up": None,
           "mean_change_end_to_follow_up": None, "improved_at_follow_up": 0, "meaningful_improvement": 3}
    views = FakeViews(change_rows=[row])

    report = await reports.change_report(views, programme_id="demo", breakdown=None)

    assert views.asked[0][1]["better_sign"] == -1  # UCLA-3: lower is better
    assert views.asked[0][1]["programme_id"] == "demo"
    group = reports.headline(report)
    assert (group["paired"], group["improved_pct"], group["same_pct"], group["worse_pct"]) == (4, 75.0, 25.0, 0.0)
    assert group["mean_change"] == -2.0 and group["lonely_to_not_lonely_pct"] == 50.0
    # 95% interval: -2 +/- t(3) * 1 / sqrt(4) = -2 +/- 3.182 / 2
    assert group["ci95_mean_change"] == [-3.591, -0.409]


async def test_with_nothing_paired_the_headline_is_zeros():
    report = await reports.change_report(FakeViews(), instrument="ucla3")
    assert reports.headline(report) == {"paired": 0, "improved": 0, "same": 0, "worse": 0, "mean_change": None}


async def test_the_funnel_rounds_fractions_and_keeps_counts():
    views = FakeViews(funnel=FunnelRows(head={"referrals": 10, "median_days_to_first_contact": 2.4567,
                                              "mean_contacts_per_closed_case": Decimal("3.333"),
                                              "median_days_in_service": None},
                                        closure_reasons=[{"reason": "planned_end", "cases": 4}]))

    funnel = await reports.funnel(views, "demo", None, None)

    assert funnel["programme_id"] == "demo" and funnel["referrals"] == 10
    assert (funnel["median_days_to_first_contact"], funnel["mean_contacts_per_closed_case"]) == (2.46, 3.33)
    assert funnel["median_days_in_service"] is None
    assert funnel["closure_reasons"] == [{"reason": "planned_end", "cases": 4}]


async def test_completeness_gives_shares_at_each_level():
    worker = uuid.uuid4()
    views = FakeViews(completeness=CompletenessRows(
        rows=[{"programme_id": "demo", "worker_id": worker, "closed_cases": 4, "with_baseline": 4, "with_end": 3,
               "with_follow_up": 0},
              {"programme_id": "demo", "worker_id": None, "closed_cases": 4, "with_baseline": 4, "with_end": 3,
               "with_follow_up": 0},
              {"programme_id": None, "worker_id": None, "closed_cases": 0, "with_baseline": 0, "with_end": 0,
               "with_follow_up": 0}],
        missing_reasons=[{"timepoint": "end", "reason": "declined", "cases": 1}]))

    found = await reports.completeness(views, "demo")

    assert [(r["level"], r["worker_id"], r["with_end_pct"]) for r in found["rows"]] == [
        ("worker", str(worker), 75.0), ("programme", None, 75.0), ("all", None, None)]
    assert found["missing_reasons"] == [{"timepoint": "end", "reason": "declined", "cases": 1}]


# --- an account that names programmes reads those programmes' figures only --------------------------------


async def test_a_scoped_account_reads_its_own_programmes_reports_only():
    views = FakeViews()
    mine = frozenset({"brc-hackney"})
    for ask in (lambda: reports.change_report(views, programme_id="elsewhere", programmes=mine),
                lambda: reports.funnel(views, "elsewhere", None, None, mine),
                lambda: reports.completeness(views, "elsewhere", "ucla3", mine),
                # Across every programme: for scheme-wide accounts only, once an account names two.
                lambda: reports.change_report(views, programmes=frozenset({"brc-hackney", "brc-camden"}))):
        with pytest.raises(OutsideProgrammes):
            await ask()
    assert views.asked == []  # refused before anything was read

    report = await reports.change_report(views, programmes=mine)  # none named: the account's one programme
    assert report["filters"]["programme_id"] == "brc-hackney"
    assert views.asked[-1][1]["programme_id"] == "brc-hackney"
    await reports.funnel(views, None, None, None, mine)
    assert views.asked[-1] == ("funnel", {"programme_id": "brc-hackney"})
    await reports.completeness(views, "brc-hackney", "ucla3", mine)
    assert views.asked[-1] == ("completeness", {"programme_id": "brc-hackney", "instrument": "ucla3"})
    unscoped = await reports.change_report(views)
    assert unscoped["filters"]["programme_id"] is None


async def test_a_scoped_account_reads_its_own_programmes_cases_only():
    views = FakeViews(measures={CASE: [{**_measure("ucla3", "baseline", Decimal("8")), "programme_id": "brc-hackney"}]})
    with pytest.raises(OutsideProgrammes):
        await reports.case_measures(views, CASE, frozenset({"elsewhere"}))
    shown = await reports.case_measures(views, CASE, frozenset({"brc-hackney"}))
    assert shown["case_id"] == str(CASE)
