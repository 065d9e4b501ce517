from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.caseload.adapters import tables
from services.caseload.adapters.repository import (
    CaseRepository,
    OfferRepository,
    SettingsRepository,
    WorkerRepository,
)
from services.caseload.domain.model import CaseState
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/caseload"


class CaseloadUnitOfWork(SqlUnitOfWork):
    cases: CaseRepository
    workers: WorkerRepository
    offers: OfferRepository
    settings: SettingsRepository

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)
        # Each case's state as folded from its events, within this transaction (see handlers.record).
        self.case_states: dict[uuid.UUID, CaseState] = {}

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.cases = CaseRepository(conn)
        self.workers = WorkerRepository(conn)
        self.offers = OfferRepository(conn)
        self.settings = SettingsRepository(conn)
