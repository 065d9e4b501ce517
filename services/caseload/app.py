"""The caseload service: wiring of its routes, subscribers, tables and migrations."""

from __future__ import annotations

from pathlib import Path

from services.caseload.adapters import tables
from services.caseload.entrypoints.consumers import build_consumers
from services.caseload.entrypoints.http import router
from shared.platform.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="caseload",
    schema=tables.SCHEMA,
    migrations=Path(__file__).parent / "adapters" / "migrations",
    outbox=tables.outbox,
    routers=[router],
    consumers=build_consumers,
)
