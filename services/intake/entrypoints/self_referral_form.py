"""The public self-referral form: field definitions, server-rendered HTML, and form -> submission.

Pure functions, no I/O and no web framework. The page works with no JavaScript at all
(a plain HTML form POST) and follows GOV.UK Design System / WCAG 2.2 AA conventions:
a label for every control, hints and errors tied to their controls with
aria-describedby, an error summary at the top that links to each field, radios and
checkboxes grouped in fieldsets with legends, and no HTML5 validation (``novalidate``:
browser messages are not accessible; the server checks everything).

Staff taking a referral by phone use the same fields ("a member of staff, with the
person on the phone").

``form_to_submission`` turns the posted fields (strings, or lists for checkboxes, as a
framework gives them) into a dict for ``ReferralSubmission.model_validate``, or returns
plain-English errors keyed by form field name. It never raises.
"""

from __future__ import annotations

import calendar
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import phonenumbers
from pydantic import ValidationError

from services.intake.domain import normalise
from services.intake.domain.submission import ReferralSubmission

# ---------------------------------------------------------------------------------------
# Field definitions
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class DatePart:
    name: str
    label: str
    autocomplete: str
    width: int  # characters


@dataclass(frozen=True)
class FormField:
    """One question on the form.

    ``input_type`` is one of: text, tel, email, numeric (text with a numeric keypad),
    textarea, date (three inputs, see ``parts``), radios, checkboxes, checkbox (a single
    checkbox, e.g. a consent; ``legend`` names its fieldset).

    ``required`` means always required; ``required_when`` describes a condition under
    which the field is required (only fields with neither are marked "(optional)").
    ``section`` starts a new <h2> when it changes; ``group`` wraps consecutive fields in
    a <fieldset> with that legend (e.g. the parts of an address).
    """

    name: str
    label: str
    input_type: str
    hint: str | None = None
    required: bool = False
    required_when: str | None = None
    options: tuple[Option, ...] = ()
    parts: tuple[DatePart, ...] = ()
    autocomplete: str | None = None
    width: int | None = None
    spellcheck: bool | None = None
    legend: str | None = None
    section: str | None = None
    group: str | None = None
    group_hint: str | None = None

    @property
    def optional(self) -> bool:
        return not self.required and self.required_when is None

    def input_names(self) -> tuple[str, ...]:
        """The names of the inputs this field posts."""
        return tuple(p.name for p in self.parts) if self.parts else (self.name,)


FILLED_BY_SELF = "myself"
FILLED_BY_FAMILY = "family_friend"
FILLED_BY_STAFF = "staff_phone"

#: Who filled in the form -> the referrer's source (category, subcategory).
REFERRER_SOURCES: dict[str, tuple[str, str]] = {
    FILLED_BY_SELF: ("self", "self_referral"),
    FILLED_BY_FAMILY: ("family_friends", "family"),
    FILLED_BY_STAFF: ("self", "phone"),
}

_YES = "yes"
_NO = "no"
_TICKED = frozenset({"yes", "on", "true"})

S_WHO = "Who is filling in this form"
S_ABOUT = "About you"
S_CONTACT = "How to contact you"
S_SITUATION = "Your situation"
S_AGREE = "Agreeing to the referral"

_ADDRESS_GROUP = "Your address"

