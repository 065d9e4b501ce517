"""In-memory identity: the same ports as the SQL adapters, held in dictionaries, and a fast stand-in hasher."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.identity.domain.accounts import Account, Session
from services.identity.service_layer.ports import AccountsRepository, PasswordHasher, SessionsRepository
from services.identity.service_layer.unit_of_work import IdentityUnitOfWork
from shared.platform.oidc import OidcIdentity, OidcTokenRefused
from tests.unit.fakes import FakeMessaging


class FakeAccounts(AccountsRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, Account] = {}

    async def add(self, account: Account) -> None:
        self.by_id[account.id] = account

    async def get(self, account_id: uuid.UUID) -> Account | None:
        return self.by_id.get(account_id)

    async def by_email(self, email: str) -> Account | None:
        return next((a for a in self.by_id.values() if a.email == email), None)

    async def list(self, limit: int, offset: int) -> list[Account]:
        return sorted(self.by_id.values(), key=lambda a: a.email)[offset:offset + limit]

    async def save(self, account: Account) -> None:
        self.by_id[account.id] = account


class FakeSessions(SessionsRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, Session] = {}

    async def add(self, session: Session) -> None:
        self.by_id[session.id] = session

    async def get(self, session_id: uuid.UUID) -> Session | None:
        return self.by_id.get(session_id)

    async def live_of(self, account_id: uuid.UUID, at: datetime) -> list[Session]:
        return [s for s in self.by_id.values() if s.account_id == account_id and s.live(at)]

    async def save(self, session: Session) -> None:
        self.by_id[session.id] = session


class FakeIdentityUnitOfWork(FakeMessaging, IdentityUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.accounts = FakeAccounts()
        self.sessions = FakeSessions()


class PlainHasher(PasswordHasher):
    """Reversible on purpose (argon2 is slow, and its own test is in test_passwords.py): "h:" + the password."""

    def hash(self, password: str) -> str:
        return "h:" + password

    def verify(self, password: str, password_hash: str) -> bool:
        return password_hash == "h:" + password


class FakeVerifier:
    """Accepts the tokens it was told about, as the identity they stand for; refuses any other."""

    def __init__(self, known: dict[str, OidcIdentity] | None = None) -> None:
        self.known = dict(known or {})

    async def verify(self, token: str) -> OidcIdentity:
        if token not in self.known:
            raise OidcTokenRefused("bad signature")
        return self.known[token]
