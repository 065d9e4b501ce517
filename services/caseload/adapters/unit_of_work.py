"""Caseload's unit of work on PostgreSQL: one transaction, its repositories bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.caseload.adapters import tables
from services.caseload.adapters.repository import (
    SqlCaseRepository,
    SqlCaseViews,
    SqlOfferRepository,
    SqlSettingsRepository,
    SqlWorkerRepository,
)
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork
from shared.platform.audit_sql import SqlAuditTrail
from shared.platform.sealing import KeyEncryptionKey, Sealer
from shared.platform.sealing_sql import SqlDataKeyStore
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/caseload"


class SqlCaseloadUnitOfWork(SqlUnitOfWork, CaseloadUnitOfWork):
    def __init__(self, engine: AsyncEngine, kek: KeyEncryptionKey) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)
        self._kek = kek

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.settings = SqlSettingsRepository(conn)
        self.cases = SqlCaseRepository(conn, self.settings)
        self.workers = SqlWorkerRepository(conn)
        self.offers = SqlOfferRepository(conn)
        self.views = SqlCaseViews(conn)
        self.sealer = Sealer(self._kek, SqlDataKeyStore(conn, tables.data_keys))
        self.audit = SqlAuditTrail(conn, tables.audit_trail)
