"""What the self-referral form says when an answer is missing or wrong.

GOV.UK / NHS.UK style: plain, specific, in the person's terms, and in the second person
('your') or the third ('their') depending on who is filling in the form.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.entrypoints.self_referral.fields import FILLED_BY_FAMILY, FILLED_BY_STAFF, MAX_LENGTHS


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
