"""The words the casework pages use for caseload's codes, and what a form must hold before it is sent."""

from __future__ import annotations

from typing import Any

from .languages import name_of
from .offers import DECLINE_REASONS

CONTACT_KINDS = {
    "phone": "Phone call", "text": "Text message", "email": "Email", "letter": "Letter", "video": "Video call",
    "face_to_face": "Face to face", "home_visit": "Home visit", "community": "Meeting in the community",
    "group": "Group session", "accompanied_journey": "Accompanied journey",
}
CLOSURE_REASONS = {
    "planned_end": "Support finished as planned", "service_user_choice": "The person chose to stop",
    "need_intensified": "Needs became greater than this service", "went_into_hospital": "Went into hospital",
    "died": "The person died", "lost_contact": "Lost contact", "contact_failed": "Could not make first contact",
    "other": "Other",
}
GOAL_PROGRESS = {"not_started": "Not started", "some_progress": "Some progress", "achieved": "Achieved",
                 "dropped": "Dropped"}
REVIEW_OUTCOMES = {"continue": "Continue as planned", "extend": "Extend the support", "close_soon": "Close soon"}
STATUSES = {"waiting": "Waiting", "offered": "Offered", "assigned": "Active", "on_hold": "On hold",
            "closed": "Closed"}
TIMELINE = {
    "case.opened": "Case opened", "case.waitlisted": "Put on the waiting list", "case.offered": "Offered to a worker",
    "case.offer_declined": "Offer declined", "case.offer_expired": "Offer lapsed", "case.assigned": "Assigned",
    "case.contact_recorded": "Contact recorded", "case.first_contact_made": "First contact made",
    "case.first_contact_deadline_missed": "First contact deadline missed", "case.goal_set": "Goal set",
    "case.goal_progressed": "Goal progress", "case.signposted": "Signposted",
    "case.signpost_take_up_recorded": "Signpost take-up recorded", "case.unmet_need_recorded": "Unmet need recorded",
    "case.measure_recorded": "Measure recorded", "case.reviewed": "Reviewed", "case.extended": "Extended",
    "case.put_on_hold": "Put on hold", "case.resumed": "Resumed", "case.transferred": "Transferred",
    "case.consent_changed": "Consent changed", "case.closed": "Closed", "case.follow_up_requested": "Follow-up due",
    "case.details_corrected": "Contact details corrected",
}
MAX_MINUTES = 24 * 60
MAX_TEXT = 500


MAX_CONTACT_NOTE = 2000  # caseload's own limit for a contact's note


def timeline_entry(event: dict[str, Any]) -> dict[str, Any]:
    """One line of a case's timeline: when, what, and the detail that says which (no personal data is held)."""
    data = event.get("data") or {}
    what = TIMELINE.get(str(event.get("event_type")), str(event.get("event_type", "")).removeprefix("case."))
    detail = ""
    if event.get("event_type") == "case.contact_recorded":
        reached = "reached" if data.get("successful", True) else "attempt, not reached"
        detail = f"{CONTACT_KINDS.get(data.get('kind'), data.get('kind'))}, {data.get('minutes')} minutes ({reached})"
        if data.get("note"):  # opened by caseload for this reader; gone once the person is erased
            detail += f". {data['note']}"
    elif event.get("event_type") == "case.measure_recorded":
        measure = data.get("measure") or {}
        detail = f"{str(measure.get('instrument', '')).upper()} {measure.get('timepoint', '')}"
    elif event.get("event_type") == "case.closed":
        detail = CLOSURE_REASONS.get(data.get("reason"), data.get("reason") or "")
    elif event.get("event_type") == "case.offer_declined":  # v3 carries the code; older ones a note only
        words = DECLINE_REASONS.get(data.get("reason_code"), "")
        note = data.get("reason") if isinstance(data.get("reason"), str) else ""  # opened for this reader
        detail = ". ".join(part for part in (words, note) if part)
    elif event.get("event_type") == "case.details_corrected":
        detail = "; ".join(_corrected(data, name) for name in data.get("changed") or ())
    elif event.get("event_type") in ("case.goal_set", "case.signposted", "case.unmet_need_recorded"):
        detail = str(data.get("description") or data.get("destination") or data.get("need") or "")
    return {"at": event.get("at") or data.get("at"), "what": what, "detail": detail}


def _corrected(data: dict[str, Any], name: str) -> str:
    """What a correction changed that the case is matched on, in words (the contact details are not here)."""
    if name == "language":
        return f"main language now {name_of(data.get('language'))}" if data.get("language") else "no main language"
    if name == "interpreter_needed":
        return "needs an interpreter" if data.get("interpreter_needed") else "no interpreter needed"
    return f"area now {data.get('postcode_district')}" if data.get("postcode_district") else "no postcode"


