"""Partner API keys: `rk_<key id>_<secret>`; only a SHA-256 of the secret is stored.

The secret has 256 bits of entropy, so a fast hash is enough (no password
stretching needed); comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    plaintext: str
    secret_hash: str


def issue_key() -> IssuedKey:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return IssuedKey(key_id=key_id, plaintext=f"rk_{key_id}_{secret}", secret_hash=hash_secret(secret))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(plaintext: str) -> tuple[str, str] | None:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != "rk" or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