FORM_FIELDS: tuple[FormField, ...] = (
    FormField(
        name="filled_by",
        label="Who is filling in this form?",
        input_type="radios",
        hint=(
            "If you are filling this in for someone else, answer the rest of the questions "
            "about them. They must know about the referral and agree to it."
        ),
        required=True,
        options=(
            Option(FILLED_BY_SELF, "I am filling it in for myself"),
            Option(FILLED_BY_FAMILY, "A family member or friend, for someone else"),
            Option(FILLED_BY_STAFF, "A member of staff, with the person on the phone"),
        ),
        section=S_WHO,
    ),
    FormField(
        name="referrer_name",
        label="Your name",
        input_type="text",
        hint="Only if you are a family member or friend filling this in for someone else.",
        required_when="a family member or friend is filling in the form",
        autocomplete="name",
        spellcheck=False,
        section=S_WHO,
    ),
    FormField(
        name="referrer_phone",
        label="Your phone number (optional)",
        input_type="tel",
        hint="Only if you are a family member or friend. So the connector can call you if they need to.",
        required_when=None,
        autocomplete="tel",
        width=20,
        section=S_WHO,
    ),
    FormField(
        name="given_name",
        label="First name",
        input_type="text",
        required=True,
        autocomplete="given-name",
        spellcheck=False,
        section=S_ABOUT,
    ),
    FormField(
        name="family_name",
        label="Last name",
        input_type="text",
        required=True,
        autocomplete="family-name",
        spellcheck=False,
        section=S_ABOUT,
    ),
    FormField(
        name="date_of_birth",
        label="What is your date of birth?",
        input_type="date",
        hint="For example, 27 3 1948. If you would rather not say, give your age below instead.",
        required_when="no age is given",
        parts=(
            DatePart("dob_day", "Day", "bday-day", 2),
            DatePart("dob_month", "Month", "bday-month", 2),
            DatePart("dob_year", "Year", "bday-year", 4),
        ),
        section=S_ABOUT,
    ),
    FormField(
        name="age",
        label="Or, your age in years",
        input_type="numeric",
        hint="Only if you would rather not give your date of birth.",
        required_when="no date of birth is given",
        width=3,
        section=S_ABOUT,
    ),
    FormField(
        name="language",
        label="What language would you like to speak in?",
        input_type="text",
        hint="For example, English, Bengali, Polish or British Sign Language.",
        width=20,
        section=S_ABOUT,
    ),
    FormField(
        name="interpreter_needed",
        label="Would you like an interpreter?",
        input_type="radios",
        hint="This includes a British Sign Language interpreter.",
        options=(Option(_YES, "Yes"), Option(_NO, "No")),
        section=S_ABOUT,
    ),
    FormField(
        name="address_line1",
        label="Address line 1",
        input_type="text",
        required_when="you would like us to write to you",
        autocomplete="address-line1",
        section=S_CONTACT,
        group=_ADDRESS_GROUP,
        group_hint=(
            "We use your postcode to find support near you. You only need to give the rest "
            "of your address if you would like us to write to you."
        ),
    ),
    FormField(
        name="address_line2",
        label="Address line 2 (optional)",
        input_type="text",
        required_when=None,
        autocomplete="address-line2",
        section=S_CONTACT,
        group=_ADDRESS_GROUP,
    ),
    FormField(
        name="town",
        label="Town or city (optional)",
        input_type="text",
        autocomplete="address-level2",
        width=20,
        section=S_CONTACT,
        group=_ADDRESS_GROUP,
    ),
    FormField(
        name="postcode",
        label="Postcode",
        input_type="text",
        hint="If you do not have a fixed address, leave this blank.",
        required_when="you have a fixed address",
        autocomplete="postal-code",
        width=10,
        spellcheck=False,
        section=S_CONTACT,
        group=_ADDRESS_GROUP,
    ),
    FormField(
        name="phone",
        label="Phone number",
        input_type="tel",
        hint="For international numbers include the country code.",
        required_when="you would like a phone call or text message",
        autocomplete="tel",
        width=20,
        section=S_CONTACT,
    ),
    FormField(
        name="email",
        label="Email address",
        input_type="email",
        required_when="you would like an email",
        autocomplete="email",
        spellcheck=False,
        section=S_CONTACT,
    ),
    FormField(
        name="contact_preferred",
        label="How would you like us to contact you?",
        input_type="radios",
        required=True,
        options=(
            Option("phone", "Phone call"),
            Option("text", "Text message"),
            Option("email", "Email"),
            Option("post", "Letter"),
        ),
        section=S_CONTACT,
    ),
    FormField(
        name="do_not_contact_by",
        label="Are there any ways we should not contact you?",
        input_type="checkboxes",
        hint="Select all that apply. Leave these blank if any way is fine.",
        options=(
            Option("phone", "Do not phone"),
            Option("text", "Do not send text messages"),
            Option("email", "Do not email"),
            Option("post", "Do not send letters"),
            Option("home_visit", "Do not visit at home"),
        ),
        section=S_CONTACT,
    ),
    FormField(
        name="safe_contact_instructions",
        label="Is there anything we should know before we contact you?",
        input_type="textarea",
        hint=(
            "For example, only call after 6pm, or do not leave a voicemail. "
            "You can enter up to 1,000 characters."
        ),
        section=S_CONTACT,
    ),
    FormField(
        name="living_situation",
        label="Who do you live with?",
        input_type="radios",
        options=(
            Option("lives_alone", "Alone"),
            Option("with_partner", "With a husband, wife or partner"),
            Option("with_family", "With family"),
            Option("with_others", "With other people, like friends or lodgers"),
            Option("supported_or_care_home", "In supported housing or a care home"),
            Option("no_fixed_abode", "No fixed address"),
        ),
        section=S_SITUATION,
    ),
    FormField(
        name="mobility",
        label="How easy is it for you to get out and about?",
        input_type="radios",
        options=(
            Option("independent", "I can get out without help"),
            Option("limited", "I can get out, but with difficulty or with help"),
            Option("housebound", "I can hardly ever or never leave home"),
        ),
        section=S_SITUATION,
    ),
    FormField(
        name="concerns",
        label="What would help you, or what is worrying you?",
        input_type="textarea",
        hint=(
            "In your own words. For example, meeting people, getting out more, or feeling low "
            "since losing someone. You can enter up to 4,000 characters."
        ),
        section=S_SITUATION,
    ),
    FormField(
        name="consent_to_referral",
        label="I agree to be referred to {programme_name}",
        legend="Agreeing to be referred",
        input_type="checkbox",
        hint=(
            "A connector will get in touch to talk about what matters to you and what might help. "
            "If you are filling this in for someone else, they must have agreed to this."
        ),
        required=True,
        section=S_AGREE,
    ),
    FormField(
        name="consent_to_data_sharing",
        label="I agree that {programme_name} can share my details with other local services that could help me",
        legend="Sharing your details",
        input_type="checkbox",
        hint="Only the details those services need. You can change your mind at any time.",
        section=S_AGREE,
    ),
)

