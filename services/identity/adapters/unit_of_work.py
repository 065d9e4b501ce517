"""Identity's unit of work over PostgreSQL: one transaction, the SQL repositories bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.identity.adapters import tables
from services.identity.adapters.repository import SqlAccounts, SqlSessions
from services.identity.service_layer.unit_of_work import IdentityUnitOfWork
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/identity"


class SqlIdentityUnitOfWork(SqlUnitOfWork, IdentityUnitOfWork):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.accounts = SqlAccounts(conn)
        self.sessions = SqlSessions(conn)
