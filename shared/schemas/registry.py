"""(type, version) -> payload model, and parsing of envelopes off the wire."""

from __future__ import annotations

from .envelope import Envelope, EventPayload
from .events.case import CaseAssigned, CaseClosed, CaseWaitlisted
from .events.referral import ReferralReceived
from .events.triage import TriageDecided

EVENT_MODELS: dict[tuple[str, int], type[EventPayload]] = {
    (m.event_type, m.schema_version): m
    for m in (ReferralReceived, TriageDecided, CaseAssigned, CaseWaitlisted, CaseClosed)
}


class UnknownEventType(ValueError):
    pass


def model_for(event_type: str, version: int) -> type[EventPayload]:
    try:
        return EVENT_MODELS[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"no contract for event type {event_type!r} version {version}") from None


def parse_envelope(raw: bytes | str) -> tuple[Envelope, EventPayload]:
    """Validate the envelope and its payload; raises pydantic.ValidationError or UnknownEventType."""
    envelope = Envelope.model_validate_json(raw)
    return envelope, envelope.payload()
