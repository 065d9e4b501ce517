"""The posted self-referral form -> a dict for ``ReferralSubmission.model_validate``, or messages.

Pure functions, no I/O and no web framework. ``form_to_submission`` takes the posted fields
(strings, or lists for checkboxes, as a framework gives them) and never raises.

What the form checks itself is only what the canonical model cannot see: answers that are
missing or not of the form's shape (a radio value that is not an option, a date typed in
three parts, a required-when rule). Everything the model knows — postcodes, phone numbers,
emails, dates of birth in the future or before 1900, ages over 120 — is left to
``ReferralSubmission`` (``services.intake.domain``), and its errors are translated back to
the form's fields and messages by ``validation_errors_to_form`` (in messages.py, re-exported
here).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import phonenumbers
from pydantic import ValidationError

from services.intake.domain import normalise
from services.intake.domain.submission import ReferralSubmission
from services.intake.entrypoints.self_referral.fields import (
    FIELDS_BY_NAME,
    FILLED_BY_FAMILY,
    GENERAL_ERROR_KEY,
    MAX_LENGTHS,
    REFERRER_SOURCES,
    TICKED,
    YES,
    option_values,
)
from services.intake.entrypoints.self_referral.messages import (
    GENERAL_MESSAGE,
    Voice,
    messages,
    validation_errors_to_form,
)

# ---------------------------------------------------------------------------------------
# Reading what was posted
# ---------------------------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str) -> str:
    """Drop control characters and lone surrogates (never valid in a form or a page)."""
    return _CONTROL_CHARS.sub("", text)


def _raw(form: Any, name: str) -> Any:
    try:
        if not isinstance(form, Mapping):
            return None
        return form.get(name)
    except Exception:  # a mapping that misbehaves is just an empty form
        return None


def one(form: Any, name: str) -> str:
    """A single-valued field: the first string given, stripped; '' when absent."""
    value = _raw(form, name)
    if isinstance(value, (list, tuple)):
        value = next((item for item in value if isinstance(item, str)), "")
    if not isinstance(value, str):
        return ""
    return clean(value).strip()


def many(form: Any, name: str) -> list[str]:
    """A multi-valued field (checkboxes): the non-blank strings given, in order, once each."""
    value = None
    getlist = getattr(form, "getlist", None)
    if callable(getlist):
        try:
            value = list(getlist(name))
        except Exception:
            value = None
    if value is None:
        value = _raw(form, name)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        return []
    items = [clean(item).strip() for item in value if isinstance(item, str)]
    return list(dict.fromkeys(item for item in items if item))


def ticked(form: Any, name: str) -> bool:
    return any(item.lower() in TICKED for item in many(form, name))


# ---------------------------------------------------------------------------------------
# Answers the form reads itself
# ---------------------------------------------------------------------------------------

_MONTHS = {
    **{name.lower(): i for i, name in enumerate(calendar.month_name) if name},
    **{name.lower(): i for i, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}

_LANGUAGES = {
    "english": "en", "welsh": "cy", "cymraeg": "cy", "scottish gaelic": "gd", "gaelic": "gd",
    "irish": "ga", "polish": "pl", "romanian": "ro", "punjabi": "pa", "urdu": "ur",
    "bengali": "bn", "bangla": "bn", "sylheti": "syl", "gujarati": "gu", "hindi": "hi",
    "tamil": "ta", "arabic": "ar", "somali": "so", "portuguese": "pt", "spanish": "es",
    "french": "fr", "italian": "it", "lithuanian": "lt", "turkish": "tr", "kurdish": "ku",
    "persian": "fa", "farsi": "fa", "pashto": "ps", "chinese": "zh", "cantonese": "yue",
    "mandarin": "cmn", "greek": "el", "russian": "ru", "ukrainian": "uk", "tigrinya": "ti",
    "british sign language": "bfi", "bsl": "bfi",
}


def _language_code(text: str) -> str:
    """Common language names to a short code ('Polish' -> 'pl'); anything else as typed."""
    key = " ".join(text.split()).lower()
    return _LANGUAGES.get(key, " ".join(text.split()))


def _is_int(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _month_number(text: str) -> int | None:
    return int(text) if _is_int(text) else _MONTHS.get(text.lower().rstrip("."))


def date_part_ok(part_name: str, text: str) -> bool:
    """Whether one typed part of a date is a number (or, for the month, a month's name)."""
    text = text.strip()
    return _is_int(text) or (part_name.endswith("month") and text.lower().rstrip(".") in _MONTHS)


def _typed_date(day: str, month: str, year: str, messages_: dict[str, str]) -> tuple[date | None, str | None]:
    """Three typed parts -> a date, or the GOV.UK-style message for what is wrong with the typing.

    Whether the date is a possible date of birth (not in the future, not before 1900) is
    the canonical model's rule (``Person.date_of_birth``), not checked here.
    """
    parts = {"day": day, "month": month, "year": year}
    missing = [label for label, text in parts.items() if not text]
    if missing:
        return None, f"Date of birth must include a {' and '.join(missing)}"
    month_number = _month_number(month)
    if not _is_int(day) or month_number is None or not _is_int(year) or len(day) > 2 or len(month) > 9:
        return None, messages_["invalid"]
    if len(year) != 4:
        return None, messages_["year"]
    try:
        return date(int(year), month_number, int(day)), None
    except (ValueError, OverflowError):
        return None, messages_["invalid"]


def _is_landline(e164: str) -> bool:
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    except Exception:
        return False
    return kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.UNKNOWN,
    )


