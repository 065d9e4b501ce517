"""Identity's use cases: one handler per command, each in its own unit of work.

Sign-in issues the platform's staff token (shared.platform.auth.issue_staff_token) with the
session id in it; signing out, or disabling an account, marks the sessions revoked and
publishes identity.session_revoked (through the outbox), which every service reads to refuse
those tokens before they expire.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.identity.domain.accounts import Account, Session, checked_partner, checked_roles, normalise_email
from services.identity.service_layer import commands as c
from services.identity.service_layer.errors import EmailTaken, NotFound, OidcNotConfigured, SignInRefused
from services.identity.service_layer.ports import PasswordHasher, TokenVerifier
from services.identity.service_layer.unit_of_work import IdentityUnitOfWork
from shared.platform.auth import DEFAULT_TOKEN_LIFETIME, issue_staff_token
from shared.platform.uow import Conflict
from shared.schemas import topics
from shared.schemas.events.session import SessionRevoked


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SignedIn:
    access_token: str
    session: Session
    expires_in: int  # seconds


@dataclass
class Identity:
    """What identity's entrypoints are given: a fresh unit of work per use, the hasher, the token secret."""

    uow: Callable[[], IdentityUnitOfWork]
    hasher: PasswordHasher
    # The staff token secret, read when a token is issued (wiring alone reads no settings).
    token_secret: Callable[[], str]
    # The configured OpenID Connect issuer's verifier (shared.platform.oidc.OidcVerifier); None: not configured.
    oidc: TokenVerifier | None = None
    token_lifetime: timedelta = DEFAULT_TOKEN_LIFETIME
    clock: Callable[[], datetime] = _now
    _dummy_hash: str | None = field(default=None, init=False, repr=False)

    def dummy_hash(self) -> str:
        """A hash no password matches: an unknown email is verified against it, so it takes as long as a known one."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(32))
        return self._dummy_hash

    async def handle(self, command: c.Command):
        handler = HANDLERS[type(command)]
        return await handler(self, command)


async def _hash(deps: Identity, password: str) -> str:
    # argon2 is slow on purpose: in a thread, so other requests are answered meanwhile.
    return await asyncio.to_thread(deps.hasher.hash, password)


async def create_account(deps: Identity, cmd: c.CreateAccount) -> Account:
    now = deps.clock()
    roles = checked_roles(cmd.roles)
    account = Account(
        id=uuid.uuid4(), name=cmd.name, email=normalise_email(cmd.email), roles=roles,
        password_hash=await _hash(deps, cmd.password), created_at=now, updated_at=now,
        programmes=tuple(dict.fromkeys(cmd.programmes)), sites=tuple(dict.fromkeys(cmd.sites)),
        worker_id=cmd.worker_id, partner_id=checked_partner(roles, cmd.partner_id),
    )
    async with deps.uow() as uow:
        if await uow.accounts.by_email(account.email) is not None:
            raise EmailTaken(f"an account with email {account.email} exists")
        await uow.accounts.add(account)
        try:
            await uow.commit()
        except Conflict:  # another request stored the same email first
            raise EmailTaken(f"an account with email {account.email} exists") from None
    return account


async def update_account(deps: Identity, cmd: c.UpdateAccount) -> Account:
    now = deps.clock()
    async with deps.uow() as uow:
        account = await uow.accounts.get(cmd.account_id)
        if account is None:
            raise NotFound(f"no account {cmd.account_id}")
        before = account
        account = account.changed(now, **cmd.changes)
        await uow.accounts.save(account)
        if account.disabled and not before.disabled:
            # A disabled account's tokens stop working everywhere now, not when they expire.
            await _revoke_all(uow, deps, account.id, now, "account_disabled", cmd.correlation_id)
        elif _grants(account) != _grants(before):
            # A token carries the roles, programmes and worker profile it was issued with: one issued before
            # a change would act on the old ones (a role taken away, say) until it expired. Sign in again.
            await _revoke_all(uow, deps, account.id, now, "account_changed", cmd.correlation_id)
        await uow.commit()
    return account


def _grants(account: Account) -> tuple:
    """What a token of the account carries, besides who it is."""
    return account.roles, account.programmes, account.sites, account.worker_id, account.partner_id


async def set_password(deps: Identity, cmd: c.SetPassword) -> Account:
    now = deps.clock()
    password_hash = await _hash(deps, cmd.password)
    async with deps.uow() as uow:
        account = await uow.accounts.get(cmd.account_id)
        if account is None:
            raise NotFound(f"no account {cmd.account_id}")
        account = account.changed(now, password_hash=password_hash)
        await uow.accounts.save(account)
        # A password is reset when the old one may be known to someone else: their sessions end with it.
        await _revoke_all(uow, deps, account.id, now, "password_changed", cmd.correlation_id)
        await uow.commit()
    return account


async def sign_in(deps: Identity, cmd: c.SignIn) -> SignedIn:
    now = deps.clock()
    async with deps.uow() as uow:
        account = await uow.accounts.by_email(normalise_email(cmd.email))
    # Verified even when there is no such account, against a hash nothing matches: the answer
    # takes about as long either way, so timing does not tell which emails have accounts.
    # Outside the transaction: hashing is slow on purpose and needs no database connection.
    expected = account.password_hash if account else await asyncio.to_thread(deps.dummy_hash)
    matches = await asyncio.to_thread(deps.hasher.verify, cmd.password, expected)
    if account is None or not matches or account.disabled:
        raise SignInRefused()
    return await _start_session(deps, account, now)


async def sign_in_with_oidc(deps: Identity, cmd: c.SignInWithOidc) -> SignedIn:
    """The identity provider vouches for who this is; what they may do here is still their account's."""
    if deps.oidc is None:
        raise OidcNotConfigured()
    # Raises the verifier's refusal (shared.platform.oidc.OidcTokenRefused) for any token not good.
    verified = await deps.oidc.verify(cmd.token)
    if not verified.email or verified.email_verified is False:
        # The account is found by email: a token without one names nobody here, and one whose provider
        # says it has not checked the email could name anybody's.
        raise SignInRefused()
    async with deps.uow() as uow:
        account = await uow.accounts.by_email(normalise_email(verified.email))
    if account is None or account.disabled:
        raise SignInRefused()
    return await _start_session(deps, account, deps.clock())


