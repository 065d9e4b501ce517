"""Identity's unit of work, as the service layer sees it: accounts and sessions, with the outbox
every unit of work has (session revocations are published through it)."""

from __future__ import annotations

from services.identity.service_layer.ports import AccountsRepository, SessionsRepository
from shared.platform.uow import UnitOfWork


class IdentityUnitOfWork(UnitOfWork):
    accounts: AccountsRepository
    sessions: SessionsRepository
