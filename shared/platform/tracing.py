"""OpenTelemetry tracing: one trace follows a referral from the HTTP request across every Kafka hop.

The trace context travels as W3C trace context: in HTTP headers (`traceparent`),
in the CloudEvents envelope (`traceparent`/`tracestate`, the CloudEvents
distributed-tracing extension) written to the outbox together with the event,
and in the Kafka record's headers, which the relay sets from a producer span
that is a child of the context the event was written in. A consumer's span is
a child of the producer span, so intake's POST, triage's decision and
caseload's assignment form one trace.

Spans go to an OTLP collector when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and to
a JSON-lines file when `REFERRALS_TRACE_FILE` is set (tests, or a box without a
collector). With neither, trace ids are still made and carried (logs show
them), nothing is exported. Span attributes carry ids and codes, never
personal data.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_lock = threading.Lock()


def configure_tracing(service: str, *, otlp_endpoint: str | None, trace_file: str | None) -> TracerProvider:
    """Install this process's tracer provider once (later calls return the first one)."""
    global _provider
    with _lock:
        if _provider is not None:
            return _provider
        provider = TracerProvider(
            resource=Resource.create({"service.name": f"referrals-{service}", "service.namespace": "referrals"})
        )
        if otlp_endpoint:
            # Imported only when used: the exporter reads the standard OTEL_EXPORTER_OTLP_* variables.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        if trace_file:
            provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(trace_file.format(service=service))))
        trace.set_tracer_provider(provider)
        _provider = provider
        return provider


def shutdown_tracing() -> None:
    """Flush spans not yet exported (called as the service stops)."""
    if _provider is not None:
        _provider.force_flush(timeout_millis=5000)


def tracer() -> trace.Tracer:
    return trace.get_tracer("referrals")


def context_from(carrier: Mapping[str, str | None]) -> Context:
    """The trace context a carrier (HTTP headers, envelope attributes, Kafka headers) names, if any."""
    return _propagator.extract({k: v for k, v in carrier.items() if v})


def current_trace_context() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the active span, for an envelope or an outgoing request."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier


def kafka_headers_context(headers: Sequence[tuple[str, bytes]]) -> Context:
    wanted = {TRACEPARENT, TRACESTATE}
    return context_from({k: v.decode(errors="replace") for k, v in headers if k in wanted and v})


def ids_of_current_span() -> dict[str, str]:
    """Hex trace and span ids of the active span, for log lines; empty outside any span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return {}
    return {"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x")}


@contextmanager
def consuming(topic: str, *, group: str, partition: int, offset: int,
              headers: Sequence[tuple[str, bytes]], event_type: str) -> Iterator[Span]:
    """A CONSUMER span for one record, child of the producer span named in its headers."""
    with tracer().start_as_current_span(
        f"{topic} process",
        context=kafka_headers_context(headers),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": group,
            "messaging.destination.partition.id": str(partition),
            "messaging.kafka.offset": offset,
            "cloudevents.event_type": event_type,
        },
        # Exception messages can quote input (personal data): record the type only.
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as exc:
            mark_failed(span, exc)
            raise


def start_publish_span(topic: str, *, event_id: str, event_type: str, envelope: Mapping) -> Span:
    """A PRODUCER span, child of the context the event was written in (kept in its envelope)."""
    return tracer().start_span(
        f"{topic} publish",
        context=context_from({TRACEPARENT: envelope.get(TRACEPARENT), TRACESTATE: envelope.get(TRACESTATE)}),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.message.id": event_id,
            "cloudevents.event_id": event_id,
            "cloudevents.event_type": event_type,
        },
    )


def headers_for(span: Span) -> list[tuple[str, bytes]]:
    """W3C trace context headers naming `span` as the parent of whatever handles the record."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return [(k, v.encode()) for k, v in carrier.items()]


def link_to_origin(traceparent: str | None, reason: str) -> None:
    """Link the active span to the trace an aggregate began in, when this work runs in another one
    (a worker accepting an offer, a timer, a closure freeing room for someone waiting): from any
    later step one can reach the referral's own trace."""
    if not traceparent:
        return
    origin = trace.get_current_span(context_from({TRACEPARENT: traceparent})).get_span_context()
    span = trace.get_current_span()
    here = span.get_span_context()
    if not (origin.is_valid and here.is_valid) or origin.trace_id == here.trace_id:
        return
    if any(link.context.trace_id == origin.trace_id for link in getattr(span, "links", ())):
        return
    span.add_link(origin, {"referrals.link": reason})


def mark_failed(span: Span, error: BaseException) -> None:
    # The exception type only: messages can quote input, and input can be personal data.
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.set_attribute("error.type", type(error).__name__)


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per finished span to a file."""

    def __init__(self, path: str) -> None:
        self._path = path
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(_as_record(s), separators=(",", ":")) for s in spans]
        with self._lock, open(self._path, "a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _as_record(span: ReadableSpan) -> dict:
    ctx = span.get_span_context()
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
        "service": span.resource.attributes.get("service.name"),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "links": [{"trace_id": format(link.context.trace_id, "032x"), "span_id": format(link.context.span_id, "016x")}
                  for link in span.links],
    }
