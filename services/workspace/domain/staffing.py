"""A coordinator's workers and programme settings as caseload takes them: the words for each field, and what
each form must hold before it is sent (caseload checks again; its refusals come back as field errors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .languages import code_of, name_of

WORKER_ROLES = {"connector": "Connector (paid link worker)", "volunteer": "Volunteer"}
YES_NO = [("yes", "Yes"), ("no", "No")]
# caseload's own bounds (services/caseload/entrypoints/http.py, WorkerFields and NewWorker).
MAX_WEEKLY_HOURS = Decimal(60)
MAX_CASES = 200
_HOURS = re.compile(r"^\d{1,2}(\.\d{1,2})?$|^\.\d{1,2}$")
# A postcode district (E8, N16, SW1A): short codes, listed with commas.
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")


def _text(values: dict[str, Any], name: str) -> str:
    value = values.get(name, "")
    value = value[0] if isinstance(value, list) else value
    return str(value).strip()


def _codes(raw: str, pattern: re.Pattern, upper: bool) -> list[str] | None:
    """Comma- or space-separated codes, each checked; None when one is not a code."""
    items = [i.upper() if upper else i for i in re.split(r"[,\s]+", raw) if i]
    return items if len(items) <= 30 and all(pattern.match(i) for i in items) else None


def _languages(raw: str) -> tuple[list[str], str]:
    """Codes for languages typed by name or code, in the order given, each once; and the first not recognised.

    Items are separated by commas; an item that is not a language is tried word by word ("en tr")."""
    codes: list[str] = []
    for item in (i.strip() for i in raw.split(",")):
        if not item:
            continue
        code = code_of(item)
        found = [code] if code else [code_of(word) for word in item.split()]
        if not found or None in found:
            return [], f"'{item[:60]}'"
        codes.extend(code for code in found if code not in codes)
    return codes, ""


def _hours(raw: str) -> Decimal | None:
    if not _HOURS.match(raw):
        return None
    hours = Decimal(raw)
    return hours if Decimal("0.01") <= hours <= MAX_WEEKLY_HOURS else None


def read_worker(values: dict[str, Any], *, new: bool, load_hours: Decimal = Decimal(0),
                was_active: bool = True) -> tuple[dict[str, Any], dict[str, str]]:
    """The body for caseload's POST /v1/workers (new) or PATCH /v1/workers/{id}, and the form's problems.

    A new worker's blank optional fields are left out. On the edit form, which shows what caseload holds, a
    site, availability, languages or districts emptied by the coordinator are cleared (null or []); an emptied
    most-open-cases is left out, as caseload always keeps one."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    name = _text(values, "name")
    if not name:
        errors["name"] = "Enter the worker's name"
    elif len(name) > 200:
        errors["name"] = "Name must be 200 characters or fewer"
    body["name"] = name
    if new:
        role = _text(values, "role")
        if role not in WORKER_ROLES:
            errors["role"] = "Choose whether they are a connector or a volunteer"
        body["role"] = role
        programme = _text(values, "programme_id")
        if not programme or len(programme) > 100:
            errors["programme_id"] = "Choose the programme they work in"
        body["programme_id"] = programme
    hours = _hours(_text(values, "capacity_hours"))
    if hours is None:
        errors["capacity_hours"] = "Enter contracted hours a week from 0.01 to 60, like 7.5"
    elif hours < load_hours:
        errors["capacity_hours"] = (f"Their cases already take {load_hours} hours a week: "
                                    "transfer cases before lowering their hours below that")
    else:
        body["capacity_hours"] = str(hours)
    cases = _text(values, "max_open_cases")
    if cases:
        if not cases.isdigit() or not 1 <= int(cases) <= MAX_CASES:
            errors["max_open_cases"] = f"Enter the most open cases as a whole number from 1 to {MAX_CASES}"
        else:
            body["max_open_cases"] = int(cases)
    site = _text(values, "site")
    if len(site) > 100:
        errors["site"] = "Site must be 100 characters or fewer"
    elif site or not new:
        body["site"] = site or None
    availability = _text(values, "availability")
    if len(availability) > 500:
        errors["availability"] = "Availability must be 500 characters or fewer"
    elif availability or not new:
        body["availability"] = availability or None
    raw = _text(values, "languages")
    if raw or not new:
        languages, unknown = _languages(raw)
        if unknown:
            errors["languages"] = (f"We do not recognise {unknown}: enter languages by name or code, separated by "
                                   "commas, like Turkish, Somali or tr, so")
        elif len(languages) > 30:
            errors["languages"] = "Enter at most 30 languages"
        else:
            body["languages"] = languages
    raw = _text(values, "travel_districts")
    if raw or not new:
        codes = _codes(raw, _DISTRICT, True)
        if codes is None:
            errors["travel_districts"] = "Enter postcode districts separated by commas, like E8, N16"
        else:
            body["travel_districts"] = codes
    for field in ("home_visits", "auto_accept_offers") + (() if new else ("active",)):
        answer = _text(values, field)
        if answer in ("yes", "no"):
            body[field] = answer == "yes"
    if not new and was_active and body.get("active") is False and _text(values, "confirm") != "yes":
        errors["confirm"] = "Confirm that they should get no new offers"
    return body, errors