FIELDS_BY_NAME: dict[str, FormField] = {f.name: f for f in FORM_FIELDS}

#: Every input name the form posts (besides the hidden programme_id and csrf_token).
INPUT_NAMES: tuple[str, ...] = tuple(n for f in FORM_FIELDS for n in f.input_names())

GENERAL_ERROR_KEY = "_form"
FORM_ID = "referral-form"

_MAX_LENGTHS = {
    "given_name": 100,
    "family_name": 100,
    "language": 50,
    "address_line1": 200,
    "address_line2": 200,
    "town": 100,
    "email": 254,
    "safe_contact_instructions": 1000,
    "concerns": 4000,
    "referrer_name": 200,
}

# ---------------------------------------------------------------------------------------
# Error messages (GOV.UK style: plain, specific, in the person's terms)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Voice:
    """'your'/'you' when people fill the form in for themselves, 'their'/'they' otherwise."""

    your: str
    you: str
    obj: str

    @classmethod
    def for_filler(cls, filled_by: str | None) -> _Voice:
        if filled_by in (FILLED_BY_FAMILY, FILLED_BY_STAFF):
            return cls("their", "they", "them")
        return cls("your", "you", "you")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


_PHONE_EXAMPLE = "like 01632 960 001 or 07700 900 982"
_GENERAL_MESSAGE = "There is a problem with the information given. Check the answers and try again."

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
    return f"{_NAMED[name]} must be {_MAX_LENGTHS[name]:,} characters or fewer"


def _messages(v: _Voice) -> dict[str, dict[str, str]]:
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
    for name in _MAX_LENGTHS:
        m[name]["too_long"] = _too_long(name)
    return m


# ---------------------------------------------------------------------------------------
# Reading the posted form
# ---------------------------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _clean(text: str) -> str:
    """Drop control characters and lone surrogates (never valid in a form or a page)."""
    return _CONTROL_CHARS.sub("", text)


def _raw(form: Any, name: str) -> Any:
    try:
        if not isinstance(form, Mapping):
            return None
        return form.get(name)
    except Exception:  # a mapping that misbehaves is just an empty form
        return None


def _one(form: Any, name: str) -> str:
    """A single-valued field: the first string given, stripped; '' when absent."""
    value = _raw(form, name)
    if isinstance(value, (list, tuple)):
        value = next((item for item in value if isinstance(item, str)), "")
    if not isinstance(value, str):
        return ""
    return _clean(value).strip()


def _many(form: Any, name: str) -> list[str]:
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
    items = [_clean(item).strip() for item in value if isinstance(item, str)]
    return list(dict.fromkeys(item for item in items if item))


def _ticked(form: Any, name: str) -> bool:
    return any(item.lower() in _TICKED for item in _many(form, name))


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


def _language(text: str) -> str:
    """Common language names to a short code ('Polish' -> 'pl'); anything else as typed."""
    key = " ".join(text.split()).lower()
    return _LANGUAGES.get(key, " ".join(text.split()))


def _is_int(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _date_of_birth(day: str, month: str, year: str, messages: dict[str, str]) -> tuple[date | None, str | None]:
    """Three typed parts -> a date, or the GOV.UK-style message for what is wrong."""
    parts = {"day": day, "month": month, "year": year}
    missing = [label for label, text in parts.items() if not text]
    if missing:
        return None, f"Date of birth must include a {' and '.join(missing)}"
    month_number: int | None
    if _is_int(month):
        month_number = int(month)
    else:
        month_number = _MONTHS.get(month.lower().rstrip("."))
    if not _is_int(day) or month_number is None or not _is_int(year) or len(day) > 2 or len(month) > 9:
        return None, messages["invalid"]
    if len(year) != 4:
        return None, messages["year"]
    try:
        value = date(int(year), month_number, int(day))
    except (ValueError, OverflowError):
        return None, messages["invalid"]
    if value > date.today():
        return None, messages["future"]
    if value.year < 1900:
        return None, messages["too_early"]
    return value, None


def _email_ok(value: str) -> bool:
    local, at, domain = value.partition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in value))


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


def _option_values(name: str) -> set[str]:
    return {o.value for o in FIELDS_BY_NAME[name].options}


# ---------------------------------------------------------------------------------------
# Form -> submission
# ---------------------------------------------------------------------------------------


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
        return None, {GENERAL_ERROR_KEY: _GENERAL_MESSAGE}


