"""The public self-referral form: accessible, no-JavaScript HTML, and form -> ReferralSubmission."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.intake.domain.submission import ReferralSubmission
from services.intake.entrypoints.self_referral import (
    FORM_FIELDS,
    INPUT_NAMES,
    form_to_submission,
    render_confirmation,
    render_form,
    validation_errors_to_form,
)

# ---------------------------------------------------------------------------------------
# A tiny DOM built with the standard library parser
# ---------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root
        self.doctype: str | None = None
        self.unbalanced: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.current.tag != tag:
            self.unbalanced.append(tag)
            return
        self.current = self.current.parent or self.root

    def handle_data(self, data):
        self.current.children.append(data)


def parse(page: str) -> TreeBuilder:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder


def all_nodes(doc: TreeBuilder) -> list[Node]:
    return list(doc.root.iter())


def by_id(doc: TreeBuilder) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for node in all_nodes(doc):
        node_id = node.attrs.get("id")
        if node_id:
            assert node_id not in found, f"duplicate id {node_id!r}"
            found[node_id] = node
    return found


def controls(doc: TreeBuilder) -> list[Node]:
    return [
        n
        for n in all_nodes(doc)
        if n.tag in ("select", "textarea") or (n.tag == "input" and n.attrs.get("type") not in ("hidden", "submit"))
    ]


def describedby_ids(node: Node) -> list[str]:
    return (node.attrs.get("aria-describedby") or "").split()


def summary_links(doc: TreeBuilder) -> list[Node]:
    summaries = [n for n in all_nodes(doc) if "error-summary" in (n.attrs.get("class") or "")]
    return [a for s in summaries for a in s.iter() if a.tag == "a"]


def title_of(doc: TreeBuilder) -> str:
    return next(n for n in all_nodes(doc) if n.tag == "title").text()


def page(values=None, errors=None, programme_name="Hackney Connect", **kw) -> str:
    return render_form(
        programme_id="hackney", programme_name=programme_name, action="/referrals/hackney",
        values=values, errors=errors, csrf_token=kw.get("csrf_token", "tok-123"),
    )


def assert_accessible(doc: TreeBuilder) -> None:
    """The properties every rendered form page must have, errors or not."""
    assert doc.unbalanced == []
    nodes = all_nodes(doc)
    ids = by_id(doc)
    assert not [n for n in nodes if n.tag == "script"]
    assert not [n for n in nodes for a in n.attrs if a.startswith("on")], "no event handler attributes"
    html_el = next(n for n in nodes if n.tag == "html")
    assert html_el.attrs["lang"] == "en-GB"
    assert any(n.tag == "meta" and n.attrs.get("name") == "viewport" for n in nodes)
    labels_for: dict[str, list[Node]] = {}
    for label in (n for n in nodes if n.tag == "label"):
        labels_for.setdefault(label.attrs.get("for") or "", []).append(label)
        assert label.attrs.get("for") in ids, "every label points at a control"
    for control in controls(doc):
        control_id = control.attrs.get("id")
        assert control_id, control.attrs
        assert len(labels_for.get(control_id, [])) == 1, f"{control_id} needs exactly one <label for>"
        assert labels_for[control_id][0].text().strip()
        if control.attrs.get("type") in ("radio", "checkbox"):
            fieldsets = [a for a in control.ancestors() if a.tag == "fieldset"]
            assert fieldsets, f"{control_id} is not in a fieldset"
            first = fieldsets[0].elements()[0]
            assert first.tag == "legend" and first.text().strip()
    for node in nodes:
        for ref in describedby_ids(node):
            assert ref in ids, f"aria-describedby points at missing id {ref!r}"
    for link in summary_links(doc):
        assert link.attrs["href"].startswith("#")
        assert link.attrs["href"][1:] in ids, f"summary link {link.attrs['href']} has no target"


# ---------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------


def test_blank_form_is_accessible_and_works_without_javascript():
    text = page()
    assert text.startswith("<!DOCTYPE html>")
    doc = parse(text)
    assert_accessible(doc)
    nodes = all_nodes(doc)
    assert not title_of(doc).startswith("Error")
    assert not summary_links(doc)
    assert "<script" not in text.lower()

    (form,) = [n for n in nodes if n.tag == "form"]
    assert form.attrs["method"] == "post"
    assert form.attrs["action"] == "/referrals/hackney"
    assert "novalidate" in form.attrs
    hidden = {n.attrs["name"]: n.attrs["value"] for n in form.iter() if n.attrs.get("type") == "hidden"}
    assert hidden == {"programme_id": "hackney", "csrf_token": "tok-123"}
    assert [n for n in form.iter() if n.tag == "button" and n.attrs.get("type") == "submit"]

    names = {n.attrs.get("name") for n in controls(doc)}
    assert names == set(INPUT_NAMES)
    assert [n.tag for n in nodes if n.tag in ("h1",)] == ["h1"]


def test_autocomplete_attributes():
    ids = by_id(parse(page()))
    expected = {
        "given_name": "given-name", "family_name": "family-name", "dob_day": "bday-day",
        "dob_month": "bday-month", "dob_year": "bday-year", "postcode": "postal-code",
        "phone": "tel", "email": "email", "address_line1": "address-line1",
    }
    for control_id, token in expected.items():
        assert ids[control_id].attrs.get("autocomplete") == token
    assert ids["phone"].attrs["type"] == "tel"
    assert ids["email"].attrs["type"] == "email"
    assert ids["dob_year"].attrs["inputmode"] == "numeric"


def test_hints_are_linked_to_their_controls():
    ids = by_id(parse(page()))
    assert "phone-hint" in describedby_ids(ids["phone"])
    assert "safe_contact_instructions-hint" in describedby_ids(ids["safe_contact_instructions"])
    fieldset = next(a for a in ids["dob_day"].ancestors() if a.tag == "fieldset")
    assert "date_of_birth-hint" in describedby_ids(fieldset)
    assert "Hackney Connect" in next(
        n for n in all_nodes(parse(page())) if n.tag == "label" and n.attrs.get("for") == "consent_to_referral"
    ).text()


def test_field_definitions_are_complete():
    names = [f.name for f in FORM_FIELDS]
    assert len(names) == len(set(names))
    for required in (
        "given_name", "family_name", "date_of_birth", "age", "postcode", "phone", "email", "contact_preferred",
        "do_not_contact_by", "safe_contact_instructions", "language", "interpreter_needed", "living_situation",
        "mobility", "concerns", "filled_by", "referrer_name", "referrer_phone", "consent_to_referral",
        "consent_to_data_sharing",
    ):
        assert required in names
    for f in FORM_FIELDS:
        assert f.label
        if f.input_type in ("radios", "checkboxes"):
            assert f.options
    by_name = {f.name: f for f in FORM_FIELDS}
    assert [p.name for p in by_name["date_of_birth"].parts] == ["dob_day", "dob_month", "dob_year"]
    assert [o.value for o in by_name["contact_preferred"].options] == ["phone", "text", "email", "post"]
    assert [o.value for o in by_name["mobility"].options] == ["independent", "limited", "housebound"]
    assert by_name["consent_to_referral"].required


def test_errors_are_summarised_and_shown_inline():
    _, errors = form_to_submission({}, programme_id="hackney")
    assert errors
    doc = parse(page(values={}, errors=errors))
    assert_accessible(doc)
    assert title_of(doc).startswith("Error: ")
    ids = by_id(doc)
    summary = next(n for n in all_nodes(doc) if "error-summary" in (n.attrs.get("class") or ""))
    assert summary.attrs["role"] == "alert"
    assert summary.attrs["tabindex"] == "-1"
    assert next(n for n in summary.iter() if n.tag == "h2").text() == "There is a problem"
    # The summary comes before the form.
    order = [n for n in all_nodes(doc) if n is summary or n.tag == "form"]
    assert order[0] is summary
    assert len(summary_links(doc)) == len(errors)
    assert {a.text() for a in summary_links(doc)} == set(errors.values())

    for name, message in errors.items():
        error = ids[f"{name}-error"]
        assert message in error.text()
        assert "Error:" in error.text()  # the visually hidden prefix
        referers = [n for n in all_nodes(doc) if f"{name}-error" in describedby_ids(n)]
        assert referers, f"nothing is described by {name}-error"
    assert ids["given_name"].attrs.get("aria-invalid") == "true"
    assert ids["family_name"].attrs.get("aria-invalid") == "true"
    assert "aria-invalid" not in ids["email"].attrs
    assert ids["dob_day"].attrs.get("aria-invalid") == "true"


def test_date_error_highlights_only_the_missing_part():
    values = {"dob_day": "3", "dob_month": "", "dob_year": "1948"}
    errors = {"date_of_birth": "Date of birth must include a month"}
    doc = parse(page(values=values, errors=errors))
    assert_accessible(doc)
    ids = by_id(doc)
    assert [a.attrs["href"] for a in summary_links(doc)] == ["#dob_month"]
    assert ids["dob_month"].attrs.get("aria-invalid") == "true"
    assert "aria-invalid" not in ids["dob_day"].attrs
    assert ids["dob_day"].attrs["value"] == "3"


def test_general_and_unknown_errors_link_to_the_form():
    doc = parse(page(errors={"_form": "Something went wrong", "made_up": "Also <wrong>"}))
    assert_accessible(doc)
    assert [a.attrs["href"] for a in summary_links(doc)] == ["#referral-form", "#referral-form"]
    assert "Also <wrong>" in [a.text() for a in summary_links(doc)]


NASTY = '</textarea><script>alert("x")</script> "quoted" \'single\' & <b>'


def test_values_are_refilled_and_escaped():
    values = {
        "given_name": NASTY, "concerns": "\n" + NASTY, "phone": '" autofocus onfocus="alert(1)',
        "filled_by": "family_friend", "do_not_contact_by": ["post", "home_visit"], "dob_day": NASTY,
        "consent_to_referral": "yes", "interpreter_needed": '"><script>',
    }
    text = render_form(
        programme_id='p"><script>', programme_name=NASTY, action='/x?a=1&b="2"', values=values,
        errors={"given_name": NASTY}, csrf_token='"><script>',
    )
    assert "<script" not in text.lower()
    doc = parse(text)
    assert_accessible(doc)
    ids = by_id(doc)
    assert ids["given_name"].attrs["value"] == NASTY
    assert ids["dob_day"].attrs["value"] == NASTY
    assert ids["phone"].attrs["value"] == values["phone"]
    assert "onfocus" not in ids["phone"].attrs
    assert ids["concerns"].text() == "\n" + "\n" + NASTY  # the first newline is eaten by browsers
    assert "checked" in ids["filled_by-family_friend"].attrs
    assert "checked" not in ids["filled_by-myself"].attrs
    assert "checked" in ids["do_not_contact_by-post"].attrs
    assert "checked" in ids["do_not_contact_by-home_visit"].attrs
    assert "checked" not in ids["do_not_contact_by-phone"].attrs
    assert "checked" in ids["consent_to_referral"].attrs
    assert ids["given_name-error"].text().endswith(NASTY)
    form = next(n for n in all_nodes(doc) if n.tag == "form")
    assert form.attrs["action"] == '/x?a=1&b="2"'
    assert NASTY in title_of(doc)
    assert title_of(doc).startswith("Error: ")


def test_confirmation_page():
    text = render_confirmation(reference="CC-<1234>", programme_name="Hackney & Connect")
    assert "<script" not in text.lower()
    doc = parse(text)
    assert doc.unbalanced == []
    nodes = all_nodes(doc)
    assert next(n for n in nodes if n.tag == "html").attrs["lang"] == "en-GB"
    assert "Hackney & Connect" in title_of(doc)
    panel = next(n for n in nodes if n.attrs.get("class") == "panel")
    assert next(n for n in panel.iter() if n.tag == "h1").text() == "Referral received"
    assert next(n for n in panel.iter() if n.tag == "strong").text() == "CC-<1234>"
    headings = [n.text() for n in nodes if n.tag == "h2"]
    assert "What happens next" in headings and "If you need help" in headings
    assert [n for n in nodes if n.tag == "h1"] and len([n for n in nodes if n.tag == "h1"]) == 1


# ---------------------------------------------------------------------------------------
# Form -> submission
# ---------------------------------------------------------------------------------------

VALID = {
    "programme_id": "ignored-from-form",
    "csrf_token": "tok",
    "filled_by": "myself",
    "given_name": "  ann ",
    "family_name": "SMITH",
    "dob_day": "3",
    "dob_month": "1",
    "dob_year": "1948",
    "age": "",
    "language": "Polish",
    "interpreter_needed": "yes",
    "address_line1": "1 Mare Street",
    "town": "London",
    "postcode": "e8 1dy",
    "phone": "07911 123456",
    "email": "Ann@Example.COM",
    "contact_preferred": "phone",
    "do_not_contact_by": ["post", "home_visit"],
    "safe_contact_instructions": "Only call after 6pm",
    "living_situation": "lives_alone",
    "mobility": "limited",
    "concerns": "I have not spoken to anyone for weeks.",
    "consent_to_referral": "yes",
    "consent_to_data_sharing": "yes",
}


def submit(**changes):
    form = {**VALID, **changes}
    for key, value in list(form.items()):
        if value is None:
            del form[key]
    return form_to_submission(form, programme_id="hackney")


def test_valid_self_referral_maps_to_the_canonical_model():
    data, errors = submit()
    assert errors == {}
    referral = ReferralSubmission.model_validate(data)
    assert referral.programme_id == "hackney"
    p = referral.person
    assert (p.given_name, p.family_name) == ("Ann", "Smith")
    assert p.date_of_birth == date(1948, 1, 3)
    assert p.age_years is None
    assert p.postcode == "E8 1DY"
    assert p.address is not None and p.address.line1 == "1 Mare Street" and p.address.postcode == "E8 1DY"
    assert p.phone == "+447911123456"
    assert p.email == "Ann@example.com"
    assert p.language == "pl"
    assert p.interpreter_needed is True
    c = referral.contact_preferences
    assert c.preferred == "phone"
    assert c.do_not_contact_by == ["post", "home_visit"]
    assert c.safe_contact_instructions == "Only call after 6pm"
    assert referral.living_situation == "lives_alone"
    assert referral.mobility == "limited"
    assert referral.concerns == "I have not spoken to anyone for weeks."
    assert referral.consent.to_referral is True and referral.consent.to_data_sharing is True
    assert (referral.referrer.source_category, referral.referrer.source_subcategory) == ("self", "self_referral")


@pytest.mark.parametrize(
    ("filled_by", "category", "subcategory"),
    [("myself", "self", "self_referral"), ("family_friend", "family_friends", "family"), ("staff_phone", "self", "phone")],
)
def test_who_filled_in_the_form_sets_the_referrer_source(filled_by, category, subcategory):
    data, errors = submit(filled_by=filled_by, referrer_name="Bob Smith", referrer_phone="07912 345678")
    assert errors == {}
    referrer = ReferralSubmission.model_validate(data).referrer
    assert (referrer.source_category, referrer.source_subcategory) == (category, subcategory)
    if filled_by == "family_friend":
        assert referrer.person_name == "Bob Smith" and referrer.phone == "+447912345678"
    else:
        assert referrer.person_name is None


def test_minimal_referral_with_age_instead_of_date_of_birth():
    form = {
        "filled_by": "staff_phone", "given_name": "Ann", "family_name": "Smith", "age": " 81 ",
        "postcode": "E8 1DY", "phone": "020 7946 0018", "contact_preferred": "phone", "consent_to_referral": "yes",
    }
    data, errors = form_to_submission(form, programme_id="hackney")
    assert errors == {}
    referral = ReferralSubmission.model_validate(data)
    assert referral.person.age_years == 81 and referral.person.date_of_birth is None
    assert referral.person.interpreter_needed is False
    assert referral.consent.to_data_sharing is False
    assert referral.contact_preferences.do_not_contact_by == []


def test_month_names_and_no_fixed_address():
    data, errors = submit(dob_month="March", postcode="", address_line1="", town="", living_situation="no_fixed_abode")
    assert errors == {}
    assert ReferralSubmission.model_validate(data).person.date_of_birth == date(1948, 3, 3)
    assert "address" not in data["person"] and "postcode" not in data["person"]


def test_framework_shapes_are_accepted():
    # A list where one value is expected (first wins), a string where a list is expected.
    data, errors = submit(given_name=["Ann", "Other"], do_not_contact_by="post", consent_to_referral=["yes"])
    assert errors == {}
    assert data["person"]["given_name"] == "Ann"
    assert data["contact_preferences"]["do_not_contact_by"] == ["post"]


# A week ahead, not tomorrow: the list is made when tests are collected, and a run that passes midnight
# (CI's did) would otherwise ask about today's date.
NEXT_WEEK = date.today() + timedelta(days=7)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"given_name": " "}, "given_name", "Enter your first name"),
        ({"family_name": None}, "family_name", "Enter your last name"),
        ({"given_name": "x" * 101}, "given_name", "First name must be 100 characters or fewer"),
        ({"dob_day": "", "dob_month": "", "dob_year": ""}, "date_of_birth", "Enter your date of birth or your age"),
        ({"dob_month": ""}, "date_of_birth", "Date of birth must include a month"),
        ({"dob_day": "", "dob_year": ""}, "date_of_birth", "Date of birth must include a day and year"),
        ({"dob_day": "31", "dob_month": "2"}, "date_of_birth", "Date of birth must be a real date"),
        ({"dob_month": "13"}, "date_of_birth", "Date of birth must be a real date"),
        ({"dob_day": "first"}, "date_of_birth", "Date of birth must be a real date"),
        ({"dob_day": "2200000000"}, "date_of_birth", "Date of birth must be a real date"),
        ({"dob_month": "Januaryy"}, "date_of_birth", "Date of birth must be a real date"),
        ({"dob_year": "48"}, "date_of_birth", "Year must include 4 numbers"),
        (
            {"dob_day": str(NEXT_WEEK.day), "dob_month": str(NEXT_WEEK.month), "dob_year": str(NEXT_WEEK.year)},
            "date_of_birth",
            "Date of birth must be in the past",
        ),
        ({"dob_year": "1899"}, "date_of_birth", "Date of birth must be the same as or after 1 January 1900"),
        ({"dob_day": "", "dob_month": "", "dob_year": "", "age": "seventy"}, "age", "Age must be a whole number, like 72"),
        ({"dob_day": "", "dob_month": "", "dob_year": "", "age": "-3"}, "age", "Age must be a whole number, like 72"),
        ({"dob_day": "", "dob_month": "", "dob_year": "", "age": "130"}, "age", "Age must be 120 or less"),
        ({"postcode": "E8"}, "postcode", "Enter a real postcode, like E8 1DY"),
        ({"postcode": ""}, "postcode", "Enter your postcode"),
        ({"phone": "12345"}, "phone", "Enter a phone number, like 01632 960 001 or 07700 900 982"),
        ({"phone": ""}, "phone", "Enter your phone number, or choose another way to contact you"),
        (
            {"contact_preferred": "text", "phone": "020 7946 0018"},
            "phone",
            "Enter a mobile phone number to get text messages, like 07700 900 982",
        ),
        ({"email": "ann at example"}, "email", "Enter an email address in the correct format, like name@example.com"),
        (
            {"contact_preferred": "email", "email": ""},
            "email",
            "Enter your email address, or choose another way to contact you",
        ),
        (
            {"contact_preferred": "post", "address_line1": "", "do_not_contact_by": []},
            "address_line1",
            "Enter the first line of your address, or choose another way to contact you",
        ),
        ({"contact_preferred": None}, "contact_preferred", "Select how you would like us to contact you"),
        ({"contact_preferred": "pigeon"}, "contact_preferred", "Select how you would like us to contact you"),
        (
            {"do_not_contact_by": ["phone"]},
            "do_not_contact_by",
            "The way you would like us to contact you cannot also be a way not to contact you",
        ),
        ({"do_not_contact_by": ["smoke_signal"]}, "do_not_contact_by", "Select the ways we should not contact you"),
        (
            {"safe_contact_instructions": "x" * 1001},
            "safe_contact_instructions",
            "What we should know before we contact you must be 1,000 characters or fewer",
        ),
        ({"concerns": "x" * 4001}, "concerns", "What would help must be 4,000 characters or fewer"),
        ({"language": "x" * 51}, "language", "Language must be 50 characters or fewer"),
        ({"interpreter_needed": "maybe"}, "interpreter_needed", "Select yes if you would like an interpreter"),
        ({"living_situation": "castle"}, "living_situation", "Select who you live with"),
        ({"mobility": "flying"}, "mobility", "Select how easy it is for you to get out and about"),
        ({"filled_by": None}, "filled_by", "Select who is filling in this form"),
        ({"filled_by": "family_friend"}, "referrer_name", "Enter your name"),
        (
            {"filled_by": "family_friend", "referrer_name": "Bob", "referrer_phone": "nope"},
            "referrer_phone",
            "Enter a phone number, like 01632 960 001 or 07700 900 982",
        ),
        ({"consent_to_referral": None}, "consent_to_referral", "You must agree to be referred"),
        ({"consent_to_referral": "no"}, "consent_to_referral", "You must agree to be referred"),
        ({"filled_by": "family_friend", "referrer_name": "Bob", "consent_to_referral": None},
         "consent_to_referral", "They must agree to be referred"),
        ({"filled_by": "staff_phone", "given_name": ""}, "given_name", "Enter their first name"),
    ],
)
def test_specific_error_messages(changes, field, message):
    data, errors = submit(**changes)
    assert data is None
    assert errors == {field: message}


def test_every_error_key_is_a_form_field_or_general():
    _, errors = form_to_submission({}, programme_id="")
    known = {f.name for f in FORM_FIELDS} | {"_form"}
    assert set(errors) <= known
    assert "_form" in errors  # the empty programme_id came from the model, not a form field


# ---------------------------------------------------------------------------------------
# validation_errors_to_form
# ---------------------------------------------------------------------------------------


def model_errors(data: dict) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        ReferralSubmission.model_validate(data)
    return validation_errors_to_form(caught.value)


ANY_MESSAGE = object()

BASE = {
    "programme_id": "hackney",
    "person": {"given_name": "Ann", "family_name": "Smith"},
    "consent": {"to_referral": True},
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"person": {**BASE["person"], "postcode": "nope"}}, {"postcode": "Enter a real postcode, like E8 1DY"}),
        (
            {"person": {**BASE["person"], "address": {"postcode": "nope"}}},
            {"postcode": "Enter a real postcode, like E8 1DY"},
        ),
        (
            {"person": {**BASE["person"], "phone": "123"}},
            {"phone": "Enter a phone number, like 01632 960 001 or 07700 900 982"},
        ),
        (
            {"person": {**BASE["person"], "email": "x"}},
            {"email": "Enter an email address in the correct format, like name@example.com"},
        ),
        ({"person": {"family_name": "Smith"}}, {"given_name": "Enter your first name"}),
        ({"person": {**BASE["person"], "age_years": 300}}, {"age": "Age must be 120 or less"}),
        (
            {"person": {**BASE["person"], "date_of_birth": "1850-01-01"}},
            {"date_of_birth": "Date of birth must be the same as or after 1 January 1900"},
        ),
        (
            {"contact_preferences": {"preferred": "phone", "do_not_contact_by": ["phone"]}},
            {"do_not_contact_by": "The way you would like us to contact you cannot also be a way not to contact you"},
        ),
        ({"consent": {"to_referral": False}}, {"consent_to_referral": "You must agree to be referred"}),
        ({"consent": {}}, {"consent_to_referral": "You must agree to be referred"}),
        ({"referrer": {"source_category": "aliens"}}, {"filled_by": "Select who is filling in this form"}),
        ({"referrer": {"phone": "1"}}, {"referrer_phone": "Enter a phone number, like 01632 960 001 or 07700 900 982"}),
        ({"programme_id": ""}, {"_form": ANY_MESSAGE}),
        ({"surprise": 1}, {"_form": ANY_MESSAGE}),
        ({"trigger_groups": {"status": "assessed"}}, {"_form": ANY_MESSAGE}),
    ],
)
def test_model_errors_map_to_form_fields(change, expected):
    errors = model_errors({**BASE, **change})
    assert set(errors) == set(expected)
    for key, message in expected.items():
        if message is not ANY_MESSAGE:
            assert errors[key] == message
        assert errors[key]


def test_non_validation_errors_become_a_general_error():
    assert set(validation_errors_to_form(ValueError("boom"))) == {"_form"}
    assert set(validation_errors_to_form(None)) == {"_form"}


def test_model_errors_in_the_third_person():
    with pytest.raises(ValidationError) as caught:
        ReferralSubmission.model_validate({**BASE, "consent": {"to_referral": False}})
    assert validation_errors_to_form(caught.value, for_someone_else=True) == {
        "consent_to_referral": "They must agree to be referred"
    }


# ---------------------------------------------------------------------------------------
# Properties: never raise, and every error is shown and linked
# ---------------------------------------------------------------------------------------

_values = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789 +-", max_size=14),  # numbers: dates, ages, phones (once found an OverflowError)
    st.lists(st.text(max_size=12), max_size=3),
)
_keys = st.one_of(st.sampled_from(INPUT_NAMES), st.text(max_size=10))
_choice_values = st.sampled_from(
    sorted({o.value for f in FORM_FIELDS for o in f.options} | {"", "yes", "on", "1948", "3", "E8 1DY", "07911 123456"})
)


def _check_round_trip(form) -> None:
    data, errors = form_to_submission(form, programme_id="hackney")
    assert (data is None) != (errors == {})
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in errors.items())
    if data is not None:
        ReferralSubmission.model_validate(data)
    text = render_form(
        programme_id="hackney", programme_name="Hackney Connect", action="/r", values=form, errors=errors
    )
    assert "<script" not in text.lower()
    doc = parse(text)
    assert_accessible(doc)
    assert len(summary_links(doc)) == len(errors)
    assert title_of(doc).startswith("Error: ") == bool(errors)


# Each example renders and parses a whole page (~10 ms with html.parser); kept small for speed.
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=12))
def test_arbitrary_forms_never_raise(form):
    _check_round_trip(form)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(INPUT_NAMES), st.one_of(_values, _choice_values), max_size=8))
def test_mutated_valid_forms_never_raise(changes):
    _check_round_trip({**VALID, **changes})
