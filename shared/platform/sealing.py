"""Envelope encryption of personal data, one data key per person (crypto-shredding).

Each service that keeps or sends anything personal seals it with AES-256-GCM under a data key of its
own for that person. The data keys are stored only wrapped (encrypted) under the service's key-encryption
key, which comes from settings (DATA_ENCRYPTION_KEY) or, in a deployment that has one, a KMS implementing
the same two methods. Destroying a person's data key makes every copy of what was sealed with it
unreadable at once: the database row, the outbox, the topic, the dead letter and the backup, none of which
can be rewritten after the fact. That is how erasure reaches places a DELETE cannot.

A sealed value is text, so it fits JSON columns and event fields:
``sealed:v1:<subject>:<base64url(nonce || ciphertext)>``. The subject is the pseudonymous key name (a
person id, or a submission id before a person is known), never personal data. The purpose ("context") is
bound in as associated data, so a value sealed as one field cannot be passed off as another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Callable
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"
_NONCE = 12
_KEY_BYTES = 32
# A subject is a key name: an id, not free text (it is stored and sent in clear).
_SUBJECT = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
_SEALED = re.compile(r"^sealed:v1:([A-Za-z0-9._-]{1,100}):([A-Za-z0-9_-]+={0,2})$")


class SealingError(Exception):
    """A sealed value that is malformed, or sealed for another purpose or under another key."""


class KeyDestroyed(Exception):  # noqa: N818 - a state the caller handles, not a fault
    """The subject's data key has been destroyed (the person was erased): the value is gone for good."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"the data key of {subject} has been destroyed")
        self.subject = subject


def parse_key_encryption_key(text: str) -> bytes:
    """DATA_ENCRYPTION_KEY: base64 (standard or url-safe) of 32 random bytes."""
    try:
        raw = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("DATA_ENCRYPTION_KEY must be base64 of 32 random bytes") from exc
    if len(raw) != _KEY_BYTES or len(set(raw)) < 8:
        raise ValueError("DATA_ENCRYPTION_KEY must be base64 of 32 random bytes")
    return raw


def generate_key_encryption_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(_KEY_BYTES)).decode().rstrip("=")


class KeyEncryptionKey(Protocol):
    """What wraps data keys: a key from settings here; a KMS client implements the same two methods."""

    def wrap(self, data_key: bytes, subject: str) -> bytes: ...
    def unwrap(self, wrapped: bytes, subject: str) -> bytes: ...


class LocalKeyEncryptionKey:
    """AES-256-GCM key wrapping under a key from settings. A wrapped key starts with the wrapping key's
    fingerprint, so one wrapped under a different key is refused with a clear error, not garbage."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise ValueError("a key-encryption key is 32 bytes")
        self._aead = AESGCM(key)
        self.fingerprint = hashlib.sha256(b"referrals-kek" + key).digest()[:8]

    @classmethod
    def from_setting(cls, text: str) -> LocalKeyEncryptionKey:
        return cls(parse_key_encryption_key(text))

    def wrap(self, data_key: bytes, subject: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return self.fingerprint + nonce + self._aead.encrypt(nonce, data_key, subject.encode())

    def unwrap(self, wrapped: bytes, subject: str) -> bytes:
        if wrapped[:8] != self.fingerprint:
            raise SealingError("the data key was wrapped under another key-encryption key")
        nonce, body = wrapped[8:8 + _NONCE], wrapped[8 + _NONCE:]
        try:
            return self._aead.decrypt(nonce, body, subject.encode())
        except InvalidTag as exc:
            raise SealingError("a wrapped data key failed its integrity check") from exc


class DataKeyStore(Protocol):
    """Where wrapped data keys are kept (a table in the service's own schema; a dict in unit tests)."""

    async def get(self, subject: str) -> bytes | None: ...
    async def add(self, subject: str, wrapped: bytes) -> bytes:
        """Store `wrapped` unless the subject already has a key; return the one stored (first writer wins)."""
        ...
    async def destroy(self, subject: str) -> bool: ...
    async def destroyed(self, subject: str) -> bool: ...


class InMemoryDataKeyStore:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.shredded: set[str] = set()

    async def get(self, subject: str) -> bytes | None:
        return self.keys.get(subject)

    async def add(self, subject: str, wrapped: bytes) -> bytes:
        if subject in self.shredded:
            raise KeyDestroyed(subject)
        return self.keys.setdefault(subject, wrapped)

    async def destroy(self, subject: str) -> bool:
        self.shredded.add(subject)
        return self.keys.pop(subject, None) is not None

    async def destroyed(self, subject: str) -> bool:
        return subject in self.shredded


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def sealed_subject(value: str) -> str:
    match = _SEALED.match(value)
    if not match:
        raise SealingError("not a sealed value")
    return match.group(1)


class Sealer:
    """Seals and opens values for subjects, creating each subject's data key on first use."""

    def __init__(self, kek: KeyEncryptionKey, store: DataKeyStore,
                 new_key: Callable[[], bytes] = lambda: AESGCM.generate_key(bit_length=256)) -> None:
        self._kek = kek
        self._store = store
        self._new_key = new_key

    async def _data_key(self, subject: str, *, create: bool) -> bytes:
        if not _SUBJECT.match(subject):
            raise SealingError("a subject is an id of letters, digits, '.', '_' or '-'")
        wrapped = await self._store.get(subject)
        if wrapped is None:
            if not create or await self._store.destroyed(subject):
                raise KeyDestroyed(subject)
            wrapped = await self._store.add(subject, self._kek.wrap(self._new_key(), subject))
        return self._kek.unwrap(wrapped, subject)

    async def seal(self, subject: str, value: str | bytes, *, context: str) -> str:
        """`value` sealed for `subject`, bound to `context` (the field it is, e.g. "caseload.goal")."""
        plaintext = value.encode() if isinstance(value, str) else value
        aead = AESGCM(await self._data_key(subject, create=True))
        nonce = os.urandom(_NONCE)
        body = nonce + aead.encrypt(nonce, plaintext, context.encode())
        return f"{PREFIX}{subject}:{base64.urlsafe_b64encode(body).decode()}"

    async def open_bytes(self, sealed: str, *, context: str) -> bytes:
        match = _SEALED.match(sealed)
        if not match:
            raise SealingError("not a sealed value")
        subject, text = match.groups()
        body = base64.urlsafe_b64decode(text)
        aead = AESGCM(await self._data_key(subject, create=False))
        try:
            return aead.decrypt(body[:_NONCE], body[_NONCE:], context.encode())
        except InvalidTag as exc:
            raise SealingError("a sealed value failed its integrity check (wrong purpose or tampered)") from exc

    async def open(self, sealed: str, *, context: str) -> str:
        return (await self.open_bytes(sealed, context=context)).decode()

    async def open_or_none(self, sealed: str | None, *, context: str) -> str | None:
        """The value, or None when there is none or its subject was erased (what a reader shows as erased)."""
        if sealed is None:
            return None
        try:
            return await self.open(sealed, context=context)
        except KeyDestroyed:
            return None

    async def shred(self, subject: str) -> bool:
        """Destroy the subject's data key: everything sealed with it, wherever it is, is unreadable from now."""
        return await self._store.destroy(subject)