def _form_to_submission(form: Any, *, programme_id: str) -> tuple[dict | None, dict[str, str]]:
    errors: dict[str, str] = {}
    filled_by = _one(form, "filled_by")
    voice = _Voice.for_filler(filled_by)
    msg = _messages(voice)

    def fail(name: str, kind: str) -> None:
        errors.setdefault(name, msg[name][kind])

    def text(name: str, *, required: bool = False) -> str | None:
        value = _one(form, name)
        if not value:
            if required:
                fail(name, "missing")
            return None
        if name in _MAX_LENGTHS and len(value) > _MAX_LENGTHS[name]:
            fail(name, "too_long")
            return None
        return value

    def radio(name: str, *, required: bool = False) -> str | None:
        value = _one(form, name)
        if not value:
            if required:
                fail(name, "missing")
            return None
        if value not in _option_values(name):
            fail(name, "invalid")
            return None
        return value

    def phone_number(name: str) -> str | None:
        value = _one(form, name)
        if not value:
            return None
        try:
            return normalise.phone(value)
        except Exception:
            fail(name, "invalid")
            return None

    # Who is filling in the form, and the referrer.
    filled_by_value = radio("filled_by", required=True)
    referrer: dict[str, Any] = {}
    if filled_by_value is not None:
        category, subcategory = REFERRER_SOURCES[filled_by_value]
        referrer = {"source_category": category, "source_subcategory": subcategory}
        if filled_by_value == FILLED_BY_FAMILY:
            referrer_name = text("referrer_name", required=True)
            referrer_phone = phone_number("referrer_phone")
            if referrer_name:
                referrer["person_name"] = referrer_name
            if referrer_phone:
                referrer["phone"] = referrer_phone

    # About the person.
    person: dict[str, Any] = {}
    for name in ("given_name", "family_name"):
        value = text(name, required=True)
        if value:
            person[name] = value

    day, month, year = (_one(form, p.name) for p in FIELDS_BY_NAME["date_of_birth"].parts)
    age_text = _one(form, "age")
    if day or month or year:
        born, problem = _date_of_birth(day, month, year, msg["date_of_birth"])
        if problem:
            errors.setdefault("date_of_birth", problem)
        else:
            person["date_of_birth"] = born.isoformat()  # type: ignore[union-attr]
    elif age_text:
        if not _is_int(age_text):
            fail("age", "invalid")
        elif len(age_text) > 3 or int(age_text) > 120:
            fail("age", "too_big")
        else:
            person["age_years"] = int(age_text)
    else:
        fail("date_of_birth", "missing")

    language = text("language")
    if language:
        person["language"] = _language(language)
    interpreter = radio("interpreter_needed")
    if interpreter is not None:
        person["interpreter_needed"] = interpreter == _YES

    # Contact details.
    living_situation = radio("living_situation")
    preferred = radio("contact_preferred", required=True)

    address: dict[str, str] = {}
    for name, key in (("address_line1", "line1"), ("address_line2", "line2"), ("town", "town")):
        value = text(name)
        if value:
            address[key] = value
    if preferred == "post" and "line1" not in address and "address_line1" not in errors:
        fail("address_line1", "missing")

    postcode_text = _one(form, "postcode")
    if postcode_text:
        try:
            person["postcode"] = normalise.postcode(postcode_text)
        except Exception:
            fail("postcode", "invalid")
    elif living_situation != "no_fixed_abode":
        fail("postcode", "missing")
    if address:
        if "postcode" in person:
            address["postcode"] = person["postcode"]
        person["address"] = address

    phone = phone_number("phone")
    if phone:
        person["phone"] = phone
        if preferred == "text" and _is_landline(phone):
            fail("phone", "not_mobile")
    elif preferred in ("phone", "text") and "phone" not in errors:
        fail("phone", "missing")

    email = text("email")
    if email:
        if _email_ok(email):
            person["email"] = email
        else:
            fail("email", "invalid")
    elif preferred == "email" and "email" not in errors:
        fail("email", "missing")

    contact: dict[str, Any] = {}
    if preferred:
        contact["preferred"] = preferred
    avoid = _many(form, "do_not_contact_by")
    allowed = _option_values("do_not_contact_by")
    if any(item not in allowed for item in avoid):
        fail("do_not_contact_by", "invalid")
    else:
        if preferred and preferred in avoid:
            fail("do_not_contact_by", "conflict")
        elif avoid:
            contact["do_not_contact_by"] = avoid
    instructions = text("safe_contact_instructions")
    if instructions:
        contact["safe_contact_instructions"] = instructions

    # Situation.
    data: dict[str, Any] = {"programme_id": programme_id, "person": person}
    if contact:
        data["contact_preferences"] = contact
    if living_situation:
        data["living_situation"] = living_situation
    mobility = radio("mobility")
    if mobility:
        data["mobility"] = mobility
    concerns = text("concerns")
    if concerns:
        data["concerns"] = concerns

    # Consent.
    to_referral = _ticked(form, "consent_to_referral")
    if not to_referral:
        fail("consent_to_referral", "missing")
    data["consent"] = {"to_referral": to_referral, "to_data_sharing": _ticked(form, "consent_to_data_sharing")}
    if referrer:
        data["referrer"] = referrer

    # The canonical model has the last word; translate anything it finds back to the form.
    try:
        ReferralSubmission.model_validate(data)
    except ValidationError as exc:
        for key, message in validation_errors_to_form(exc, for_someone_else=voice.you == "they").items():
            errors.setdefault(key, message)

    if errors:
        return None, errors
    return data, {}


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