async def _start_session(deps: Identity, account: Account, now: datetime) -> SignedIn:
    session = Session.start(account.id, now, deps.token_lifetime)
    async with deps.uow() as uow:
        # Looked at again in the transaction that starts the session: disabling meanwhile wins.
        current = await uow.accounts.get(account.id)
        if current is None or current.disabled:
            raise SignInRefused()
        await uow.sessions.add(session)
        await uow.commit()
    # Roles, programmes, sites and worker profile are read again from the account as it is now.
    token = issue_staff_token(deps.token_secret(), str(current.id), list(current.roles), ttl=deps.token_lifetime,
                              worker_id=current.worker_id, programmes=list(current.programmes) or None,
                              sites=list(current.sites) or None, session_id=session.id,
                              partner_id=current.partner_id)
    return SignedIn(access_token=token, session=session, expires_in=int(deps.token_lifetime.total_seconds()))


async def sign_out(deps: Identity, cmd: c.SignOut) -> Session:
    now = deps.clock()
    async with deps.uow() as uow:
        session = await uow.sessions.get(cmd.session_id)
        if session is None or session.account_id != cmd.account_id:
            raise NotFound(f"no session {cmd.session_id}")
        if session.revoked_at is None:
            session = await _revoke(uow, deps, session, now, "signed_out", cmd.correlation_id)
            await uow.commit()
    return session


async def _revoke(uow: IdentityUnitOfWork, deps: Identity, session: Session, now: datetime, reason: str,
                  correlation_id: uuid.UUID) -> Session:
    session = session.revoked(now, reason)
    await uow.sessions.save(session)
    await uow.emit(
        SessionRevoked(session_id=session.id, account_id=session.account_id, expires_at=session.expires_at,
                       reason=reason, revoked_at=now),
        topic=topics.SESSIONS, subject=str(session.account_id), correlation_id=correlation_id,
    )
    return session


async def _revoke_all(uow: IdentityUnitOfWork, deps: Identity, account_id: uuid.UUID, now: datetime, reason: str,
                      correlation_id: uuid.UUID) -> None:
    for session in await uow.sessions.live_of(account_id, now):
        await _revoke(uow, deps, session, now, reason, correlation_id)


async def list_accounts(deps: Identity, limit: int, offset: int) -> list[Account]:
    async with deps.uow() as uow:
        return await uow.accounts.list(limit, offset)


async def get_account(deps: Identity, account_id: uuid.UUID) -> Account:
    async with deps.uow() as uow:
        account = await uow.accounts.get(account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    return account


HANDLERS = {
    c.CreateAccount: create_account,
    c.UpdateAccount: update_account,
    c.SetPassword: set_password,
    c.SignIn: sign_in,
    c.SignInWithOidc: sign_in_with_oidc,
    c.SignOut: sign_out,
}
