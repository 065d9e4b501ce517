"""The referral form a referrer (a partner's member of staff) fills in: what it asks, and the canonical
referral it makes (services/intake/domain/submission.py), with each problem in words for the error summary."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

MAX_NAME = 100
MAX_TEXT = 4000
# A UK postcode's shape; intake normalises it and the scheme's rules read its district.
POSTCODE = re.compile(r"^[A-Za-z]{1,2}[0-9][0-9A-Za-z]?\s*[0-9][A-Za-z]{2}$")
PHONE = re.compile(r"^[0-9 +()-]{7,32}$")


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name, "")
    return str(value[0] if isinstance(value, list) else value).strip()


def _date_of_birth(values: dict[str, Any], today: date) -> tuple[date | None, str | None]:
    parts = [_text(values, f"dob[{part}]") for part in ("day", "month", "year")]
    if not any(parts):
        return None, "Enter their date of birth"
    if not all(p.isdigit() for p in parts):
        return None, "Date of birth must be a real date, like 2 3 1941"
    try:
        born = date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None, "Date of birth must be a real date, like 2 3 1941"
    if born > today or born.year < today.year - 120:
        return None, "Date of birth must be in the past, and within the last 120 years"
    return born, None


def read_referral(values: dict[str, Any], programmes: tuple[str, ...], today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """The canonical referral the form's answers make, and the problems (field -> words), in the form's order.

    `programmes` are those the referrer may refer to: with one, the referral goes there unasked; with more,
    the form asks which (intake still refuses a programme the partner may not refer to)."""
    errors: dict[str, str] = {}
    if len(programmes) > 1:
        programme_id = _text(values, "programme_id")
        if programme_id not in programmes:
            errors["programme_id"] = "Choose the programme to refer them to"
    else:
        programme_id = programmes[0] if programmes else "demo"
    given, family = _text(values, "given_name"), _text(values, "family_name")
    if not given:
        errors["given_name"] = "Enter their first name"
    elif len(given) > MAX_NAME:
        errors["given_name"] = f"First name must be {MAX_NAME} characters or fewer"
    if not family:
        errors["family_name"] = "Enter their last name"
    elif len(family) > MAX_NAME:
        errors["family_name"] = f"Last name must be {MAX_NAME} characters or fewer"
    born, problem = _date_of_birth(values, today)
    if problem:
        errors["dob-day"] = problem
    postcode, phone = _text(values, "postcode"), _text(values, "phone")
    if postcode and not POSTCODE.match(postcode):
        errors["postcode"] = "Enter a real postcode, like E8 1AA"
    if phone and not PHONE.match(phone):
        errors["phone"] = "Enter a phone number, like 0116 496 0123"
    reason = _text(values, "reason")
    if not reason:
        errors["reason"] = "Say why you are referring them"
    elif len(reason) > MAX_TEXT:
        errors["reason"] = f"The reason must be {MAX_TEXT} characters or fewer"
    reference = _text(values, "partner_referral_id")
    if len(reference) > 128:
        errors["partner_referral_id"] = "Your reference must be 128 characters or fewer"
    if _text(values, "consent") != "yes":
        errors["consent"] = "Confirm the person agreed to be referred: a person is only referred with their consent"
    person: dict[str, Any] = {"given_name": given, "family_name": family}
    if born:
        person["date_of_birth"] = born.isoformat()
    if postcode:
        person["postcode"] = postcode
    if phone:
        person["phone"] = phone
    body: dict[str, Any] = {"programme_id": programme_id, "person": person, "reason": reason,
                            "consent": {"to_referral": True}}
    if reference:
        body["partner_referral_id"] = reference
    return body, errors
