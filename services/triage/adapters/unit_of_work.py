"""Triage's unit of work on PostgreSQL: one transaction, with the SQL repositories and views bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.triage.adapters import tables
from services.triage.adapters.repository import SqlDecisionRepository, SqlReviewRepository, SqlRuleSetRepository
from services.triage.adapters.views import SqlTriageViews
from services.triage.service_layer.unit_of_work import TriageUnitOfWork
from shared.platform.audit_sql import SqlAuditTrail
from shared.platform.sealing import KeyEncryptionKey, Sealer
from shared.platform.sealing_sql import SqlDataKeyStore
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/triage"


class SqlTriageUnitOfWork(SqlUnitOfWork, TriageUnitOfWork):
    def __init__(self, engine: AsyncEngine, kek: KeyEncryptionKey) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)
        self._kek = kek

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.decisions = SqlDecisionRepository(conn)
        self.reviews = SqlReviewRepository(conn)
        self.rulesets = SqlRuleSetRepository(conn)
        self.views = SqlTriageViews(conn)
        self.sealer = Sealer(self._kek, SqlDataKeyStore(conn, tables.data_keys))
        self.audit = SqlAuditTrail(conn, tables.audit_trail)
