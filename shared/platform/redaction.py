"""Personal data out of the logs: a structlog processor, the second line of defence.

The first line is that log events name what happened and carry ids only. This one catches what slips
through, in our log lines and in libraries' (an exception quoting a row, a driver echoing a value):
a field named like personal data loses its value whatever it holds, and NHS numbers (with a valid check
digit), UK phone numbers, full postcodes and email addresses are masked wherever they appear in text.
A postcode district (E8) is not personal data on its own and stays, as it does in events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

# Field names whose values are personal data or secrets, whatever the value looks like.
PERSONAL_FIELDS = frozenset({
    "given_name", "family_name", "first_name", "last_name", "full_name", "name", "names", "preferred_name",
    "date_of_birth", "dob", "birth_date", "nhs_number", "phone", "phone_number", "mobile", "telephone",
    "email", "email_address", "address", "address_line_1", "address_line_2", "address_lines", "street",
    "postcode", "post_code", "person", "safe_contact", "safe_contact_instructions", "contact_instructions",
    "concerns", "reason_for_referral", "referral_reason", "free_text", "note", "notes", "comments",
    # The referrer's own name and contact details, and when the person may be called, as submitted.
    "person_name", "referrer_name", "referrer_phone", "referrer_email", "best_times",
    "password", "secret", "api_key", "token", "access_token", "authorization", "cookie",
})

_NHS_NUMBER = re.compile(r"(?<![\dA-Za-z])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\dA-Za-z])")
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|0)\d(?:[\s-]?\d){8,9}(?!\w)")
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _valid_nhs_number(digits: str) -> bool:
    """The NHS number's modulus 11 check digit: most ten-digit numbers that are not NHS numbers fail it."""
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def _mask_nhs(match: re.Match) -> str:
    return "[nhs-number]" if _valid_nhs_number("".join(match.groups())) else match.group(0)


def redact_text(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _NHS_NUMBER.sub(_mask_nhs, text)
    text = _PHONE.sub("[phone]", text)
    return _POSTCODE.sub("[postcode]", text)


def redact(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth > 8:  # a log line is not a place for deep structures; stop rather than recurse without end
        return REDACTED
    if isinstance(value, Mapping):
        return {k: REDACTED if str(k).lower() in PERSONAL_FIELDS and v not in (None, "")
                else redact(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact(v, depth + 1) for v in value]
    return value


def redact_personal_data(logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: run after exceptions are formatted, so their text is redacted too."""
    return redact(event_dict)