class _Answers:
    """The posted form being read, with the problems found so far, keyed by form field."""

    def __init__(self, form: Any, voice: Voice) -> None:
        self.form = form
        self.voice = voice
        self.messages = messages(voice)
        self.errors: dict[str, str] = {}

    def fail(self, name: str, kind: str) -> None:
        self.errors.setdefault(name, self.messages[name][kind])

    def one(self, name: str) -> str:
        return one(self.form, name)

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.one(name)
        if not value:
            if required:
                self.fail(name, "missing")
            return None
        if name in MAX_LENGTHS and len(value) > MAX_LENGTHS[name]:
            self.fail(name, "too_long")
            return None
        return value

    def choice(self, name: str, *, required: bool = False) -> str | None:
        value = self.one(name)
        if not value:
            if required:
                self.fail(name, "missing")
            return None
        if value not in option_values(name):
            self.fail(name, "invalid")
            return None
        return value

    def phone(self, name: str) -> str | None:
        value = self.one(name)
        if not value:
            return None
        try:
            return normalise.phone(value)
        except Exception:
            self.fail(name, "invalid")
            return None


# ---------------------------------------------------------------------------------------
# Form -> submission, a part at a time
# ---------------------------------------------------------------------------------------


def _referrer(a: _Answers) -> dict[str, Any]:
    """Who is filling in the form, as the referrer's source (and a family member's details)."""
    filled_by = a.choice("filled_by", required=True)
    if filled_by is None:
        return {}
    category, subcategory = REFERRER_SOURCES[filled_by]
    referrer: dict[str, Any] = {"source_category": category, "source_subcategory": subcategory}
    if filled_by == FILLED_BY_FAMILY:
        name = a.text("referrer_name", required=True)
        phone = a.phone("referrer_phone")
        if name:
            referrer["person_name"] = name
        if phone:
            referrer["phone"] = phone
    return referrer


def _names(a: _Answers, person: dict[str, Any]) -> None:
    for name in ("given_name", "family_name"):
        value = a.text(name, required=True)
        if value:
            person[name] = value


def _date_of_birth_or_age(a: _Answers, person: dict[str, Any]) -> None:
    day, month, year = (a.one(p.name) for p in FIELDS_BY_NAME["date_of_birth"].parts)
    age = a.one("age")
    if day or month or year:
        born, problem = _typed_date(day, month, year, a.messages["date_of_birth"])
        if problem:
            a.errors.setdefault("date_of_birth", problem)
        else:
            person["date_of_birth"] = born.isoformat()  # type: ignore[union-attr]
    elif age:
        if _is_int(age):
            person["age_years"] = int(age)  # the model says whether it is a possible age
        else:
            a.fail("age", "invalid")
    else:
        a.fail("date_of_birth", "missing")


def _language(a: _Answers, person: dict[str, Any]) -> None:
    language = a.text("language")
    if language:
        person["language"] = _language_code(language)
    interpreter = a.choice("interpreter_needed")
    if interpreter is not None:
        person["interpreter_needed"] = interpreter == YES


