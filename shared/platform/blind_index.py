"""Keyed blind indexes: what a service must search on (an NHS number, a family name) kept as an HMAC, not
in clear. Equal values give equal indexes, so an equality search still works; without the key, an index
tells nothing, and a dictionary of guesses cannot be checked against it.

The key is derived (HKDF) from the service's DATA_ENCRYPTION_KEY, one per purpose, so it needs no
setting of its own and is never the key that wraps data keys.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.platform.sealing import parse_key_encryption_key


class BlindIndex:
    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a blind-index key is at least 32 bytes")
        self._key = key

    @classmethod
    def derived_from(cls, data_encryption_key: str, purpose: str) -> BlindIndex:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"referrals blind index:" + purpose.encode())
        return cls(kdf.derive(parse_key_encryption_key(data_encryption_key)))

    def of(self, field: str, value: str | None) -> str | None:
        """The index of `value` as `field` (the field is bound in: one value indexes differently per field)."""
        if value is None or value == "":
            return None
        return hmac.new(self._key, f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()
