"""Password hashing with argon2 (pwdlib's recommended settings)."""

from __future__ import annotations

from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError

from services.identity.service_layer.ports import PasswordHasher


class Argon2Hasher(PasswordHasher):
    def __init__(self) -> None:
        self._hash = PasswordHash.recommended()

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str) -> bool:
        try:
            return self._hash.verify(password, password_hash)
        except UnknownHashError:  # a hash of a scheme we do not hold never matches
            return False
