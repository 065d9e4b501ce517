"""Identity's repositories: the only code that reads and writes accounts and sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from services.identity.domain.accounts import Account, Session
from services.identity.service_layer.ports import AccountsRepository, SessionsRepository

from . import tables as t


def _account(row) -> Account:
    return Account(
        id=row.id, name=row.name, email=row.email, roles=tuple(row.roles), password_hash=row.password_hash,
        created_at=row.created_at, updated_at=row.updated_at, programmes=tuple(row.programmes),
        sites=tuple(row.sites), worker_id=row.worker_id, disabled=row.disabled,
        partner_id=row.partner_id,
    )


def _account_values(account: Account) -> dict:
    return dict(
        name=account.name, email=account.email, roles=list(account.roles), programmes=list(account.programmes),
        sites=list(account.sites), worker_id=account.worker_id, disabled=account.disabled, partner_id=account.partner_id,
        password_hash=account.password_hash, created_at=account.created_at, updated_at=account.updated_at,
    )


class SqlAccounts(AccountsRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, account: Account) -> None:
        await self._conn.execute(sa.insert(t.accounts).values(id=account.id, **_account_values(account)))

    async def get(self, account_id: uuid.UUID) -> Account | None:
        row = (await self._conn.execute(sa.select(t.accounts).where(t.accounts.c.id == account_id))).first()
        return _account(row) if row else None

    async def by_email(self, email: str) -> Account | None:
        row = (await self._conn.execute(sa.select(t.accounts).where(t.accounts.c.email == email))).first()
        return _account(row) if row else None

    async def list(self, limit: int, offset: int) -> list[Account]:
        rows = await self._conn.execute(
            sa.select(t.accounts).order_by(t.accounts.c.email).limit(limit).offset(offset))
        return [_account(row) for row in rows]

    async def save(self, account: Account) -> None:
        await self._conn.execute(
            sa.update(t.accounts).where(t.accounts.c.id == account.id).values(**_account_values(account)))


def _session(row) -> Session:
    return Session(id=row.id, account_id=row.account_id, issued_at=row.issued_at, expires_at=row.expires_at,
                   revoked_at=row.revoked_at, revoked_reason=row.revoked_reason)


class SqlSessions(SessionsRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, session: Session) -> None:
        await self._conn.execute(sa.insert(t.sessions).values(
            id=session.id, account_id=session.account_id, issued_at=session.issued_at,
            expires_at=session.expires_at, revoked_at=session.revoked_at, revoked_reason=session.revoked_reason))

    async def get(self, session_id: uuid.UUID) -> Session | None:
        row = (await self._conn.execute(sa.select(t.sessions).where(t.sessions.c.id == session_id))).first()
        return _session(row) if row else None

    async def live_of(self, account_id: uuid.UUID, at: datetime) -> list[Session]:
        rows = await self._conn.execute(
            sa.select(t.sessions).where(t.sessions.c.account_id == account_id, t.sessions.c.revoked_at.is_(None),
                                        t.sessions.c.expires_at > at).with_for_update())
        return [_session(row) for row in rows]

    async def save(self, session: Session) -> None:
        await self._conn.execute(sa.update(t.sessions).where(t.sessions.c.id == session.id).values(
            revoked_at=session.revoked_at, revoked_reason=session.revoked_reason))
