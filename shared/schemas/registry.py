"""(type, version) -> payload model, and parsing of envelopes off the wire."""

from __future__ import annotations

from pydantic import ValidationError

from .envelope import Envelope, EventPayload
from .events import case as case_events
from .events.case import CaseAssigned, CaseClosed, CaseFirstContactMade, CaseWaitlisted
from .events.erasure import PersonErased
from .events.referral import ReferralDetailsCorrected, ReferralReceived, ReferralReceivedV2, ReferralStatusChanged
from .events.session import SessionRevoked
from .events.triage import TriageDecided

EVENT_MODELS: dict[tuple[str, int], type[EventPayload]] = {
    (m.event_type, m.schema_version): m
    for m in (
        ReferralReceived,
        ReferralReceivedV2,
        ReferralStatusChanged,
        ReferralDetailsCorrected,
        TriageDecided,
        CaseAssigned,
        CaseWaitlisted,
        CaseFirstContactMade,
        CaseClosed,
        SessionRevoked,
        PersonErased,
        *(
            getattr(case_events, name)
            for name in (
                "CaseOpened", "CaseOffered", "CaseOfferDeclined", "CaseOfferExpired", "CaseContactRecorded",
                "CaseFirstContactDeadlineMissed", "CaseGoalSet", "CaseGoalProgressed", "CaseSignposted",
                "CaseSignpostTakeUpRecorded", "CaseUnmetNeedRecorded", "CaseReviewed", "CaseExtended",
                "CasePutOnHold", "CaseResumed", "CaseTransferred", "CaseMeasureRecorded", "CaseFollowUpRequested",
                "CaseConsentChanged", "CaseDetailsCorrected",
            )
        ),
        *case_events.SEALED_VERSIONS,
    )
}


class UnknownEventType(ValueError):
    pass


def model_for(event_type: str, version: int) -> type[EventPayload]:
    try:
        return EVENT_MODELS[(event_type, version)]
    except KeyError:
        raise UnknownEventType(f"no contract for event type {event_type!r} version {version}") from None


class InvalidEventData(ValueError):
    """The envelope is fine but its data does not match the contract it names."""

    def __init__(self, event_type: str, version: int, problems: list[str]) -> None:
        super().__init__(f"{event_type} v{version}: " + "; ".join(problems))
        self.problems = problems


def parse_envelope(raw: bytes | str) -> tuple[Envelope, EventPayload]:
    """Validate the envelope and its payload.

    Raises pydantic.ValidationError (bad envelope), UnknownEventType or InvalidEventData.
    Error texts name fields and rules, never the submitted values.
    """
    envelope = Envelope.model_validate_json(raw)
    return envelope, parse_data(envelope)


def parse_data(envelope: Envelope) -> EventPayload:
    """Validate an envelope's data against the contract its type and version name.

    Raises UnknownEventType or InvalidEventData (naming fields and rules, never values).
    """
    model = model_for(envelope.type, envelope.schemaversion)
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        problems = [f"data.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)]
        raise InvalidEventData(envelope.type, envelope.schemaversion, problems) from None
