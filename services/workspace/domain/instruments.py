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
    # MYCaW: how many concerns the person may name in their own words (the first required), each scored.
    concerns: int = 0

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
    # Each concern is scored on how much it bothers the person, then their wellbeing (outcomes' 0..6, lower is
    # better); items go to caseload as [concern 1, (concern 2,) wellbeing], the concerns' words alongside.
    "mycaw": Instrument(
        "mycaw", "Measure Yourself Concerns and Wellbeing (MYCaW)",
        "In the person's own words, the one or two concerns they would most like help with",
        ("How would you rate your general feeling of wellbeing now?",),
        ((0, "0 (as good as it could be)"), *((n, str(n)) for n in range(1, 6)), (6, "6 (as bad as it could be)")),
        at_closure=False, concerns=2),
}
# How much a MYCaW concern bothers the person now.
CONCERN_SCORES = ((0, "0 (not bothering me at all)"), *((n, str(n)) for n in range(1, 6)), (6, "6 (bothers me greatly)"))
MAX_CONCERN = 300
CLOSURE_INSTRUMENTS = {key: instrument for key, instrument in INSTRUMENTS.items() if instrument.at_closure}


def item_field(index: int) -> str:
    return f"item_{index + 1}"


def concern_field(index: int) -> str:
    return f"concern_{index + 1}"


def _score(form: dict[str, Any], name: str, allowed: set[int]) -> int | None:
    raw = str(form.get(name) or "")
    value = int(raw) if raw.isdigit() else None
    return value if value in allowed else None


def _read_concerns(instrument: Instrument, form: dict[str, Any], errors: dict[str, str]) -> tuple[list[str], list[int]]:
    """MYCaW's concerns as the person put them, each with its score: the first is required, the others optional,
    but a concern needs its score and a score its concern."""
    concerns, scores = [], []
    allowed = {value for value, _ in CONCERN_SCORES}
    for index in range(instrument.concerns):
        name = concern_field(index)
        words = str(form.get(name) or "").strip()
        score = _score(form, f"{name}_score", allowed)
        if len(words) > MAX_CONCERN:
            errors[name] = f"Write concern {index + 1} in {MAX_CONCERN} characters or fewer"
        elif not words and (index == 0 or str(form.get(f"{name}_score") or "")):
            errors[name] = f"Write concern {index + 1} in the person's own words"
        if words and score is None:
            errors[f"{name}_score"] = f"Choose how much concern {index + 1} bothers them, from 0 to 6"
        if words:
            concerns.append(words)
            scores.append(score)
    return concerns, scores


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
    concerns = []
    if instrument.concerns:
        concerns, items = _read_concerns(instrument, form, errors)
    for index, words in enumerate(instrument.items):
        raw = str(form.get(item_field(index)) or "")
        value = int(raw) if raw.isdigit() else None
        if value is None or value not in instrument.values():
            errors[item_field(index)] = f"Choose an answer for question {index + 1}: {words}"
        items.append(value)
    if errors:
        return None, errors
    measure = {"instrument": instrument.id, "timepoint": timepoint, "items": items}
    return (measure | {"concerns": concerns}) if instrument.concerns else measure, {}


def described(measure: dict[str, Any]) -> str:
    """A recorded measure as the case lists it; MYCaW with each concern (the person's words) and its score."""
    name = str(measure.get("instrument", "")).upper()
    said = f"{name}, {str(measure.get('timepoint', '')).replace('_', ' ')}"
    if measure.get("not_collected_reason"):
        return f"{said}: not collected ({measure['not_collected_reason']})"
    if measure.get("instrument") == "mycaw" and measure.get("items"):
        *scores, wellbeing = measure["items"]
        concerns = measure.get("concerns") or []
        parts = [f"“{concerns[i] if i < len(concerns) and concerns[i] else 'concern erased'}” {score} of 6"
                 for i, score in enumerate(scores)]
        return f"{said}: " + "; ".join([*parts, f"wellbeing {wellbeing} of 6"])
    return said
