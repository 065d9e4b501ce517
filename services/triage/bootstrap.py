"""Triage's dependencies, wired once from the running service's context: routes and consumers take them
from `ctx.dependencies`, and tests build their own with fakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from services.triage.adapters.unit_of_work import SqlTriageUnitOfWork
from services.triage.service_layer.rulebook import RuleBook
from services.triage.service_layer.unit_of_work import Clock, UnitOfWorkFactory
from shared.platform.definition import ServiceContext
from shared.platform.sealing import LocalKeyEncryptionKey

SHIPPED_RULESETS = Path(__file__).resolve().parent / "rulesets"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TriageDependencies:
    uow_factory: UnitOfWorkFactory
    rulebook: RuleBook  # one per process: it caches the rule-set versions it has parsed
    clock: Clock = utc_now
    shipped_rulesets: Path = SHIPPED_RULESETS


def bootstrap(ctx: ServiceContext) -> TriageDependencies:
    # Read on first use: the API documents bootstrap a context that has no settings, only to wire it.
    kek = cache(lambda: LocalKeyEncryptionKey.from_setting(ctx.settings.data_encryption_key))
    return TriageDependencies(uow_factory=lambda: SqlTriageUnitOfWork(ctx.engine, kek()), rulebook=RuleBook())
