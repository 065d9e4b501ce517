"""Instrument scoring against the published rules, and rejected responses naming the item."""

from __future__ import annotations

import pytest

from services.outcomes.domain.instruments import INSTRUMENTS, SWEMWBS_METRIC, InvalidResponse

UCLA, ONS, SWEMWBS, ONS4, DJG, MYCAW = (INSTRUMENTS[k] for k in ("ucla3", "ons_loneliness", "swemwbs", "ons4", "djg6",
                                                                  "mycaw"))


@pytest.mark.parametrize(("items", "score", "category"), [
    ([1, 1, 1], 3, "not_lonely"), ([2, 2, 1], 5, "not_lonely"), ([2, 2, 2], 6, "lonely"), ([3, 2, 2], 7, "lonely"),
    ([3, 3, 2], 8, "most_lonely"), ([3, 3, 3], 9, "most_lonely")])
def test_ucla3_total_and_bands(items, score, category):
    scored = UCLA.score(items)
    assert (scored.score, scored.category) == (score, category)


@pytest.mark.parametrize(("instrument", "items", "item"), [
    (UCLA, [1, 1], "items"), (UCLA, [1, 2, 4], "isolated"), (UCLA, [0, 1, 1], "lack_companionship"),
    (UCLA, [1, True, 1], "left_out"), (UCLA, None, "items"), (ONS, [6], "how_often_lonely"),
    (SWEMWBS, [3, 3, 3, 3, 3, 3], "items"), (SWEMWBS, [3, 3, 3, 0, 3, 3, 3], "dealing_with_problems"),
    (ONS4, [5, 5, 11, 2], "happy"), (ONS4, [5, 5, 5, -1], "anxious"), (DJG, [1, 2, 3, 4, 1, 1], "rely_on"),
    (MYCAW, [7, 3], "concern_1"), (MYCAW, [3, 2, 1, 0], "items")])
def test_invalid_responses_are_rejected_naming_the_item(instrument, items, item):
    with pytest.raises(InvalidResponse) as rejected:
        instrument.score(items, concerns=["x"] * 2)
    assert rejected.value.item == item and rejected.value.reason


def test_ons_direct_question_lonely_only_for_often_or_always():
    assert [ONS.score([v]).category for v in (1, 2, 3, 4, 5)] == ["lonely"] + ["not_lonely"] * 4
    assert ONS.improved(2, 4) == "improved" and ONS.improved(4, 2) == "worse"  # higher = less often lonely


def test_swemwbs_raw_and_metric_scores():
    assert SWEMWBS.score([1] * 7).subscores == {"raw": 7, "metric": 7.0}
    assert SWEMWBS.score([5] * 7).subscores == {"raw": 35, "metric": 35.0}
    assert SWEMWBS.score([3, 3, 3, 3, 3, 3, 4]).subscores == {"raw": 22, "metric": 19.98}
    # The conversion rises with every raw point, from 7 to 35.
    values = [SWEMWBS_METRIC[r] for r in range(7, 36)]
    assert values == sorted(values) and len(set(values)) == 29
    assert SWEMWBS.meaningful_change == 3 and SWEMWBS.uk_mean == 25.2


def test_ons4_items_stand_alone_and_anxiety_is_kept_as_asked():
    scored = ONS4.score([6, 7, 5, 8])
    assert scored.subscores == {"life_satisfaction": 6, "worthwhile": 7, "happy": 5, "anxious": 8}


@pytest.mark.parametrize(("items", "emotional", "social"), [
    ([3, 3, 3, 1, 1, 1], 0, 0),  # no to the negative items, yes to the positive: not lonely
    ([1, 1, 1, 3, 3, 3], 3, 3),  # the reverse: as lonely as the scale goes
    ([2, 3, 1, 2, 1, 3], 2, 2),  # "more or less" counts on both halves
])
def test_de_jong_gierveld_scoring(items, emotional, social):
    scored = DJG.score(items)
    assert scored.subscores == {"emotional": emotional, "social": social}
    assert scored.score == emotional + social


def test_mycaw_scores_each_named_concern():
    # The concerns are named one per concern scored (caseload checks that later ones are the baseline's).
    baseline = MYCAW.score([5, 4, 3], concerns=["Loneliness", "Getting out"])
    assert baseline.score == 4.0 and baseline.subscores == {"concern_1": 5, "concern_2": 4, "wellbeing": 3}
    assert MYCAW.score([2, 1], concerns=["Loneliness"]).subscores == {"concern_1": 2, "wellbeing": 1}
    assert MYCAW.score([2, 2, 1], concerns=["Money", "Getting out"]).score == pytest.approx(5 / 3, abs=0.01)
    with pytest.raises(InvalidResponse, match="concerns"):
        MYCAW.score([2, 2, 1], concerns=None)
    with pytest.raises(InvalidResponse, match="concerns"):
        MYCAW.score([2, 2, 1], concerns=["Loneliness"])


def test_direction_of_change_follows_the_instrument():
    assert UCLA.improved(8, 5) == "improved" and UCLA.improved(5, 8) == "worse" and UCLA.improved(6, 6) == "same"
    assert SWEMWBS.improved(20.0, 24.1) == "improved" and DJG.improved(4, 2) == "improved"


def test_shares_add_up_to_100_the_way_evaluations_publish_them():
    from services.outcomes.service_layer.reports import _shares_adding_to_100

    assert _shares_adding_to_100([569, 221, 30]) == [69.4, 26.9, 3.7]  # British Red Cross, 820 paired
    assert _shares_adding_to_100([1, 1, 1]) == [33.4, 33.3, 33.3]
    assert _shares_adding_to_100([0, 0, 0]) == [None, None, None]
