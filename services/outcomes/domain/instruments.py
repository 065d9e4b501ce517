"""Outcome instruments: versioned definitions with item-level validation and scoring. No I/O.

Each instrument says how many items it has and their ranges, how to score them,
which direction is better, and (where the evaluations use one) the cut-off for
"lonely", the UK population mean and the size of a meaningful change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class InvalidResponse(ValueError):
    def __init__(self, item: str, reason: str) -> None:
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason


@dataclass(frozen=True)
class Scored:
    score: float
    category: str | None = None
    subscores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    name: str
    items: tuple[str, ...]
    item_range: tuple[int, int]
    better: str  # "lower" or "higher"
    scorer: Callable[[list[int]], Scored]
    min_items: int | None = None  # for instruments with optional items (MYCaW's second concern)
    uk_mean: float | None = None
    meaningful_change: float | None = None
    range_words: str = ""

    def score(self, items: list[int] | None, concerns: list[str] | None = None) -> Scored:
        """`concerns` (MYCaW) only have to be named, one per concern scored: they arrive sealed, and caseload,
        which can open them, checks that later scores name the baseline's."""
        if items is None:
            raise InvalidResponse("items", "no responses given")
        low, high = self.item_range
        expected = len(self.items)
        if not (self.min_items or expected) <= len(items) <= expected:
            raise InvalidResponse("items", f"expected {expected} responses ({', '.join(self.items)})")
        # With an optional item left out (one MYCaW concern), the last item is still the last name.
        names = self.items if len(items) == expected else (*self.items[: len(items) - 1], self.items[-1])
        for name, value in zip(names, items, strict=True):
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise InvalidResponse(name, f"must be a whole number from {low} to {high}{self.range_words}")
        if self.id == "mycaw":
            _check_concerns(len(items) - 1, concerns)
        return self.scorer(items)

    def improved(self, start: float, end: float) -> str:
        difference = end - start
        if difference == 0:
            return "same"
        return "improved" if (difference < 0) == (self.better == "lower") else "worse"


def _ucla3(items: list[int]) -> Scored:
    total = sum(items)
    category = "most_lonely" if total >= 8 else "lonely" if total >= 6 else "not_lonely"
    return Scored(total, category)


def _ons_loneliness(items: list[int]) -> Scored:
    # 1 often/always, 2 some of the time, 3 occasionally, 4 hardly ever, 5 never
    return Scored(items[0], "lonely" if items[0] == 1 else "not_lonely")


# Raw score to metric score (Rasch conversion), from the SWEMWBS user guide.
SWEMWBS_METRIC = {7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32, 15: 15.84,
                  16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98, 23: 20.73, 24: 21.54,
                  25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31, 33: 30.70,
                  34: 32.55, 35: 35.00}


def _swemwbs(items: list[int]) -> Scored:
    raw = sum(items)
    return Scored(SWEMWBS_METRIC[raw], None, {"raw": raw, "metric": SWEMWBS_METRIC[raw]})


ONS4_ITEMS = ("life_satisfaction", "worthwhile", "happy", "anxious")


def _ons4(items: list[int]) -> Scored:
    # Each item stands alone; anxiety is the one where lower is better. Life satisfaction leads.
    return Scored(items[0], None, dict(zip(ONS4_ITEMS, map(float, items), strict=True)))


def _djg6(items: list[int]) -> Scored:
    # Responses: 1 yes, 2 more or less, 3 no. Items 1-3 (emotional) are worded negatively and score 1 for
    # yes or more or less; items 4-6 (social) are worded positively and score 1 for no or more or less.
    emotional = sum(1 for v in items[:3] if v in (1, 2))
    social = sum(1 for v in items[3:] if v in (2, 3))
    total = emotional + social
    return Scored(total, "lonely" if total >= 2 else "not_lonely", {"emotional": emotional, "social": social})


def _mycaw(items: list[int]) -> Scored:
    *concerns, wellbeing = items
    subscores = {f"concern_{i}": float(v) for i, v in enumerate(concerns, start=1)} | {"wellbeing": float(wellbeing)}
    return Scored(round(sum(items) / len(items), 2), None, subscores)


def _check_concerns(count: int, concerns: list[str] | None) -> None:
    if concerns is None or len(concerns) != count or not all(c and c.strip() for c in concerns):
        raise InvalidResponse("concerns", f"name the {count} concern(s) scored, in the person's words")


INSTRUMENTS: dict[str, Instrument] = {
    i.id: i
    for i in (
        Instrument("ucla3", "1", "UCLA 3-item loneliness scale (Hughes et al. 2004)",
                   ("lack_companionship", "left_out", "isolated"), (1, 3), "lower", _ucla3,
                   range_words=" (1 hardly ever, 2 some of the time, 3 often)"),
        Instrument("ons_loneliness", "1", "ONS direct loneliness question", ("how_often_lonely",), (1, 5), "higher",
                   _ons_loneliness, range_words=" (1 often/always ... 5 never)"),
        Instrument("swemwbs", "1", "Short Warwick-Edinburgh Mental Wellbeing Scale",
                   ("optimistic", "useful", "relaxed", "dealing_with_problems", "thinking_clearly", "close_to_others",
                    "make_up_own_mind"), (1, 5), "higher", _swemwbs, uk_mean=25.2, meaningful_change=3.0,
                   range_words=" (1 none of the time ... 5 all of the time)"),
        Instrument("ons4", "1", "ONS personal wellbeing (ONS-4)", ONS4_ITEMS, (0, 10), "higher", _ons4, uk_mean=7.7),
        Instrument("djg6", "1", "De Jong Gierveld 6-item loneliness scale",
                   ("emptiness", "miss_people", "rejected", "rely_on", "trust", "close_to"), (1, 3), "lower", _djg6,
                   range_words=" (1 yes, 2 more or less, 3 no)"),
        Instrument("mycaw", "1", "Measure Yourself Concerns and Wellbeing", ("concern_1", "concern_2", "wellbeing"),
                   (0, 6), "lower", _mycaw, min_items=2, range_words=" (0 not bothering me ... 6 bothers me greatly)"),
    )
}
