"""Reading FHIR data types the mapping needs: CodeableConcept, ContactPoint, HumanName, Period
and extensions. Pure functions over ``fhir.resources`` elements; no issues raised here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from ...domain import normalise


def concept_text(concept: Any) -> str | None:
    if concept is None:
        return None
    if concept.text and concept.text.strip():
        return concept.text.strip()
    for coding in concept.coding or []:
        if coding.display and coding.display.strip():
            return coding.display.strip()
    return None


def concept_code(concept: Any) -> str | None:
    if concept is None:
        return None
    for coding in concept.coding or []:
        if coding.code:
            return coding.code
    return concept.text.strip() if concept.text and concept.text.strip() else None


def _ended(period: Any) -> bool:
    if period is None or period.end is None:
        return False
    end = period.end
    if isinstance(end, datetime):
        return end < (datetime.now(end.tzinfo) if end.tzinfo else datetime.now())
    if isinstance(end, date):
        return end < date.today()
    return str(end) < date.today().isoformat()[: len(str(end))]


def current(items: Iterable[Any], skip_uses: frozenset[str] = frozenset({"old"})) -> list[tuple[int, Any]]:
    """(position, item) for each name, address or contact point still in use."""
    return [(k, item) for k, item in enumerate(items or []) if item.use not in skip_uses and not _ended(item.period)]


def extensions(resource: Any, url: str) -> list[Any]:
    return [e for e in (resource.extension or []) if e.url == url]


def sub_extension(extension: Any, url: str) -> Any | None:
    for sub in extension.extension or []:
        if sub.url == url:
            return sub
    return None


def telecom(resource: Any, systems: frozenset[str]) -> list[tuple[int, Any]]:
    """(position, contact point) of the current ones in ``systems``, by rank then position."""
    points = [(k, cp) for k, cp in current(resource.telecom or []) if cp.system in systems and cp.value]
    return sorted(points, key=lambda kc: (kc[1].rank or 1_000_000, kc[0]))


def first_valid_phone(resources: Iterable[Any]) -> str | None:
    for resource in resources:
        for _, cp in telecom(resource, frozenset({"phone", "sms"})):
            try:
                return normalise.phone(cp.value)
            except ValueError:
                continue
    return None


def first_email(resources: Iterable[Any]) -> str | None:
    for resource in resources:
        for _, cp in telecom(resource, frozenset({"email"})):
            return cp.value.strip()
    return None


def human_name(name: Any) -> str | None:
    parts = [*(name.prefix or []), *(name.given or []), *([name.family] if name.family else [])]
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return text or (name.text.strip() if name.text and name.text.strip() else None)


def prune(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
