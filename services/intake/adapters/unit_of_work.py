"""Intake's unit of work on PostgreSQL: one transaction, its repositories bound to it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import tables
from services.intake.adapters.registry import SqlAuditTrail, SqlCaseHolderRepository, SqlErasureRepository
from services.intake.adapters.repository import (
    SqlBatchRepository,
    SqlOutreachRepository,
    SqlPartnerRepository,
    SqlPersonRepository,
    SqlProgrammeRepository,
    SqlReferralRepository,
    SqlWebhookRepository,
)
from services.intake.adapters.search import SqlReferralSearchRepository
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.blind_index import BlindIndex
from shared.platform.sealing import KeyEncryptionKey, Sealer
from shared.platform.sealing_sql import SqlDataKeyStore
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/intake"


class SqlIntakeUnitOfWork(SqlUnitOfWork, IntakeUnitOfWork):
    def __init__(self, engine: AsyncEngine, kek: KeyEncryptionKey, index: BlindIndex) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)
        self._kek = kek
        self._index = index

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        # Keys are made and destroyed in the same transaction as what they seal.
        self.sealer = Sealer(self._kek, SqlDataKeyStore(conn, tables.data_keys))
        self.referrals = SqlReferralRepository(conn)
        self.persons = SqlPersonRepository(conn, self.sealer, self._index)
        self.partners = SqlPartnerRepository(conn)
        self.programmes = SqlProgrammeRepository(conn)
        self.outreach = SqlOutreachRepository(conn)
        self.batches = SqlBatchRepository(conn)
        self.webhooks = SqlWebhookRepository(conn)
        self.case_holders = SqlCaseHolderRepository(conn)
        self.audit = SqlAuditTrail(conn)
        self.erasure = SqlErasureRepository(conn)
        self.search = SqlReferralSearchRepository(conn, self._index)
