from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.intake.adapters import tables
from services.intake.adapters.repository import (
    PartnerRepository,
    PersonRepository,
    ReferralRepository,
    WebhookRepository,
)
from shared.platform.uow import SqlUnitOfWork

SOURCE = "/services/intake"


class IntakeUnitOfWork(SqlUnitOfWork):
    referrals: ReferralRepository
    partners: PartnerRepository
    persons: PersonRepository
    webhooks: WebhookRepository

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine, outbox=tables.outbox, inbox=tables.inbox, source=SOURCE)

    def _bind_repositories(self, conn: AsyncConnection) -> None:
        self.referrals = ReferralRepository(conn)
        self.partners = PartnerRepository(conn)
        self.persons = PersonRepository(conn)
        self.webhooks = WebhookRepository(conn)