def worker_form_values(worker: dict[str, Any]) -> dict[str, str]:
    """A worker as caseload lists them, as the edit form shows them."""
    def yes_no(value: Any) -> str:
        return "" if value is None else ("yes" if value else "no")

    return {"name": worker.get("name") or "", "site": worker.get("site") or "",
            "capacity_hours": str(worker.get("capacity_hours") or ""),
            "max_open_cases": str(worker.get("max_open_cases") or ""),
            "availability": worker.get("availability") or "",
            "languages": ", ".join(name_of(code) for code in worker.get("languages") or []),
            "travel_districts": ", ".join(worker.get("travel_districts") or []),
            "home_visits": yes_no(worker.get("home_visits")), "auto_accept_offers": yes_no(worker.get("auto_accept_offers")),
            "active": yes_no(worker.get("active", True))}


@dataclass(frozen=True)
class Setting:
    """One of a programme's settings: its words, its unit, and the bounds caseload (and this form) keeps."""

    name: str
    label: str
    hint: str
    whole: bool
    low: float
    high: float


# caseload's Settings (services/caseload/entrypoints/http.py); the two caseload leaves open-ended get a ceiling
# here, so every input has a limit: a month for an offer to wait, a year for ageing.
SETTINGS = (
    Setting("first_contact_working_days", "Working days to first contact",
            "How soon a worker must first contact a person after taking their case", True, 1, 30),
    Setting("offer_timeout_minutes", "Minutes an offer waits for an answer",
            "After this the case is offered to the next worker. 2880 minutes is 2 days", False, 1, 43200),
    Setting("review_weeks", "Weeks between case reviews", "How often a worker reviews each case", True, 1, 52),
    Setting("budget_weeks", "Weeks of support", "How long a person is supported before the case is reviewed for closing",
            True, 1, 104),
    Setting("budget_sessions", "Sessions of support", "How many sessions a person is offered", True, 1, 100),
    Setting("follow_up_months", "Months to follow-up", "When the follow-up measure is due after closing", True, 1, 24),
    Setting("ageing_days", "Days for a waiting person to move up a priority",
            "Someone waiting this long is offered as if one priority higher", False, 1, 365),
)


def settings_form_values(settings: dict[str, Any]) -> dict[str, str]:
    def shown(value: Any) -> str:
        number = float(value)
        return str(int(number)) if number == int(number) else str(number)

    return {s.name: shown(settings[s.name]) for s in SETTINGS if settings.get(s.name) is not None}


def read_settings(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The body for caseload's PUT /v1/programmes/{id}/settings: every setting, since the PUT replaces them all."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = _text(values, setting.name)
        number = float(raw) if re.fullmatch(r"\d{1,5}(\.\d{1,2})?", raw) else None
        if number is not None and setting.whole and number != int(number):
            number = None
        bounds = f"{setting.low:g} to {setting.high:g}"
        if number is None or not setting.low <= number <= setting.high:
            kind = "a whole number" if setting.whole else "a number"
            errors[setting.name] = f"{setting.label}: enter {kind} from {bounds}"
            continue
        body[setting.name] = int(number) if setting.whole else number
    return body, errors
