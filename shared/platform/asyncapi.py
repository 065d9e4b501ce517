"""AsyncAPI 3.0 for each service's topics: what it publishes (declared) and receives (read from its consumers).

What a service publishes is declared next to it (`ServiceApi.publishes`, in
services/<name>/app.py). What it receives is read from the consumers it really
builds: `definition.consumers` is called with a context that has no database or
broker connection (building a consumer only wires it, nothing connects), so
groups, topics and handled event types come from the code itself.

Payloads are the JSON Schemas generated for the recorded event contracts
(shared/schemas/jsonschema.py), so these documents and the snapshots in
shared/schemas/json/ always agree. Their `$defs` are hoisted into
`components.schemas` (so `$ref`s resolve within the AsyncAPI document).

Documents name topics and consumer groups without the deployment's TOPIC_PREFIX,
so the generated files (docs/api/) and what every deployment serves are the same.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from shared.platform.definition import ServiceApi, ServiceContext, ServiceDefinition
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.sessions import revocations_consumer
from shared.schemas import jsonschema, topics
from shared.schemas.registry import EVENT_MODELS

if TYPE_CHECKING:
    from shared.platform.messaging.consumer import RecordConsumer

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
PACKAGE = "community-connector-referrals"
SYSTEM_TITLE = "Community connector referrals"
CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"
KEY_IS_SUBJECT = "The envelope's subject: the id of the aggregate the event is about (see the channel)"

# The headers the outbox relay sets on every event (shared/platform/messaging/relay.py): name -> (schema, required).
RELAY_HEADERS: dict[str, tuple[dict[str, Any], bool]] = {
    "ce_id": ({"type": "string", "format": "uuid", "description": "CloudEvents id: the envelope's `id`"}, True),
    "ce_type": ({"type": "string", "description": "CloudEvents type: the envelope's `type`"}, True),
    "ce_specversion": ({"type": "string", "const": "1.0", "description": "CloudEvents spec version"}, True),
    "correlation_id": (
        {"type": "string", "format": "uuid", "description": "The envelope's `correlationid`: one referral journey"},
        True,
    ),
    "content-type": ({"type": "string", "const": CLOUDEVENTS_CONTENT_TYPE, "description": "Structured mode"}, True),
    "traceparent": (
        {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": "W3C trace context (https://www.w3.org/TR/trace-context/): the span that published "
            "the event, parent of the consumer's span",
        },
        False,
    ),
    "tracestate": ({"type": "string", "description": "W3C trace context vendor state, if any"}, False),
}

# The headers a dead letter carries besides the original record's own (shared/platform/messaging/dead_letter.py).
DEAD_LETTER_HEADERS: dict[str, dict[str, Any]] = {
    "dlt.reason": {"type": "string", "maxLength": 4000, "description": "Why the record could not be handled"},
    "dlt.error_type": {"type": "string", "description": "The exception's class name"},
    "dlt.original_topic": {"type": "string", "description": "Where the record was read"},
    "dlt.original_partition": {"type": "string", "pattern": "^[0-9]+$", "description": "Its partition"},
    "dlt.original_offset": {"type": "string", "pattern": "^[0-9]+$", "description": "Its offset"},
    "dlt.consumer_group": {"type": "string", "description": "The consumer group that gave up on it"},
    "dlt.attempts": {"type": "string", "pattern": "^[0-9]+$", "description": "How many times it was tried"},
    "dlt.failed_at": {"type": "string", "format": "date-time", "description": "When it was parked (UTC)"},
}


@dataclass(frozen=True)
class RecordMessage:
    """What a `RecordConsumer` that is not an `EventConsumer` reads: someone else's records, not our events."""

    name: str
    title: str
    summary: str
    payload: type[BaseModel]
    headers: tuple[tuple[str, str, bool], ...]  # (name, description, required)
    key: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class Subscription:
    """One consumer the service builds: its group, topic and what it handles."""

    group: str
    topic: str
    event_types: tuple[str, ...]
    record: RecordMessage | None = None


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "0.0.0"


def title_of(definition: ServiceDefinition) -> str:
    return f"{SYSTEM_TITLE}: {definition.name}"


# --- what the service receives ----------------------------------------------------------------


def subscriptions(definition: ServiceDefinition) -> list[Subscription]:
    """The service's consumers, built as the running service builds them, without connecting anything."""
    # Building a consumer only wires it: no engine, producer or settings are touched until it runs.
    ctx = ServiceContext(name=definition.name, settings=None, engine=None, producer=None,  # type: ignore[arg-type]
                         topics=topics.Topics(""))
    if definition.bootstrap:  # wiring only: nothing it builds connects until used
        ctx.dependencies = definition.bootstrap(ctx)
    found = []
    # With the platform's own subscription, made in every service (shared/platform/sessions.py).
    for consumer in [*definition.consumers(ctx), revocations_consumer(ctx, None)]:
        if isinstance(consumer, EventConsumer):
            found.append(Subscription(consumer.group, consumer.topic, tuple(sorted(consumer.handlers))))
        else:
            record = _record_message_of(consumer)
            found.append(Subscription(consumer.group, consumer.topic, (), record))
    return sorted(found, key=lambda s: s.group)


