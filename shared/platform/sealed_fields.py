"""Sealing a field's text for a person, and opening every sealed field of a record for a reader.

A field is sealed in the context `<service>.<field name>` (e.g. "caseload.reason"), so a value sealed as
one field cannot be opened as another. A reader gets each sealed field opened; a field whose person has been
erased (their data key destroyed) reads as None, and the record it is in lists it under `erased_fields`:
the reader sees that something was written and is gone, never an error.
"""

from __future__ import annotations

from typing import Any

from shared.platform.sealing import KeyDestroyed, Sealer, is_sealed, sealed_subject

ERASED_FIELDS = "erased_fields"
_GONE = object()


def field_context(service: str, field: str) -> str:
    return f"{service}.{field}"


async def seal_field(sealer: Sealer, service: str, person_id: object, field: str, text: str | None) -> str | None:
    """`text` sealed under the service's data key for the person (None or "" stays as it is: nothing to seal,
    and the rule that asks for the text still sees it missing)."""
    if not text:
        return text
    return await sealer.seal(str(person_id), text, context=field_context(service, field))


async def open_fields(sealer: Sealer, service: str, value: Any, field: str = "") -> Any:
    """`value` (a record, an event's data, a list of them) with every sealed string in it opened."""
    opened = await _open(sealer, service, value, field)
    return None if opened is _GONE else opened


async def open_fields_noting(sealer: Sealer, service: str, value: Any) -> tuple[Any, dict[str, list[str]]]:
    """`value` opened as `open_fields` opens it, and what was opened: each person (the subject a value was
    sealed for) with the names of their fields that were opened (none for an erased person's), for the audit."""
    seen: dict[str, list[str]] = {}
    opened = await _open(sealer, service, value, "", seen)
    return (None if opened is _GONE else opened), seen


async def _open(sealer: Sealer, service: str, value: Any, field: str,
                seen: dict[str, list[str]] | None = None) -> Any:
    if is_sealed(value):
        try:
            text = await sealer.open(value, context=field_context(service, field))
        except KeyDestroyed:
            return _GONE
        if seen is not None:
            fields = seen.setdefault(sealed_subject(value), [])
            if field not in fields:
                fields.append(field)
        return text
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        erased: list[str] = []
        for key, item in value.items():
            opened = await _open(sealer, service, item, key, seen)
            if opened is _GONE or (isinstance(opened, list) and any(x is _GONE for x in opened)):
                erased.append(key)
                opened = None if opened is _GONE else [None if x is _GONE else x for x in opened]
            out[key] = opened
        if erased:
            out[ERASED_FIELDS] = erased
        return out
    if isinstance(value, list):
        return [await _open(sealer, service, item, field, seen) for item in value]
    return value