def whole_number(values: dict[str, Any], name: str, low: int, high: int, errors: dict[str, str], words: str,
           required: bool = True) -> int:
    raw = str(values.get(name) or "").strip()
    if not raw and not required:
        return 0
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = f"Enter {words} as a whole number from {low} to {high}"
        return 0
    return int(raw)


def read_contact(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    kind = str(values.get("kind") or "")
    if kind not in CONTACT_KINDS:
        errors["kind"] = "Choose how you made contact"
    reached = str(values.get("reached") or "")
    if reached not in ("yes", "no"):
        errors["reached"] = "Say whether you reached the person"
    minutes = whole_number(values, "minutes", 0, MAX_MINUTES, errors, "the minutes spent")
    travel = whole_number(values, "travel_minutes", 0, MAX_MINUTES, errors, "the travel minutes", required=False)
    body = {"kind": kind, "minutes": minutes, "travel_minutes": travel, "successful": reached == "yes",
            "initiated_by": "person" if values.get("initiated_by") == "person" else "worker"}
    note = str(values.get("note") or "").strip()
    if len(note) > MAX_CONTACT_NOTE:
        errors["note"] = f"The note must be {MAX_CONTACT_NOTE} characters or fewer"
    elif note:
        body["note"] = note
    return body, errors


def read_text(values: dict[str, Any], name: str, words: str, low: int = 2, high: int = MAX_TEXT) -> tuple[str, dict[str, str]]:
    text = str(values.get(name) or "").strip()
    if len(text) < low:
        return text, {name: f"Enter {words}"}
    if len(text) > high:
        return text, {name: f"Enter {words} in {high} characters or fewer"}
    return text, {}


def read_choice(values: dict[str, Any], name: str, choices: dict[str, str], words: str) -> tuple[str, dict[str, str]]:
    chosen = str(values.get(name) or "")
    return chosen, ({} if chosen in choices else {name: f"Choose {words}"})


CONSENT_REPORTERS = {"person": "The person", "representative": "Someone acting for them", "referrer": "The referrer",
                     "staff": "A member of staff"}
CONSENT_ANSWERS = {"unchanged": "No change", "yes": "Yes", "no": "No"}
# How the person prefers to be contacted is one of their wishes (caseload's consent), not a contact detail.
PREFERRED_CONTACT = {"unchanged": "No change", "phone": "Phone call", "text": "Text message", "email": "Email",
                     "post": "Letter", "home_visit": "Home visit", "none": "No preference any more"}
# The ways of contact a person can decline, as intake and caseload record them.
CONTACT_METHODS = {m: words for m, words in PREFERRED_CONTACT.items() if m not in ("unchanged", "none")}


def read_consent(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A change to the person's wishes: only what changed is sent; who said so is required."""
    errors: dict[str, str] = {}
    reported_by = str(values.get("reported_by") or "")
    if reported_by not in CONSENT_REPORTERS:
        errors["reported_by"] = "Say who told you"
    body: dict[str, Any] = {"reported_by": reported_by}
    for name, words in (("to_contact", "contact"), ("to_data_sharing", "data sharing")):
        answer = str(values.get(name) or "unchanged")
        if answer not in CONSENT_ANSWERS:
            errors[name] = f"Choose whether they consent to {words}"
        elif answer != "unchanged":
            body[name] = answer == "yes"
    preferred = str(values.get("preferred_contact") or "unchanged")
    if preferred not in PREFERRED_CONTACT:
        errors["preferred_contact"] = "Choose how they prefer to be contacted"
    elif preferred == "none":
        body["clear_preferred_contact"] = True
    elif preferred != "unchanged":
        body["preferred_contact"] = preferred
    declined, was = ticked(values.get("do_not_contact_by")), ticked(values.get("do_not_contact_was"))
    if declined is None:
        errors["do_not_contact_by"] = "Choose only the ways of contact listed"
    elif set(declined) != set(was or ()):  # the form opened with what caseload held: only a change is sent
        body["do_not_contact_by"] = declined
    if declined and body.get("preferred_contact") in declined:
        errors["preferred_contact"] = "They cannot prefer a way of contact they do not want"
    if not errors and set(body) == {"reported_by"}:
        errors["to_contact"] = "Say what changed"
    return body, errors


def ticked(raw: Any) -> list[str] | None:
    """Ways of contact ticked (a list, one value, or the form's comma-joined copy), in the form's order;
    None when one is not a way of contact."""
    items = raw if isinstance(raw, list) else [i for i in str(raw or "").split(",") if i]
    if any(i not in CONTACT_METHODS for i in items):
        return None
    return [m for m in CONTACT_METHODS if m in items]
