"""What identity's service layer needs from the outside: its repositories and a password hasher."""

from __future__ import annotations

import abc
import uuid
from datetime import datetime
from typing import Protocol

from services.identity.domain.accounts import Account, Session
from shared.platform.oidc import OidcIdentity


class AccountsRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, account: Account) -> None:
        """Store a new account; an email already held raises Conflict at commit (or here)."""

    @abc.abstractmethod
    async def get(self, account_id: uuid.UUID) -> Account | None: ...

    @abc.abstractmethod
    async def by_email(self, email: str) -> Account | None: ...

    @abc.abstractmethod
    async def list(self, limit: int, offset: int) -> list[Account]: ...

    @abc.abstractmethod
    async def save(self, account: Account) -> None: ...


class SessionsRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, session: Session) -> None: ...

    @abc.abstractmethod
    async def get(self, session_id: uuid.UUID) -> Session | None: ...

    @abc.abstractmethod
    async def live_of(self, account_id: uuid.UUID, at: datetime) -> list[Session]: ...

    @abc.abstractmethod
    async def save(self, session: Session) -> None: ...


class PasswordHasher(abc.ABC):
    @abc.abstractmethod
    def hash(self, password: str) -> str: ...

    @abc.abstractmethod
    def verify(self, password: str, password_hash: str) -> bool: ...


class TokenVerifier(Protocol):
    """Verifies an OpenID Connect issuer's token (shared.platform.oidc.OidcVerifier is the real one)."""

    async def verify(self, token: str) -> OidcIdentity: ...
