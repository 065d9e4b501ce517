from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.caseload.adapters import tables
from services.caseload.adapters.repository import (
    CaseRepository,
    OfferRepository,
    SettingsRepository,
    WorkerRepository,
)
from shared.platform.uow import UnitOfWork

SOURCE = "/services/caseload"


class CaseloadUnitOfWork(UnitOfWork):
    cases: CaseRepository
    workers: WorkerRepository
    offers: OfferRepository
    settings: SettingsRepository

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.cases = CaseRepository(conn)
        self.workers = WorkerRepository(conn)
        self.offers = OfferRepository(conn)
        self.settings = SettingsRepository(conn)
