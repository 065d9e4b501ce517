"""The session cookie: the signed-in person's Session, encrypted and authenticated (Fernet), so the token
never reaches the browser's scripts (HttpOnly) or anyone who reads the cookie."""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.workspace.domain.session import Session


def key_from_secret(secret: str) -> bytes:
    """A Fernet key of the deployment's secret's own (HKDF), so the cookie key is never the token key itself."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"referrals workspace session cookie").derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


class SessionCookie:
    def __init__(self, key: bytes, max_age_s: int) -> None:
        self._fernet = Fernet(key)
        self._max_age_s = max_age_s

    def seal(self, session: Session) -> str:
        return self._fernet.encrypt(json.dumps(session.to_json()).encode()).decode()

    def open(self, value: str | None) -> Session | None:
        """The session in a cookie; None for no cookie, a forged or altered one, or one older than its age."""
        if not value or len(value) > 8192:
            return None
        try:
            data = json.loads(self._fernet.decrypt(value.encode(), ttl=self._max_age_s))
            return Session.from_json(data)
        except (InvalidToken, ValueError, KeyError, TypeError):
            return None
