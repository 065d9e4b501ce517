"""What a service is (its definition) and what a running one hands its consumers and routes (its context).

Kept apart from service.py, which runs a definition, so the API documents can read a
definition without importing the runner that serves them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.platform.input_limits import InputLimits
from shared.platform.messaging.consumer import EventConsumer
from shared.platform.messaging.lag import GroupLag
from shared.platform.messaging.relay import OutboxRelay
from shared.platform.messaging.signing import EnvelopeSigner, EnvelopeVerifier
from shared.platform.settings import PlatformSettings
from shared.schemas.topics import Topics


@dataclass(frozen=True)
class Publication:
    """Events a service publishes to one topic (through its outbox)."""

    topic: str  # the base name; a `{parameter}` in it names a topic per value (see `parameters`)
    event_types: tuple[str, ...]
    description: str = ""
    parameters: tuple[tuple[str, str], ...] = ()  # (name, description)
    # The versions sent now, where older ones are only still read (e.g. referral.received 2); empty: every version.
    versions: tuple[int, ...] = ()


@dataclass(frozen=True)
class ServiceApi:
    """A service's API documentation: what it is for, and what it publishes."""

    summary: str
    description: str
    publishes: tuple[Publication, ...] = ()


@dataclass
class ServiceContext:
    """What a running service hands to its consumers and routes."""

    name: str
    settings: PlatformSettings
    engine: AsyncEngine
    producer: AIOKafkaProducer
    topics: Topics
    consumers: list[EventConsumer] = field(default_factory=list)
    relay: OutboxRelay | None = None
    lag_probes: dict[str, GroupLag] = field(default_factory=dict)  # by consumer group, opened by the first scrape
    # What the service's bootstrap wired (unit of work factory, rule book, clock): routes and
    # consumers take their dependencies from here, never from module globals.
    dependencies: Any = None
    # This service's signing key and everyone's public keys (set by the runner from its settings).
    signer: EnvelopeSigner | None = None
    verifier: EnvelopeVerifier | None = None
    # The service's parked records (shared/platform/messaging/dead_letter_archive.py), set by the runner.
    dead_letters: Any = None

    def consumer(self, group: str, topic: str, handlers: dict) -> EventConsumer:
        """A subscriber of this service: its own group, its own dead-letter topic."""
        return EventConsumer(
            group=group,
            topic=topic,
            dead_letter_topic=self.topics.dead_letter(group),
            handlers=handlers,
            verifier=self.verifier,
            producer=self.producer,
            settings=self.settings,
        )


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    schema: str
    migrations: Path
    outbox: sa.Table
    routers: list[APIRouter]
    consumers: Callable[[ServiceContext], list[EventConsumer]]
    background: Callable[[ServiceContext], list[Callable[[], Awaitable[None]]]] | None = None
    # Runs once before the relay and subscribers start (e.g. topics the service publishes to).
    startup: Callable[[ServiceContext], Awaitable[None]] | None = None
    # Wires the service's dependencies from the running context (its bootstrap.py); the result is
    # ctx.dependencies, built before startup, consumers and background jobs.
    bootstrap: Callable[[ServiceContext], Any] | None = None
    # Refreshes the service's own queue gauges from its database when Prometheus scrapes.
    domain_gauges: Callable[[AsyncConnection], Awaitable[None]] | None = None
    # Body size limits by path, nesting depth (shared/platform/input_limits.py); the defaults if None.
    input_limits: InputLimits | None = None
    # What the service is for and what it publishes: its OpenAPI info and AsyncAPI document.
    api: ServiceApi | None = None