def _address(a: _Answers, person: dict[str, Any], preferred: str | None, living_situation: str | None) -> None:
    address: dict[str, str] = {}
    for name, key in (("address_line1", "line1"), ("address_line2", "line2"), ("town", "town")):
        value = a.text(name)
        if value:
            address[key] = value
    if preferred == "post" and "line1" not in address and "address_line1" not in a.errors:
        a.fail("address_line1", "missing")

    postcode = a.one("postcode")
    if postcode:
        try:
            person["postcode"] = normalise.postcode(postcode)
        except Exception:
            a.fail("postcode", "invalid")
    elif living_situation != "no_fixed_abode":
        a.fail("postcode", "missing")
    if address:
        if "postcode" in person:
            address["postcode"] = person["postcode"]
        person["address"] = address


def _phone(a: _Answers, person: dict[str, Any], preferred: str | None) -> None:
    phone = a.phone("phone")
    if phone:
        person["phone"] = phone
        if preferred == "text" and _is_landline(phone):
            a.fail("phone", "not_mobile")
    elif preferred in ("phone", "text") and "phone" not in a.errors:
        a.fail("phone", "missing")


def _email(a: _Answers, person: dict[str, Any], preferred: str | None) -> None:
    email = a.text("email")
    if email:
        person["email"] = email  # the model checks it is an email address (Person.email)
    elif preferred == "email" and "email" not in a.errors:
        a.fail("email", "missing")


def _contact_preferences(a: _Answers, preferred: str | None) -> dict[str, Any]:
    contact: dict[str, Any] = {}
    if preferred:
        contact["preferred"] = preferred
    avoid = many(a.form, "do_not_contact_by")
    if any(item not in option_values("do_not_contact_by") for item in avoid):
        a.fail("do_not_contact_by", "invalid")
    elif preferred and preferred in avoid:
        a.fail("do_not_contact_by", "conflict")
    elif avoid:
        contact["do_not_contact_by"] = avoid
    instructions = a.text("safe_contact_instructions")
    if instructions:
        contact["safe_contact_instructions"] = instructions
    return contact


def _situation(a: _Answers, data: dict[str, Any], living_situation: str | None) -> None:
    if living_situation:
        data["living_situation"] = living_situation
    mobility = a.choice("mobility")
    if mobility:
        data["mobility"] = mobility
    concerns = a.text("concerns")
    if concerns:
        data["concerns"] = concerns


def _consent(a: _Answers) -> dict[str, bool]:
    to_referral = ticked(a.form, "consent_to_referral")
    if not to_referral:
        a.fail("consent_to_referral", "missing")
    return {"to_referral": to_referral, "to_data_sharing": ticked(a.form, "consent_to_data_sharing")}


def _checked_by_the_model(a: _Answers, data: dict[str, Any]) -> None:
    """The canonical model has the last word; translate anything it finds back to the form."""
    try:
        ReferralSubmission.model_validate(data)
    except ValidationError as exc:
        for key, message in validation_errors_to_form(exc, for_someone_else=a.voice.you == "they").items():
            a.errors.setdefault(key, message)


def form_to_submission(
    form: dict[str, str | list[str]], *, programme_id: str
) -> tuple[dict | None, dict[str, str]]:
    """The posted form as a dict for ``ReferralSubmission.model_validate``, or field errors.

    Returns ``(data, {})`` when the form is complete and valid (``data`` passes
    ``ReferralSubmission.model_validate``), else ``(None, errors)`` with errors keyed by
    form field name (see ``FORM_FIELDS``; ``'_form'`` for anything not about one field).
    Never raises.
    """
    try:
        return _form_to_submission(form, programme_id=programme_id)
    except Exception:  # never let a form crash the page: ask the person to check and resend
        return None, {GENERAL_ERROR_KEY: GENERAL_MESSAGE}


def _form_to_submission(form: Any, *, programme_id: str) -> tuple[dict | None, dict[str, str]]:
    a = _Answers(form, Voice.for_filler(one(form, "filled_by")))
    referrer = _referrer(a)

    person: dict[str, Any] = {}
    _names(a, person)
    _date_of_birth_or_age(a, person)
    _language(a, person)

    living_situation = a.choice("living_situation")
    preferred = a.choice("contact_preferred", required=True)
    _address(a, person, preferred, living_situation)
    _phone(a, person, preferred)
    _email(a, person, preferred)

    data: dict[str, Any] = {"programme_id": programme_id, "person": person}
    contact = _contact_preferences(a, preferred)
    if contact:
        data["contact_preferences"] = contact
    _situation(a, data, living_situation)
    data["consent"] = _consent(a)
    if referrer:
        data["referrer"] = referrer

    _checked_by_the_model(a, data)
    if a.errors:
        return None, a.errors
    return data, {}


__all__ = ["form_to_submission", "validation_errors_to_form"]
