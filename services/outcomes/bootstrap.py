"""Outcomes' composition root: the dependencies its routes and subscribers use, wired once from the running context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from services.outcomes.adapters.unit_of_work import SqlOutcomesUnitOfWork
from services.outcomes.adapters.views import SqlOutcomesViews
from services.outcomes.service_layer.ports import OutcomesViews
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.platform.definition import ServiceContext


@dataclass(frozen=True)
class OutcomesDependencies:
    uow: Callable[[], OutcomesUnitOfWork]  # a new unit of work for each event handled
    views: OutcomesViews  # the read side the reports count from


def bootstrap(ctx: ServiceContext) -> OutcomesDependencies:
    return OutcomesDependencies(uow=partial(SqlOutcomesUnitOfWork, ctx.engine), views=SqlOutcomesViews(ctx.engine))