def _message_for(field: str, error: Mapping[str, Any], messages: dict[str, dict[str, str]]) -> str:
    if field == GENERAL_ERROR_KEY or field not in messages:
        return _GENERAL_MESSAGE
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    options = messages[field]
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
    voice = _Voice.for_filler(FILLED_BY_FAMILY if for_someone_else else FILLED_BY_SELF)
    messages = _messages(voice)
    try:
        details = exc.errors() if isinstance(exc, ValidationError) else None
    except Exception:
        details = None
    if not details:
        return {GENERAL_ERROR_KEY: _GENERAL_MESSAGE}
    result: dict[str, str] = {}
    for error in details:
        try:
            loc = tuple(error.get("loc", ()))
            field = _form_field_for(loc, str(error.get("msg", "")))
            result.setdefault(field, _message_for(field, error, messages))
        except Exception:
            result.setdefault(GENERAL_ERROR_KEY, _GENERAL_MESSAGE)
    return result


# ---------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Escape text for HTML content or a double-quoted attribute."""
    return html.escape(_clean(value if isinstance(value, str) else str(value)), quote=True)


_CSS = """
*,*::before,*::after{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;font-family:Arial,Helvetica,sans-serif;font-size:1.25rem;line-height:1.5;color:#0b0c0c;background:#fff}
.skip-link{position:absolute;left:-9999px;top:0;padding:.5rem 1rem;background:#fd0;color:#0b0c0c}
.skip-link:focus{left:0}
header{background:#0b0c0c;color:#fff;padding:.75rem 1rem;font-weight:bold}
main{display:block;max-width:44rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:2.25rem;line-height:1.2;margin:0 0 1.5rem}
h2{font-size:1.75rem;line-height:1.25;margin:2.5rem 0 1rem}
p,li{max-width:38em}
a{color:#1d70b8;text-decoration-thickness:max(1px,.0625rem);text-underline-offset:.15em}
a:visited{color:#4c2c92}
a:hover{color:#003078;text-decoration-thickness:max(3px,.1875rem)}
:focus{outline:3px solid transparent}
a:focus{outline:3px solid transparent;color:#0b0c0c;background:#fd0;box-shadow:0 -2px #fd0,0 4px #0b0c0c;text-decoration:none}
input:focus,textarea:focus{outline:3px solid #fd0;outline-offset:0;box-shadow:inset 0 0 0 2px #0b0c0c}
input[type=radio]:focus,input[type=checkbox]:focus{outline:3px solid #fd0;outline-offset:2px;box-shadow:0 0 0 6px #0b0c0c}
button:focus{outline:3px solid transparent;background:#fd0;color:#0b0c0c;box-shadow:0 2px #0b0c0c}
.form-group{margin:0 0 2rem}
.form-group--error{border-left:5px solid #d4351c;padding-left:1rem}
fieldset{border:0;margin:0;padding:0;min-width:0}
legend{font-weight:bold;padding:0;margin-bottom:.5rem;max-width:100%;white-space:normal}
label{display:block;font-weight:bold;margin-bottom:.25rem}
.hint{color:#484949;margin:0 0 .75rem}
.error-message{color:#d4351c;font-weight:bold;margin:0 0 .75rem}
input[type=text],input[type=tel],input[type=email],textarea{display:block;width:100%;font:inherit;padding:.35rem .5rem;border:2px solid #0b0c0c;border-radius:0;background:#fff;color:#0b0c0c}
textarea{min-height:8rem;resize:vertical}
.input--error{border-color:#d4351c !important}
.w-2{max-width:4.5em}.w-3{max-width:5.5em}.w-4{max-width:7em}.w-10{max-width:13em}.w-20{max-width:23em}
.date{display:flex;flex-wrap:wrap;gap:1.25rem}
.date label{font-weight:normal}
.choice{display:flex;align-items:flex-start;gap:.75rem;margin:0 0 .75rem}
.choice input{width:2rem;height:2rem;margin:0;flex:none;accent-color:#0b0c0c}
.choice label{font-weight:normal;margin:0;padding-top:.1rem}
.choice--single label{font-weight:bold}
.group-legend{font-size:1.5rem}
.error-summary{border:5px solid #d4351c;padding:1rem 1.25rem;margin:0 0 2rem}
.error-summary h2{margin:0 0 1rem;font-size:1.5rem}
.error-summary ul{margin:0;padding:0;list-style:none}
.error-summary a{color:#d4351c;font-weight:bold}
.button{font:inherit;font-weight:bold;color:#fff;background:#00703c;border:2px solid transparent;box-shadow:0 2px #002d18;padding:.5rem 1.25rem;cursor:pointer}
.button:hover{background:#005a30}
.panel{background:#00703c;color:#fff;text-align:center;padding:1.75rem 1.25rem;margin:0 0 2rem}
.panel h1{margin:0 0 1rem}
.panel__body{font-size:1.5rem}
.panel strong{display:block;font-size:2rem;overflow-wrap:anywhere}
.visually-hidden{position:absolute !important;width:1px !important;height:1px !important;margin:0 !important;padding:0 !important;overflow:hidden !important;clip:rect(0 0 0 0) !important;clip-path:inset(50%) !important;border:0 !important;white-space:nowrap !important}
@media (max-width:40em){body{font-size:1.1875rem}h1{font-size:1.85rem}}
@media (forced-colors:active){:focus{outline:3px solid Highlight}.panel{border:3px solid CanvasText}}
""".strip()


