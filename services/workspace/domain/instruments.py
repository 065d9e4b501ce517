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
    # Asked again on the closure form: the scheme's two headline measures. The others are recorded on their
    # own forms, at whatever timepoint, so closing does not ask every questionnaire of everyone.
    at_closure: bool = True

    def values(self) -> set[int]:
        return {value for value, _ in self.answers}


_OFTEN = ((1, "Hardly ever"), (2, "Some of the time"), (3, "Often"))
_WELLBEING = ((1, "None of the time"), (2, "Rarely"), (3, "Some of the time"), (4, "Often"),
              (5, "All of the time"))
# As outcomes scores them (services/outcomes/domain/instruments.py): ONS's 1 often/always ... 5 never;
# ONS-4's 0 not at all ... 10 completely; De Jong Gierveld's 1 yes, 2 more or less, 3 no.
_ONS_OFTEN = ((1, "Often or always"), (2, "Some of the time"), (3, "Occasionally"), (4, "Hardly ever"), (5, "Never"))
_NOUGHT_TO_TEN = ((0, "0 (not at all)"), *((n, str(n)) for n in range(1, 10)), (10, "10 (completely)"))
_YES_NO = ((1, "Yes"), (2, "More or less"), (3, "No"))

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
    "ons_loneliness": Instrument(
        "ons_loneliness", "ONS direct loneliness question", "Thinking about how you feel now...",
        ("How often do you feel lonely?",), _ONS_OFTEN, at_closure=False),
    "ons4": Instrument(
        "ons4", "ONS personal wellbeing (ONS-4)",
        "On a scale where 0 is 'not at all' and 10 is 'completely'...",
        ("Overall, how satisfied are you with your life nowadays?",
         "Overall, to what extent do you feel the things you do in your life are worthwhile?",
         "Overall, how happy did you feel yesterday?", "Overall, how anxious did you feel yesterday?"),
        _NOUGHT_TO_TEN, at_closure=False),
    "djg6": Instrument(
        "djg6", "De Jong Gierveld 6-item loneliness scale",
        "How far does each of these apply to you, the way you feel now?",
        ("I experience a general sense of emptiness", "I miss having people around me", "I often feel rejected",
         "There are plenty of people I can rely on when I have problems",
         "There are many people I can trust completely", "There are enough people I feel close to"),
        _YES_NO, at_closure=False),
}
CLOSURE_INSTRUMENTS = {key: instrument for key, instrument in INSTRUMENTS.items() if instrument.at_closure}


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