def _record_message_of(consumer: RecordConsumer) -> RecordMessage:
    record = getattr(consumer, "record_message", None)
    if not isinstance(record, RecordMessage):
        raise TypeError(f"{type(consumer).__name__} reads raw records: give it a `record_message` to document them")
    return record


# --- schemas ------------------------------------------------------------------------------------


def _refs_in(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs_in(item)


def _local(ref: str) -> str:
    if not ref.startswith("#/$defs/"):
        raise ValueError(f"unexpected $ref {ref!r}: only local #/$defs/ references are hoisted")
    return ref.removeprefix("#/$defs/")


def _closure(name: str, defs: dict[str, Any]) -> list[str]:
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(_local(ref) for ref in _refs_in(defs[current]))
    return sorted(seen)


def _rewrite(node: Any, mapping: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (f"#/components/schemas/{mapping[_local(value)]}" if key == "$ref" else _rewrite(value, mapping))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item, mapping) for item in node]
    return node


class _Schemas:
    """components.schemas: each schema's `$defs` hoisted, shared when identical, namespaced when not."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}
        self._signatures: dict[str, str] = {}

    def add(self, name: str, schema: dict[str, Any]) -> str:
        if name in self.components:
            return self.ref(name)
        schema = copy.deepcopy(schema)
        defs = schema.pop("$defs", {})
        mapping, signatures = {}, {}
        for def_name in sorted(defs):
            signature = json.dumps({n: defs[n] for n in _closure(def_name, defs)}, sort_keys=True)
            target = def_name
            taken_by_other = self._signatures.get(target, signature) != signature
            if taken_by_other or (target in self.components and target not in self._signatures):
                target = f"{name}.{def_name}"
            mapping[def_name], signatures[def_name] = target, signature
        for def_name, target in mapping.items():
            if target not in self.components:
                self.components[target] = _rewrite(defs[def_name], mapping)
                self._signatures[target] = signatures[def_name]
        self.components[name] = _rewrite(schema, mapping)
        return self.ref(name)

    @staticmethod
    def ref(name: str) -> str:
        return f"#/components/schemas/{name}"


def _headers(properties: dict[str, dict[str, Any]], required: Iterable[str], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": sorted(required), **extra}


# --- the document ---------------------------------------------------------------------------------


def _channel_id(address: str) -> str:
    return address.replace("{", "").replace("}", "")


def _versions_of(event_type: str) -> list[int]:
    versions = sorted(v for (t, v) in EVENT_MODELS if t == event_type)
    if not versions:
        raise ValueError(f"no event contract for {event_type!r} (shared/schemas/registry.py)")
    return versions


def build(definition: ServiceDefinition) -> dict[str, Any]:
    """The service's AsyncAPI 3.0 document."""
    api = definition.api or ServiceApi(summary=f"The {definition.name} service.", description="")
    contracts = jsonschema.generate()
    schemas = _Schemas()
    envelope_ref = schemas.add("envelope.v1", contracts["envelope.v1.schema.json"])
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}

    def event_message(event_type: str, version: int) -> str:
        message_id = f"{event_type}.v{version}"
        if message_id not in messages:
            data_ref = schemas.add(message_id, contracts[jsonschema.snapshot_name(event_type, version)])
            model = EVENT_MODELS[(event_type, version)]
            headers = {name: copy.deepcopy(schema) for name, (schema, _) in RELAY_HEADERS.items()}
            headers["ce_type"]["const"] = event_type
            messages[message_id] = {
                "name": event_type,
                "title": f"{event_type} v{version}",
                "summary": (model.__doc__ or event_type).strip().split("\n\n")[0].replace("\n", " "),
                "contentType": CLOUDEVENTS_CONTENT_TYPE,
                "correlationId": {
                    "description": "Shared by every event of one referral journey",
                    "location": "$message.header#/correlation_id",
                },
                "headers": _headers(headers, [n for n, (_, required) in RELAY_HEADERS.items() if required]),
                "payload": {
                    "description": f"A CloudEvents 1.0 envelope (structured mode) whose data is {event_type} "
                    f"version {version}",
                    "allOf": [
                        {"$ref": envelope_ref},
                        {
                            "type": "object",
                            "properties": {
                                "type": {"const": event_type},
                                "schemaversion": {"const": version},
                                "data": {"$ref": data_ref},
                            },
                        },
                    ],
                },
                "bindings": {"kafka": {"key": {"type": "string", "description": KEY_IS_SUBJECT},
                                       "bindingVersion": KAFKA_BINDING_VERSION}},
            }
        return message_id

    def record_message(record: RecordMessage) -> str:
        if record.name not in messages:
            payload_ref = schemas.add(record.name, record.payload.model_json_schema())
            messages[record.name] = {
                "name": record.name,
                "title": record.title,
                "summary": record.summary,
                "contentType": record.content_type,
                "headers": _headers(
                    {name: {"type": "string", "description": text} for name, text, _ in record.headers},
                    [name for name, _, required in record.headers if required],
                ),
                "payload": {"$ref": payload_ref},
                "bindings": {"kafka": {"key": {"type": "string", "description": record.key},
                                       "bindingVersion": KAFKA_BINDING_VERSION}},
            }
        return record.name

    def channel(address: str, description: str, message_ids: Iterable[str], *, parameters=(), partitions=None) -> str:
        channel_id = _channel_id(address)
        entry = channels.setdefault(channel_id, {
            "address": address,
            "description": description,
            "messages": {},
            "servers": [{"$ref": "#/servers/kafka"}],
            "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING_VERSION}},
        })
        if partitions:
            entry["bindings"]["kafka"]["partitions"] = partitions
        if parameters:
            entry["parameters"] = {name: {"description": text} for name, text in parameters}
        for message_id in message_ids:
            entry["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        return channel_id

    def message_refs(channel_id: str, message_ids: Iterable[str]) -> list[dict[str, str]]:
        return [{"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in message_ids]

    for publication in api.publishes:
        ids = [event_message(t, v) for t in publication.event_types for v in _versions_of(t)
               if not publication.versions or v in publication.versions]
        channel_id = channel(publication.topic, publication.description, ids,
                             parameters=publication.parameters, partitions=topics.PARTITIONS)
        # Two publications to one topic (event types sent at different versions) make one operation.
        operations.setdefault(f"send.{channel_id}", {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "title": f"Publish to {publication.topic}",
            "summary": "Written to the outbox in the transaction of the change, published by the relay "
            "(at least once, in order per key)",
            "messages": [],
        })["messages"] += message_refs(channel_id, ids)

    dead_letter_id = "dead-letter"
    for sub in subscriptions(definition):
        if sub.record is not None:
            ids = [record_message(sub.record)]
            description = f"Read by {definition.name} as raw records (not CloudEvents)."
        else:
            ids = [event_message(t, v) for t in sub.event_types for v in _versions_of(t)]
            description = (f"Events on this topic of other types than those listed here are skipped by "
                           f"{definition.name}.")
        channel_id = channel(sub.topic, description, ids, partitions=topics.PARTITIONS)
        operations[f"receive.{sub.group}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "title": f"Consume {sub.topic} as group {sub.group}",
            "summary": "Handled idempotently (inbox); the offset is committed after the handler's transaction; "
            "bounded retries, then the record goes to the group's dead-letter topic",
            "messages": message_refs(channel_id, ids),
            "bindings": {"kafka": {"groupId": {"type": "string", "enum": [sub.group],
                                               "description": "Prefixed with the deployment's TOPIC_PREFIX"},
                                   "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        if dead_letter_id not in messages:
            messages[dead_letter_id] = {
                "name": "dead-letter",
                "title": "Dead letter",
                "summary": "A record a consumer group gave up on: its value, key and headers unchanged, "
                "plus dlt.* headers saying what went wrong",
                "headers": _headers(
                    copy.deepcopy(DEAD_LETTER_HEADERS), DEAD_LETTER_HEADERS,
                    additionalProperties={"type": "string", "description": "The original record's headers"},
                ),
                "payload": {"description": "The original record's value, byte for byte (it may not be valid JSON)"},
                "bindings": {"kafka": {"key": {"type": "string", "description": "The original record's key"},
                                       "bindingVersion": KAFKA_BINDING_VERSION}},
            }
        dlt_id = channel(topics.dead_letter_topic(sub.group),
                         f"Records of {sub.topic} that consumer group {sub.group} could not handle.", [dead_letter_id])
        operations[f"dead-letter.{sub.group}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{dlt_id}"},
            "title": f"Dead-letter what {sub.group} could not handle",
            "summary": "After the last retry, or at once for a record that can never succeed",
            "messages": message_refs(dlt_id, [dead_letter_id]),
        }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:community-connector-referrals:{definition.name}",
        "info": {
            "title": title_of(definition),
            "version": package_version(),
            "description": (
                f"{api.summary}\n\n{api.description}\n\n" if api.description else f"{api.summary}\n\n"
            ) + (
                "Events are CloudEvents 1.0 in structured mode (`application/cloudevents+json`), keyed by the "
                "id of their aggregate, published through a transactional outbox. Topic and consumer group names "
                "are shown without the deployment's `TOPIC_PREFIX`. The HTTP API is described by `/openapi.json`."
            ),
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The Kafka cluster",
                "variables": {"bootstrap": {"default": "localhost:9092",
                                            "description": "KAFKA_BOOTSTRAP_SERVERS"}},
            }
        },
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": dict(sorted(messages.items())), "schemas": dict(sorted(schemas.components.items()))},
    }
