"""Staff accounts and their sign-in sessions: the rules, with no I/O.

An account is a member of staff who signs in with an email and password; its roles are
the platform's staff roles (shared.platform.auth.STAFF_ROLES), and a worker's account
names the caseload worker profile it acts as. A session is one sign-in: the token issued
carries its id, so signing out (or disabling the account) can revoke that token early.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from shared.platform.auth import REFERRER, STAFF_ROLES


class UnknownRole(ValueError):
    pass


def normalise_email(email: str) -> str:
    """Emails are compared lower-cased and trimmed: one account per address however it is typed."""
    return email.strip().lower()


def checked_roles(roles: list[str] | frozenset[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = set(roles) - STAFF_ROLES
    if unknown:
        raise UnknownRole(f"unknown roles: {', '.join(sorted(unknown))}")
    return tuple(sorted(set(roles)))


def checked_partner(roles: tuple[str, ...], partner_id: str | None) -> str | None:
    """A referrer (a partner's staff) is bound to one partner and holds no scheme role; nobody else names one."""
    if REFERRER in roles and (set(roles) != {REFERRER} or not partner_id):
        raise UnknownRole("a referrer holds that role alone and names the partner they work for (partner_id)")
    if partner_id and REFERRER not in roles:
        raise UnknownRole("only a referrer's account names a partner")
    return partner_id or None


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    name: str
    email: str
    roles: tuple[str, ...]
    password_hash: str
    created_at: datetime
    updated_at: datetime
    programmes: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    worker_id: uuid.UUID | None = None
    disabled: bool = False
    partner_id: str | None = None  # a referrer's partner (shared.platform.auth.REFERRER)

    def changed(self, at: datetime, **fields) -> Account:
        if "roles" in fields:
            fields["roles"] = checked_roles(fields["roles"])
        for listed in ("programmes", "sites"):
            if listed in fields:
                fields[listed] = tuple(dict.fromkeys(fields[listed]))  # kept in order, once each
        changed = replace(self, updated_at=at, **fields)
        checked_partner(changed.roles, changed.partner_id)
        return changed


@dataclass(frozen=True)
class Session:
    id: uuid.UUID
    account_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = field(default=None)

    @classmethod
    def start(cls, account_id: uuid.UUID, at: datetime, lifetime: timedelta) -> Session:
        return cls(id=uuid.uuid4(), account_id=account_id, issued_at=at, expires_at=at + lifetime)

    def live(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at

    def revoked(self, at: datetime, reason: str) -> Session:
        return replace(self, revoked_at=at, revoked_reason=reason)
