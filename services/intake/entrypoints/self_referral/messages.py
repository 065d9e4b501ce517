"""What the self-referral form says when an answer is missing or wrong.

GOV.UK / NHS.UK style: plain, specific, in the person's terms, and in the second person
('your') or the third ('their') depending on who is filling in the form. The canonical model's own errors
(``ReferralSubmission``) are said in the same words, on the form field they are about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from services.intake.entrypoints.self_referral.fields import (
    FILLED_BY_FAMILY,
    FILLED_BY_SELF,
    FILLED_BY_STAFF,
    GENERAL_ERROR_KEY,
    MAX_LENGTHS,
)


@dataclass(frozen=True)
class Voice:
    """'your'/'you' when people fill the form in for themselves, 'their'/'they' otherwise."""

    your: str
    you: str
    obj: str

    @classmethod
    def for_filler(cls, filled_by: str | None) -> Voice:
        if filled_by in (FILLED_BY_FAMILY, FILLED_BY_STAFF):
            return cls("their", "they", "them")
        return cls("your", "you", "you")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_PHONE_EXAMPLE = "like 01632 960 001 or 07700 900 982"
GENERAL_MESSAGE = "There is a problem with the information given. Check the answers and try again."

# What each field is called in "X must be N characters or fewer".
_NAMED = {
    "given_name": "First name",
    "family_name": "Last name",
    "language": "Language",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "town": "Town or city",
    "email": "Email address",
    "safe_contact_instructions": "What we should know before we contact you",
    "concerns": "What would help",
    "referrer_name": "Your name",
}


def _too_long(name: str) -> str:
    return f"{_NAMED[name]} must be {MAX_LENGTHS[name]:,} characters or fewer"


def messages(v: Voice) -> dict[str, dict[str, str]]:
    """Per form field: 'missing' and 'invalid' messages (plus 'too_long' where it applies)."""
    m: dict[str, dict[str, str]] = {
        "filled_by": {
            "missing": "Select who is filling in this form",
            "invalid": "Select who is filling in this form",
        },
        "referrer_name": {"missing": "Enter your name", "invalid": "Enter your name"},
        "referrer_phone": {"missing": "Enter your phone number", "invalid": f"Enter a phone number, {_PHONE_EXAMPLE}"},
        "given_name": {"missing": f"Enter {v.your} first name", "invalid": f"Enter {v.your} first name"},
        "family_name": {"missing": f"Enter {v.your} last name", "invalid": f"Enter {v.your} last name"},
        "date_of_birth": {
            "missing": f"Enter {v.your} date of birth or {v.your} age",
            "invalid": "Date of birth must be a real date",
            "future": "Date of birth must be in the past",
            "too_early": "Date of birth must be the same as or after 1 January 1900",
            "year": "Year must include 4 numbers",
        },
        "age": {
            "missing": f"Enter {v.your} date of birth or {v.your} age",
            "invalid": "Age must be a whole number, like 72",
            "too_big": "Age must be 120 or less",
        },
        "language": {"missing": "Enter a language", "invalid": "Enter a language, like English or Polish"},
        "interpreter_needed": {
            "missing": f"Select yes if {v.you} would like an interpreter",
            "invalid": f"Select yes if {v.you} would like an interpreter",
        },
        "address_line1": {
            "missing": f"Enter the first line of {v.your} address, or choose another way to contact {v.obj}",
            "invalid": f"Enter the first line of {v.your} address",
        },
        "address_line2": {"missing": "Enter address line 2", "invalid": "Enter address line 2"},
        "town": {"missing": "Enter a town or city", "invalid": "Enter a town or city"},
        "postcode": {
            "missing": f"Enter {v.your} postcode",
            "invalid": "Enter a real postcode, like E8 1DY",
        },
        "phone": {
            "missing": f"Enter {v.your} phone number, or choose another way to contact {v.obj}",
            "invalid": f"Enter a phone number, {_PHONE_EXAMPLE}",
            "not_mobile": "Enter a mobile phone number to get text messages, like 07700 900 982",
        },
        "email": {
            "missing": f"Enter {v.your} email address, or choose another way to contact {v.obj}",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        "contact_preferred": {
            "missing": f"Select how {v.you} would like us to contact {v.obj}",
            "invalid": f"Select how {v.you} would like us to contact {v.obj}",
        },
        "do_not_contact_by": {
            "missing": f"Select the ways we should not contact {v.obj}",
            "invalid": f"Select the ways we should not contact {v.obj}",
            "conflict": f"The way {v.you} would like us to contact {v.obj} cannot also be a way not to contact {v.obj}",
        },
        "safe_contact_instructions": {
            "missing": "Enter what we should know before we contact you",
            "invalid": "Enter what we should know before we contact you",
        },
        "living_situation": {
            "missing": f"Select who {v.you} live with",
            "invalid": f"Select who {v.you} live with",
        },
        "mobility": {
            "missing": f"Select how easy it is for {v.obj} to get out and about",
            "invalid": f"Select how easy it is for {v.obj} to get out and about",
        },
        "concerns": {"missing": "Enter what would help", "invalid": "Enter what would help"},
        "consent_to_referral": {
            "missing": f"{_cap(v.you)} must agree to be referred",
            "invalid": f"{_cap(v.you)} must agree to be referred",
        },
        "consent_to_data_sharing": {
            "missing": "Select whether we can share the details with other services",
            "invalid": "Select whether we can share the details with other services",
        },
    }
    for name in MAX_LENGTHS:
        m[name]["too_long"] = _too_long(name)
    return m


# ---------------------------------------------------------------------------------------
# The canonical model's errors -> the form's fields and messages
# ---------------------------------------------------------------------------------------

# pydantic error locations (model field paths) -> form field names; the longest prefix wins.
_LOCATIONS: dict[tuple[str, ...], str] = {
    ("programme_id",): GENERAL_ERROR_KEY,
    ("partner_referral_id",): GENERAL_ERROR_KEY,
    ("person",): GENERAL_ERROR_KEY,
    ("person", "given_name"): "given_name",
    ("person", "preferred_name"): "given_name",
    ("person", "family_name"): "family_name",
    ("person", "date_of_birth"): "date_of_birth",
    ("person", "age_years"): "age",
    ("person", "language"): "language",
    ("person", "interpreter_needed"): "interpreter_needed",
    ("person", "address"): "address_line1",
    ("person", "address", "line1"): "address_line1",
    ("person", "address", "line2"): "address_line2",
    ("person", "address", "town"): "town",
    ("person", "address", "postcode"): "postcode",
    ("person", "postcode"): "postcode",
    ("person", "phone"): "phone",
    ("person", "email"): "email",
    ("contact_preferences",): "do_not_contact_by",
    ("contact_preferences", "preferred"): "contact_preferred",
    ("contact_preferences", "do_not_contact_by"): "do_not_contact_by",
    ("contact_preferences", "safe_contact_instructions"): "safe_contact_instructions",
    ("contact_preferences", "best_times"): "safe_contact_instructions",
    ("living_situation",): "living_situation",
    ("mobility",): "mobility",
    ("concerns",): "concerns",
    ("reason",): "concerns",
    ("needs",): "concerns",
    ("consent",): "consent_to_referral",
    ("consent", "to_referral"): "consent_to_referral",
    ("consent", "to_data_sharing"): "consent_to_data_sharing",
    ("referrer",): "filled_by",
    ("referrer", "source_category"): "filled_by",
    ("referrer", "source_subcategory"): "filled_by",
    ("referrer", "person_name"): "referrer_name",
    ("referrer", "phone"): "referrer_phone",
}


def _form_field_for(loc: tuple[Any, ...], message: str) -> str:
    path = tuple(part for part in loc if isinstance(part, str))
    if not path:
        # A whole-submission rule: the only one is about consent.
        return "consent_to_referral" if "consent" in message else GENERAL_ERROR_KEY
    for length in range(len(path), 0, -1):
        field = _LOCATIONS.get(path[:length])
        if field is not None:
            return field
    return GENERAL_ERROR_KEY


def _message_for(field: str, error: Mapping[str, Any], messages_: dict[str, dict[str, str]]) -> str:
    if field == GENERAL_ERROR_KEY or field not in messages_:
        return GENERAL_MESSAGE
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    options = messages_[field]
    if kind == "missing" or kind == "string_too_short":
        return options["missing"]
    if kind == "string_too_long" and "too_long" in options:
        return options["too_long"]
    if field == "do_not_contact_by" and "do_not_contact_by" not in loc and "conflict" in options:
        return options["conflict"]  # the contact_preferences rule: preferred is also avoided
    if field == "date_of_birth":
        text = str(error.get("msg", ""))
        if "future" in text:
            return options["future"]
        if "1900" in text:
            return options["too_early"]
    if field == "age" and kind == "less_than_equal":
        return options["too_big"]
    return options["invalid"]


def validation_errors_to_form(exc: Any, *, for_someone_else: bool = False) -> dict[str, str]:
    """A pydantic ``ValidationError`` from ``ReferralSubmission`` -> messages keyed by form field.

    Every error lands somewhere: a location with no form field maps to ``'_form'``.
    Anything that is not a ``ValidationError`` becomes a single ``'_form'`` error.
    """
    messages_ = messages(Voice.for_filler(FILLED_BY_FAMILY if for_someone_else else FILLED_BY_SELF))
    try:
        details = exc.errors() if isinstance(exc, ValidationError) else None
    except Exception:
        details = None
    if not details:
        return {GENERAL_ERROR_KEY: GENERAL_MESSAGE}
    result: dict[str, str] = {}
    for error in details:
        try:
            loc = tuple(error.get("loc", ()))
            field = _form_field_for(loc, str(error.get("msg", "")))
            result.setdefault(field, _message_for(field, error, messages_))
        except Exception:
            result.setdefault(GENERAL_ERROR_KEY, GENERAL_MESSAGE)
    return result
