"""Outcomes' composition root: the dependencies its routes and subscribers use, wired once from the running context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from services.outcomes.adapters.unit_of_work import SqlOutcomesUnitOfWork
from services.outcomes.adapters.views import SqlOutcomesViews
from services.outcomes.service_layer.ports import OutcomesViews
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.platform.definition import ServiceContext
from shared.platform.sealing import LocalKeyEncryptionKey


@dataclass(frozen=True)
class OutcomesDependencies:
    uow: Callable[[], OutcomesUnitOfWork]  # a new unit of work for each event handled
    views: OutcomesViews  # the read side the reports count from


def bootstrap(ctx: ServiceContext) -> OutcomesDependencies:
    # Read on first use: the API documents bootstrap a context that has no settings, only to wire it.
    kek = cache(lambda: LocalKeyEncryptionKey.from_setting(ctx.settings.data_encryption_key))
    return OutcomesDependencies(uow=lambda: SqlOutcomesUnitOfWork(ctx.engine, kek()),
                                views=SqlOutcomesViews(ctx.engine))
