"""The outcome questionnaires as the forms ask them: each item's words, the answers allowed and their values.

The forms check each answer as the instrument requires (every item answered, each a value the instrument
has); caseload and outcomes check again, and score. "Not collected" takes a reason instead of answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TIMEPOINTS = {"baseline": "Baseline (start)", "end": "End of support", "follow_up": "Follow-up"}
MAX_REASON = 500


@dataclass(frozen=True)
class Instrument:
    id: str
    name: str
    question: str
    items: tuple[str, ...]
    answers: tuple[tuple[int, str], ...]  # (value, words), in the order they are offered

    def values(self) -> set[int]:
        return {value for value, _ in self.answers}


_OFTEN = ((1, "Hardly ever"), (2, "Some of the time"), (3, "Often"))
_WELLBEING = ((1, "None of the time"), (2, "Rarely"), (3, "Some of the time"), (4, "Often"),
              (5, "All of the time"))

INSTRUMENTS = {
    "ucla3": Instrument(
        "ucla3", "UCLA 3-item loneliness scale", "How often do you feel...",
        ("that you lack companionship?", "left out?", "isolated from others?"), _OFTEN),
    "swemwbs": Instrument(
        "swemwbs", "Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)",
        "Thinking about the last two weeks, how often have you been...",
        ("feeling optimistic about the future", "feeling useful", "feeling relaxed", "dealing with problems well",
         "thinking clearly", "feeling close to other people", "able to make up my own mind about things"),
        _WELLBEING),
}


def item_field(index: int) -> str:
    return f"item_{index + 1}"


def read_measure(instrument: Instrument, timepoint: str, form: dict[str, Any]) -> tuple[dict[str, Any] | None,
                                                                                        dict[str, str]]:
    """The measure a form posted, as caseload takes it, or the problems with it, keyed by field name."""
    errors: dict[str, str] = {}
    if timepoint not in TIMEPOINTS:
        errors["timepoint"] = "Choose when this was collected"
    if form.get("collected") == "no":
        reason = str(form.get("not_collected_reason") or "").strip()
        if not reason:
            errors["not_collected_reason"] = "Say why it was not collected"
        elif len(reason) > MAX_REASON:
            errors["not_collected_reason"] = f"Say why in {MAX_REASON} characters or fewer"
        measure = {"instrument": instrument.id, "timepoint": timepoint, "not_collected_reason": reason}
        return (None, errors) if errors else (measure, {})
    items = []
    for index, words in enumerate(instrument.items):
        raw = str(form.get(item_field(index)) or "")
        value = int(raw) if raw.isdigit() else None
        if value is None or value not in instrument.values():
            errors[item_field(index)] = f"Choose an answer for question {index + 1}: {words}"
        items.append(value)
    if errors:
        return None, errors
    return {"instrument": instrument.id, "timepoint": timepoint, "items": items}, {}
