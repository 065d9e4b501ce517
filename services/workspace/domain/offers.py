"""An offer in the worker's words: what is being offered (never who), and a decline's coded reason.

Caseload's offer carries `offered`: the case as triage sized and matched it (programme, pathway, priority, area,
needs, how long it has waited) and the worker's room. The person's details open only once the case is theirs.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .languages import name_of

PATHWAYS = {"connector": "Community connector", "volunteer": "Volunteer support",
            "connector_with_volunteer": "Connector with a volunteer", "signpost_only": "Signposting only"}
COMPLEXITIES = {"low": "Low", "medium": "Medium", "high": "High"}
# Triage's priority: 1 most urgent ... 5 least.
PRIORITIES = {1: "Urgent", 2: "High", 3: "Routine", 4: "Low", 5: "Lowest"}

# Why a worker cannot take an offer: a code the coordinator can count (caseload's DeclineReason), in words the
# worker recognises; the capacity page counts declines under the same words.
DECLINE_REASONS = {
    "no_capacity": "I do not have room for it now",
    "conflict_of_interest": "I know the person or have a conflict of interest",
    "language": "I do not speak the language needed",
    "too_far": "The area is too far for me",
    "skills": "It needs skills or experience I do not have",
    "away": "I will be away or off work",
    "other": "Another reason",
}
OFFER_GONE = ("This offer is no longer open: it was declined, it lapsed, or the case went to someone else. "
              "It cannot be accepted now.")
MAX_DECLINE_NOTE = 500  # caseload's limit for the note, which it keeps sealed apart from the code


def hours(value: Any) -> str:
    """Hours as a person writes them: 1.5, 2, never 2.00."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return f"{number.normalize():f}"


def waited(days: Any) -> str:
    if not isinstance(days, int) or days < 0:
        return "Not known"
    if days == 0:
        return "Less than a day"
    return f"{days} day{'s' if days != 1 else ''}"


def summary(offer: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, words) rows of what is offered, leaving out what the offer does not say."""
    offered = offer.get("offered") or {}
    needs = ", ".join(str(n).replace("_", " ") for n in offered.get("needs") or [])
    language = name_of(str(offered.get("language") or ""))
    if language and offered.get("interpreter_needed"):
        language += " (interpreter needed)"
    triggers = ", ".join(str(t).replace("_", " ") for t in offered.get("trigger_groups") or [])
    rows = [
        ("Programme", str(offered.get("programme_id") or "")),
        ("Support", PATHWAYS.get(offered.get("pathway"), str(offered.get("pathway") or ""))),
        ("Priority", PRIORITIES.get(offered.get("priority"), "")),
        ("Complexity", COMPLEXITIES.get(offered.get("complexity"), "")),
        ("Why referred", triggers),
        ("What they need help with", needs),
        ("Area", str(offered.get("postcode_district") or "")),
        ("Language", language),
        ("Home visits", "Needed" if offered.get("home_visit_needed") else ""),
        ("Worker preferred", str(offered.get("gender_preference") or "").capitalize()),
        ("Waited", waited(offered.get("waited_days")) if "waited_days" in offered else ""),
        ("Time it takes", f"About {hours(offer.get('hours'))} hours a week"),
    ]
    if offered.get("capacity_hours") is not None and offered.get("free_hours_if_accepted") is not None:
        rows.append(("Your room if you accept", f"{hours(offered['free_hours_if_accepted'])} of your "
                                                f"{hours(offered['capacity_hours'])} hours a week left"))
    return [(label, words) for label, words in rows if words]


UNCODED_DECLINE = "No reason chosen (declined with a note only)"


def declines_in_words(report: dict[str, Any]) -> dict[str, Any]:
    """Caseload's count of declines with each reason in the words the decline form offered it in; a decline sent
    with a note and no code (before the codes) is counted under its own words, not dropped."""
    by_reason = [(DECLINE_REASONS.get(row.get("reason_code"), UNCODED_DECLINE if row.get("reason_code") is None
                                      else str(row.get("reason_code"))), int(row.get("declined") or 0))
                 for row in report.get("by_reason") or []]
    return {"declined": int(report.get("declined") or 0), "expired": int(report.get("expired") or 0),
            "by_reason": by_reason, "by_worker": report.get("by_worker") or []}


def read_decline(values: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """What caseload is sent (the code it counts, and the note apart, as it keeps it sealed), or the problems
    with the form."""
    errors: dict[str, str] = {}
    code = str(values.get("reason_code") or "")
    if code not in DECLINE_REASONS:
        errors["reason_code"] = "Choose why you cannot take this offer"
    note = str(values.get("note") or "").strip()
    if code == "other" and len(note) < 3:
        errors["note"] = "Say why you cannot take it"
    elif len(note) > MAX_DECLINE_NOTE:
        errors["note"] = f"Say why in {MAX_DECLINE_NOTE} characters or fewer"
    if values.get("confirm") != "yes":
        errors["confirm"] = "Confirm that you are declining: the offer then goes to someone else"
    return ({"reason_code": code, "reason": note} if note else {"reason_code": code}), errors
