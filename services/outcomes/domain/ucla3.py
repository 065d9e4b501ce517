"""UCLA 3-item loneliness scale (Hughes et al. 2004).

Items: lack companionship, feel left out, feel isolated; each scored
hardly ever = 1, some of the time = 2, often = 3. Total 3-9, lower is better;
6-9 counts as lonely, 8-9 as most lonely. The full instrument library arrives
with the outcomes issue; this is the one the walking skeleton needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ITEMS = ("lack_companionship", "left_out", "isolated")
LONELY_FROM = 6
MOST_LONELY_FROM = 8


class InvalidResponse(ValueError):
    def __init__(self, item: str, reason: str) -> None:
        super().__init__(f"{item}: {reason}")
        self.item = item
        self.reason = reason


def score(items: list[int] | None) -> int:
    if items is None or len(items) != len(ITEMS):
        raise InvalidResponse("items", f"expected {len(ITEMS)} responses ({', '.join(ITEMS)})")
    for name, value in zip(ITEMS, items, strict=True):
        if not isinstance(value, int) or isinstance(value, bool) or value not in (1, 2, 3):
            raise InvalidResponse(name, "must be 1 (hardly ever), 2 (some of the time) or 3 (often)")
    return sum(items)


def is_lonely(total: int) -> bool:
    return total >= LONELY_FROM


class Direction(StrEnum):
    IMPROVED = "improved"
    SAME = "same"
    WORSE = "worse"


@dataclass(frozen=True)
class Change:
    start: int
    end: int

    @property
    def difference(self) -> int:
        return self.end - self.start

    @property
    def direction(self) -> Direction:
        # Lower is better on UCLA: a fall in score is an improvement.
        if self.difference < 0:
            return Direction.IMPROVED
        if self.difference > 0:
            return Direction.WORSE
        return Direction.SAME