def _page(*, title: str, header: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n"
        f"<style>\n{_CSS}\n</style>\n"
        "</head>\n"
        "<body>\n"
        '<a href="#main-content" class="skip-link">Skip to main content</a>\n'
        f"<header>{header}</header>\n"
        f'<main id="main-content">\n{body}</main>\n'
        "</body>\n"
        "</html>\n"
    )


def _value_of(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name)
    if isinstance(value, (list, tuple)):
        value = next((item for item in value if isinstance(item, str)), "")
    return value if isinstance(value, str) else ""


def _values_of(values: Mapping[str, Any], name: str) -> list[str]:
    value = values.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    return []


def _option_id(field: FormField, option: Option) -> str:
    return f"{field.name}-{option.value}"


def _control_id(field: FormField) -> str:
    if field.input_type in ("radios", "checkboxes"):
        return _option_id(field, field.options[0])
    if field.input_type == "date":
        return field.parts[0].name
    return field.name


def _date_parts_in_error(field: FormField, values: Mapping[str, Any]) -> list[str]:
    """GOV.UK: highlight only the parts that are missing or not numbers; otherwise all of them."""
    bad = []
    for part in field.parts:
        text = _value_of(values, part.name).strip()
        ok = _is_int(text) or (part.name.endswith("month") and text.lower().rstrip(".") in _MONTHS)
        if not ok:
            bad.append(part.name)
    if not bad or len(bad) == len(field.parts):
        return [part.name for part in field.parts]
    if any(_value_of(values, part.name).strip() for part in field.parts):
        return bad
    return [part.name for part in field.parts]


def _anchor(key: str, values: Mapping[str, Any]) -> str:
    field = FIELDS_BY_NAME.get(key)
    if field is None:
        return FORM_ID
    if field.input_type == "date":
        return _date_parts_in_error(field, values)[0]
    return _control_id(field)


def _described_by(*ids: str | None) -> str:
    joined = " ".join(i for i in ids if i)
    return f' aria-describedby="{joined}"' if joined else ""


def _label_text(field: FormField, text: str, programme_name: str) -> str:
    label = _e(text).replace("{programme_name}", _e(programme_name))
    if field.optional and field.input_type not in ("checkbox",) and "(optional)" not in text:
        label += " (optional)"
    return label


def _hint(field: FormField) -> tuple[str, str | None]:
    if not field.hint:
        return "", None
    hint_id = f"{field.name}-hint"
    return f'<div id="{hint_id}" class="hint">{_e(field.hint)}</div>\n', hint_id


def _error(field_name: str, message: str | None) -> tuple[str, str | None]:
    if not message:
        return "", None
    error_id = f"{field_name}-error"
    return (
        f'<p id="{error_id}" class="error-message"><span class="visually-hidden">Error: </span>{_e(message)}</p>\n',
        error_id,
    )


def _text_input(field: FormField, value: str, error: str | None, programme_name: str) -> str:
    hint_html, hint_id = _hint(field)
    error_html, error_id = _error(field.name, error)
    input_type = {"tel": "tel", "email": "email"}.get(field.input_type, "text")
    attrs = [
        f'id="{field.name}"',
        f'name="{field.name}"',
        f'type="{input_type}"',
        f'value="{_e(value)}"',
    ]
    classes = []
    if field.width:
        classes.append(f"w-{field.width}")
    if error:
        classes.append("input--error")
        attrs.append('aria-invalid="true"')
    if classes:
        attrs.append(f'class="{" ".join(classes)}"')
    if field.autocomplete:
        attrs.append(f'autocomplete="{field.autocomplete}"')
    if field.input_type == "numeric":
        attrs.append('inputmode="numeric"')
    if field.spellcheck is not None:
        attrs.append(f'spellcheck="{"true" if field.spellcheck else "false"}"')
    if field.required:
        attrs.append('aria-required="true"')
    group_class = "form-group form-group--error" if error else "form-group"
    return (
        f'<div class="{group_class}">\n'
        f'<label for="{field.name}">{_label_text(field, field.label, programme_name)}</label>\n'
        f"{hint_html}{error_html}"
        f"<input {' '.join(attrs)}{_described_by(hint_id, error_id)}>\n"
        "</div>\n"
    )


