from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from services.outcomes.adapters import tables as t
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/outcomes"


class OutcomesUnitOfWork(SqlUnitOfWork):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, outbox=t.outbox, inbox=t.inbox, source=SOURCE)
