"""The referral search form: what a coordinator may search by, checked before intake is asked, and each
problem in words for the error summary. Intake checks again (an NHS number's check digit, a postcode's
shape) and its problems land on the same fields."""

from __future__ import annotations

from collections.abc import Mapping

# (field, label, hint, most characters): the order the form asks them in.
TEXT_FIELDS = (
    ("reference", "Referral reference", "The partner's reference, a self-referral reference or the referral id", 100),
    ("name", "Name", "Given, family or full name, in whole words: names that sound like it are found too", 200),
    ("nhs_number", "NHS number", "10 digits, for example 485 777 3456", 20),
    ("postcode", "Postcode", "The whole postcode, for example LS6 2QB", 12),
    ("partner_id", "Referring partner", "The partner's id, for example riverside-surgery", 100),
)
FIELDS = (*(f[0] for f in TEXT_FIELDS), "status")
STATUSES = (
    ("", "Any status"), ("received", "Received"), ("in_review", "Being reviewed"), ("accepted", "Accepted"),
    ("waiting", "Waiting list"), ("assigned", "Assigned"), ("first_contact", "Being supported"),
    ("closed", "Closed"), ("declined", "Declined"), ("redirected", "Redirected"), ("duplicate", "Joined to another"),
)
OFFSET_MAX = 1000


def asked(query: Mapping[str, str]) -> bool:
    """Whether the form was sent (any of its fields in the address), not merely opened."""
    return any(name in query for name in FIELDS)


def read_search(query: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The terms as typed (trimmed) and the problems with them, by field ("" never: the form's own is `name`)."""
    terms = {name: " ".join(str(query.get(name, "")).split()) for name in FIELDS}
    errors: dict[str, str] = {}
    for name, label, _, most in TEXT_FIELDS:
        if len(terms[name]) > most:
            errors[name] = f"{label} must be {most} characters or fewer"
    if terms["status"] and terms["status"] not in {value for value, _ in STATUSES}:
        errors["status"] = "Choose a status from the list"
    if not errors and not any(terms.values()):
        errors["reference"] = "Enter at least one thing to search by, such as a name or a referral reference"
    return terms, errors


def offset_of(query: Mapping[str, str]) -> int:
    """Which page: the offset in the address, kept within what intake answers."""
    try:
        return min(max(int(query.get("offset", "0")), 0), OFFSET_MAX)
    except ValueError:
        return 0
