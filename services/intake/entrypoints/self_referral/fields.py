"""The self-referral form's questions: one declarative table that parsing and rendering both read.

Staff taking a referral by phone use the same fields ("a member of staff, with the
person on the phone").
"""

from __future__ import annotations

from dataclasses import dataclass


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

YES = "yes"
NO = "no"
TICKED = frozenset({"yes", "on", "true"})

S_WHO = "Who is filling in this form"
S_ABOUT = "About you"
S_CONTACT = "How to contact you"
S_SITUATION = "Your situation"
S_AGREE = "Agreeing to the referral"

ADDRESS_GROUP = "Your address"

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
        options=(Option(YES, "Yes"), Option(NO, "No")),
        section=S_ABOUT,
    ),
    FormField(
        name="address_line1",
        label="Address line 1",
        input_type="text",
        required_when="you would like us to write to you",
        autocomplete="address-line1",
        section=S_CONTACT,
        group=ADDRESS_GROUP,
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
        group=ADDRESS_GROUP,
    ),
    FormField(
        name="town",
        label="Town or city (optional)",
        input_type="text",
        autocomplete="address-level2",
        width=20,
        section=S_CONTACT,
        group=ADDRESS_GROUP,
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
        group=ADDRESS_GROUP,
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

#: The longest answer each text field takes (the canonical model's limits, named in the messages).
MAX_LENGTHS = {
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


def option_values(name: str) -> set[str]:
    """The values a radio or checkbox field accepts."""
    return {o.value for o in FIELDS_BY_NAME[name].options}
