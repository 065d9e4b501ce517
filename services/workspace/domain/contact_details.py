"""The "Change contact details" form: the person's contact fields as the form shows them, the form read back
as intake's merge patch, and intake's refusals put against the form's own fields. No I/O.

Intake checks phone numbers, email addresses and postcodes as it checks a referral's, so they are not checked
twice here; what is checked here is what the form alone knows (a choice from its list, a language's name).
"""

from __future__ import annotations

from typing import Any

from services.workspace.domain import languages

MOBILITY = {"": "Not known", "independent": "Gets about independently", "limited": "Limited mobility",
            "housebound": "Housebound"}
INTERPRETER = {"yes": "Yes", "no": "No"}
# Each form field and the longest text intake takes for it (the referral's limits).
LIMITS = {"phone": 32, "email": 254, "address_line1": 200, "address_line2": 200, "town": 100, "postcode": 12,
          "best_times": 200, "safe_contact_instructions": 1000, "language": 60}
LABELS = {"phone": "the phone number", "email": "the email address", "address_line1": "the first address line",
          "address_line2": "the second address line", "town": "the town", "postcode": "the postcode",
          "best_times": "the best times", "safe_contact_instructions": "the safe-contact instructions",
          "language": "the language"}
# Intake's field names (a path into the patch) -> the form's.
FIELD_OF = {"address.line1": "address_line1", "address.line2": "address_line2", "address.town": "town",
            "address.postcode": "postcode", "address": "address_line1", "access_needs.mobility": "mobility",
            "access_needs": "mobility"}


def form_values(person: dict[str, Any]) -> dict[str, str]:
    """What the form starts with: the details as intake holds them now."""
    address = person.get("address") or {}
    interpreter = person.get("interpreter_needed")
    return {"phone": person.get("phone") or "", "email": person.get("email") or "",
            "address_line1": address.get("line1") or "", "address_line2": address.get("line2") or "",
            "town": address.get("town") or "", "postcode": person.get("postcode") or "",
            "best_times": person.get("best_times") or "",
            "safe_contact_instructions": person.get("safe_contact_instructions") or "",
            "mobility": (person.get("access_needs") or {}).get("mobility") or "",
            "language": languages.name_of(person.get("language")),
            "interpreter_needed": "" if interpreter is None else ("yes" if interpreter else "no")}


def read_contact_details(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The patch intake takes (every field, as the form now shows it: an emptied box removes what it held;
    intake records only what changed) and the problems the form can see itself."""
    errors: dict[str, str] = {}
    text: dict[str, str | None] = {}
    for name, limit in LIMITS.items():
        value = " ".join(str(values.get(name) or "").split()) if name != "safe_contact_instructions" \
            else str(values.get(name) or "").strip()
        if len(value) > limit:
            errors[name] = f"Enter {LABELS[name]} in {limit} characters or fewer"
        text[name] = value or None
    language = None
    if text["language"] and "language" not in errors:
        language = languages.code_of(text["language"])
        if language is None:
            errors["language"] = "Enter a language by its name, like Somali or Gujarati"
    mobility = str(values.get("mobility") or "")
    if mobility not in MOBILITY:
        errors["mobility"] = "Choose how they get about"
    interpreter = str(values.get("interpreter_needed") or "")
    if interpreter not in ("", *INTERPRETER):
        errors["interpreter_needed"] = "Say whether they need an interpreter"
    patch = {"phone": text["phone"], "email": text["email"],
             "address": {"line1": text["address_line1"], "line2": text["address_line2"], "town": text["town"]},
             "postcode": text["postcode"], "best_times": text["best_times"],
             "safe_contact_instructions": text["safe_contact_instructions"],
             "access_needs": {"mobility": mobility or None}, "language": language,
             "interpreter_needed": None if not interpreter else interpreter == "yes"}
    return patch, errors


def problems_on_form(problems: list[dict[str, str]]) -> dict[str, str]:
    """Intake's refusal, each problem against the form field it is about (its words, never the value)."""
    found: dict[str, str] = {}
    for problem in problems:
        field = FIELD_OF.get(problem.get("field") or "", problem.get("field") or "form")
        message = (problem.get("message") or "The service refused this").removeprefix("Value error, ")
        found.setdefault(field, message[:1].upper() + message[1:])
    return found
