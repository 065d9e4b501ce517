"""The triage service: wiring of its routes, subscribers, tables and migrations."""

from __future__ import annotations

from pathlib import Path

from services.triage.adapters import tables
from services.triage.entrypoints.consumers import build_consumers
from services.triage.entrypoints.http import router
from shared.platform.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="triage",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    consumers=build_consumers,
)
