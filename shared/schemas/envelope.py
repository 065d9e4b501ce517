"""The common envelope: CloudEvents attributes plus correlation, causation and version."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """Base of every event payload. Subclasses pin their CloudEvents type and version."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int]


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes (structured mode) and our tracing attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    type: str = Field(description="Event type, past tense, e.g. 'referral.received'")
    source: str = Field(description="URI-reference of the producing service, e.g. '/services/intake'")
    subject: str = Field(description="Id of the aggregate the event is about; also the Kafka key")
    time: datetime
    datacontenttype: Literal["application/json"] = "application/json"
    schemaversion: int = Field(ge=1)
    correlationid: uuid.UUID = Field(description="Shared by every event and log line of one referral journey")
    causationid: uuid.UUID | None = Field(default=None, description="Id of the event or request that caused this")
    # CloudEvents distributed-tracing extension: the W3C trace context the event was written in.
    traceparent: str | None = Field(
        default=None, max_length=55, description="W3C traceparent of the span that wrote the event"
    )
    tracestate: str | None = Field(default=None, max_length=512, description="W3C tracestate, if any")
    # Provenance extension: the producing service signs the envelope when it publishes it, so a
    # record someone else wrote to our topics is told apart (shared.platform.messaging.signing).
    signer: str | None = Field(
        default=None, max_length=64, description="Name of the service that signed the envelope, e.g. 'intake'"
    )
    signature: str | None = Field(
        default=None, max_length=128,
        description="base64url Ed25519 signature by the signer over every other attribute, data included",
    )
    data: dict[str, Any]


def new_envelope(
    payload: EventPayload,
    *,
    source: str,
    subject: str,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    time: datetime | None = None,
    trace_context: Mapping[str, str] | None = None,
) -> Envelope:
    return Envelope(
        id=event_id or uuid.uuid4(),
        type=payload.event_type,
        source=source,
        subject=subject,
        time=time or datetime.now(UTC),
        schemaversion=payload.schema_version,
        correlationid=correlation_id,
        causationid=causation_id,
        traceparent=(trace_context or {}).get("traceparent"),
        tracestate=(trace_context or {}).get("tracestate"),
        data=payload.model_dump(mode="json"),
    )
