"""Identity's commands: what a request asks for, already checked for shape by the entrypoint."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CreateAccount:
    name: str
    email: str
    roles: tuple[str, ...]
    password: str = field(repr=False)  # never in a repr, so never in a log line
    programmes: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    worker_id: uuid.UUID | None = None
    partner_id: str | None = None  # a referrer's partner
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class UpdateAccount:
    """Only the fields given change; `changes` names them (worker_id may be changed to None)."""

    account_id: uuid.UUID
    changes: dict = field(default_factory=dict)
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class SetPassword:
    account_id: uuid.UUID
    password: str = field(repr=False)  # never in a repr, so never in a log line
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class SignIn:
    email: str
    password: str = field(repr=False)  # never in a repr, so never in a log line
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class SignInWithOidc:
    """An ID token (or access token) of the configured OpenID Connect issuer."""

    token: str = field(repr=False)  # a bearer credential: never in a repr, so never in a log line
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True)
class SignOut:
    session_id: uuid.UUID
    account_id: uuid.UUID
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


Command = CreateAccount | UpdateAccount | SetPassword | SignIn | SignInWithOidc | SignOut
