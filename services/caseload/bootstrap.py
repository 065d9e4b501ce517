"""Caseload's wiring: the one place that chooses the unit of work and hands it to routes,
consumers and timers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from services.caseload.adapters.unit_of_work import SqlCaseloadUnitOfWork
from services.caseload.service_layer import handlers
from services.caseload.service_layer.commands import Command
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.definition import ServiceContext
from shared.platform.sealing import LocalKeyEncryptionKey


@dataclass(frozen=True)
class Caseload:
    """What caseload's entrypoints are given: a fresh unit of work per use, and the command handlers."""

    uow: Callable[[], CaseloadUnitOfWork]

    async def handle(self, command: Command) -> Any:
        return await handlers.handle(command, self.uow())


def bootstrap(ctx: ServiceContext) -> Caseload:
    # Read on first use: the API documents bootstrap a context that has no settings, only to wire it.
    kek = cache(lambda: LocalKeyEncryptionKey.from_setting(ctx.settings.data_encryption_key))
    return Caseload(uow=lambda: SqlCaseloadUnitOfWork(ctx.engine, kek()))