def _textarea(field: FormField, value: str, error: str | None, programme_name: str) -> str:
    hint_html, hint_id = _hint(field)
    error_html, error_id = _error(field.name, error)
    invalid = ' class="input--error" aria-invalid="true"' if error else ""
    group_class = "form-group form-group--error" if error else "form-group"
    # The newline straight after <textarea> is dropped by browsers, so a value that starts
    # with a newline keeps it.
    return (
        f'<div class="{group_class}">\n'
        f'<label for="{field.name}">{_label_text(field, field.label, programme_name)}</label>\n'
        f"{hint_html}{error_html}"
        f'<textarea id="{field.name}" name="{field.name}" rows="5" spellcheck="true"{invalid}'
        f"{_described_by(hint_id, error_id)}>\n{_e(value)}</textarea>\n"
        "</div>\n"
    )


def _date_input(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> str:
    hint_html, hint_id = _hint(field)
    error_html, error_id = _error(field.name, error)
    in_error = set(_date_parts_in_error(field, values)) if error else set()
    inputs = []
    for part in field.parts:
        invalid = ' aria-invalid="true"' if part.name in in_error else ""
        error_class = " input--error" if part.name in in_error else ""
        inputs.append(
            "<div>\n"
            f'<label for="{part.name}">{_e(part.label)}</label>\n'
            f'<input id="{part.name}" name="{part.name}" type="text" inputmode="numeric" '
            f'class="w-{part.width}{error_class}" autocomplete="{part.autocomplete}" '
            f'value="{_e(_value_of(values, part.name))}"{invalid}>\n'
            "</div>\n"
        )
    group_class = "form-group form-group--error" if error else "form-group"
    return (
        f'<div class="{group_class}">\n'
        f'<fieldset role="group"{_described_by(hint_id, error_id)}>\n'
        f"<legend>{_label_text(field, field.label, programme_name)}</legend>\n"
        f"{hint_html}{error_html}"
        f'<div class="date">\n{"".join(inputs)}</div>\n'
        "</fieldset>\n"
        "</div>\n"
    )


def _choices(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> str:
    hint_html, hint_id = _hint(field)
    error_html, error_id = _error(field.name, error)
    kind = "radio" if field.input_type == "radios" else "checkbox"
    chosen = set(_values_of(values, field.name)) if kind == "checkbox" else {_value_of(values, field.name)}
    items = []
    for option in field.options:
        option_id = _option_id(field, option)
        checked = " checked" if option.value in chosen else ""
        items.append(
            '<div class="choice">\n'
            f'<input id="{option_id}" name="{field.name}" type="{kind}" value="{_e(option.value)}"{checked}>\n'
            f'<label for="{option_id}">{_e(option.label)}</label>\n'
            "</div>\n"
        )
    group_class = "form-group form-group--error" if error else "form-group"
    return (
        f'<div class="{group_class}">\n'
        f"<fieldset{_described_by(hint_id, error_id)}>\n"
        f"<legend>{_label_text(field, field.label, programme_name)}</legend>\n"
        f"{hint_html}{error_html}"
        f"{''.join(items)}"
        "</fieldset>\n"
        "</div>\n"
    )


def _single_checkbox(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> str:
    hint_html, hint_id = _hint(field)
    error_html, error_id = _error(field.name, error)
    checked = " checked" if any(v.strip().lower() in _TICKED for v in _values_of(values, field.name)) else ""
    invalid = ' aria-invalid="true"' if error else ""
    legend = field.legend or field.label
    if field.optional:
        legend += " (optional)"
    group_class = "form-group form-group--error" if error else "form-group"
    return (
        f'<div class="{group_class}">\n'
        "<fieldset>\n"
        f"<legend>{_e(legend)}</legend>\n"
        f"{hint_html}{error_html}"
        '<div class="choice choice--single">\n'
        f'<input id="{field.name}" name="{field.name}" type="checkbox" value="yes"{checked}{invalid}'
        f"{_described_by(hint_id, error_id)}>\n"
        f'<label for="{field.name}">{_label_text(field, field.label, programme_name)}</label>\n'
        "</div>\n"
        "</fieldset>\n"
        "</div>\n"
    )


def _field_html(field: FormField, values: Mapping[str, Any], error: str | None, programme_name: str) -> str:
    if field.input_type == "date":
        return _date_input(field, values, error, programme_name)
    if field.input_type in ("radios", "checkboxes"):
        return _choices(field, values, error, programme_name)
    if field.input_type == "checkbox":
        return _single_checkbox(field, values, error, programme_name)
    if field.input_type == "textarea":
        return _textarea(field, _value_of(values, field.name), error, programme_name)
    return _text_input(field, _value_of(values, field.name), error, programme_name)


def _error_summary(errors: Mapping[str, str], values: Mapping[str, Any]) -> str:
    ordered = [f.name for f in FORM_FIELDS if f.name in errors]
    ordered = [k for k in errors if k not in FIELDS_BY_NAME] + ordered  # general problems first
    items = "".join(
        f'<li><a href="#{_e(_anchor(key, values))}">{_e(errors[key])}</a></li>\n' for key in ordered
    )
    return (
        '<div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">\n'
        '<h2 id="error-summary-title">There is a problem</h2>\n'
        f"<ul>\n{items}</ul>\n"
        "</div>\n"
    )


def _safe_mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        return {}
    try:
        return {k: v for k, v in value.items() if isinstance(k, str)}
    except Exception:
        return {}


def render_form(
    *,
    programme_id: str,
    programme_name: str,
    action: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    csrf_token: str = "",
) -> str:
    """The self-referral page: a complete HTML5 document, re-filled with ``values``.

    ``values`` are the fields as posted (strings, or lists for checkboxes); ``errors`` are
    keyed by form field name, as ``form_to_submission`` returns them.
    """
    values_map = _safe_mapping(values)
    errors_map = {k: v if isinstance(v, str) else str(v) for k, v in _safe_mapping(errors).items() if v}

    parts: list[str] = [f"<h1>Ask {_e(programme_name)} for support</h1>\n"]
    if errors_map:
        parts.append(_error_summary(errors_map, values_map))
    parts.append(
        f"<p>Use this form to ask {_e(programme_name)} for support if you feel lonely or cut off, "
        "or to refer someone else who has agreed to it. It takes about 10 minutes.</p>\n"
        "<p>A connector will get in touch to talk about what matters to you.</p>\n"
    )
    parts.append(
        f'<form id="{FORM_ID}" method="post" action="{_e(action)}" novalidate accept-charset="utf-8">\n'
        f'<input type="hidden" name="programme_id" value="{_e(programme_id)}">\n'
        f'<input type="hidden" name="csrf_token" value="{_e(csrf_token)}">\n'
    )
    section: str | None = None
    group: str | None = None
    for field in FORM_FIELDS:
        if field.group != group and group is not None:
            parts.append("</fieldset>\n</div>\n")
            group = None
        if field.section and field.section != section:
            section = field.section
            parts.append(f"<h2>{_e(section)}</h2>\n")
        if field.group and field.group != group:
            group = field.group
            group_hint = ""
            described = ""
            if field.group_hint:
                group_id = "group-" + re.sub(r"[^a-z0-9]+", "-", group.lower()).strip("-")
                group_hint = f'<div id="{group_id}-hint" class="hint">{_e(field.group_hint)}</div>\n'
                described = f' aria-describedby="{group_id}-hint"'
            parts.append(
                f'<div class="form-group">\n<fieldset{described}>\n'
                f'<legend class="group-legend">{_e(group)}</legend>\n{group_hint}'
            )
        parts.append(_field_html(field, values_map, errors_map.get(field.name), programme_name))
    if group is not None:
        parts.append("</fieldset>\n</div>\n")
    parts.append('<button type="submit" class="button">Send referral</button>\n</form>\n')

    title = f"Ask {_e(programme_name)} for support"
    if errors_map:
        title = f"Error: {title}"
    return _page(title=title, header=_e(programme_name), body="".join(parts))


def render_confirmation(*, reference: str, programme_name: str) -> str:
    """The page shown once a referral is received: the reference, what happens next, help."""
    name = _e(programme_name)
    body = (
        '<div class="panel">\n'
        "<h1>Referral received</h1>\n"
        f'<div class="panel__body">Your reference number<br><strong>{_e(reference)}</strong></div>\n'
        "</div>\n"
        "<p>Keep this number. You can give it to us if you contact us about this referral.</p>\n"
        "<h2>What happens next</h2>\n"
        f"<p>A connector from {name} will get in touch in the way you asked us to. "
        "If you told us a safe time or way to contact you, they will use it.</p>\n"
        "<p>They will talk with you about what matters to you and what might help, like local groups, "
        "activities or someone to talk to. You do not have to do anything until then.</p>\n"
        "<p>If you filled this in for someone else, the connector will contact them.</p>\n"
        "<h2>If you need help</h2>\n"
        f"<p>If you have not heard from {name} and are worried, contact them and give your reference number.</p>\n"
        "<p>If you need someone to talk to now, you can call Samaritans free on "
        '<a href="tel:116123">116 123</a>, at any time, day or night.</p>\n'
        "<p>If you need medical help but it is not an emergency, call "
        '<a href="tel:111">111</a>. In an emergency, or if someone is in danger, call '
        '<a href="tel:999">999</a>.</p>\n'
    )
    return _page(title=f"Referral received – {name}", header=name, body=body)
