"""The outcomes unit of work over PostgreSQL: one transaction, the SQL repositories bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.outcomes.adapters import tables
from services.outcomes.adapters.repository import (
    SqlCaseFacts,
    SqlMeasures,
    SqlReferralFacts,
    SqlSignposts,
    SqlUnmetNeeds,
)
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.platform.sealing import KeyEncryptionKey, Sealer
from shared.platform.sealing_sql import SqlDataKeyStore
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/outcomes"


class SqlOutcomesUnitOfWork(SqlUnitOfWork, OutcomesUnitOfWork):
    def __init__(self, engine: AsyncEngine, kek: KeyEncryptionKey) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)
        self._kek = kek

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.referrals = SqlReferralFacts(conn)
        self.cases = SqlCaseFacts(conn)
        self.measures = SqlMeasures(conn)
        self.signposts = SqlSignposts(conn)
        self.unmet_needs = SqlUnmetNeeds(conn)
        self.sealer = Sealer(self._kek, SqlDataKeyStore(conn, tables.data_keys))
