"""The outcomes service: wiring of its routes, subscribers, tables and migrations."""

from __future__ import annotations

from pathlib import Path

from services.outcomes.adapters import tables
from services.outcomes.entrypoints.consumers import build_consumers
from services.outcomes.entrypoints.http import router
from shared.platform.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="outcomes",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    consumers=build_consumers,
)
