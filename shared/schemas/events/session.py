"""Events about staff sign-in sessions (produced by identity, topic identity.sessions)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from ..envelope import EventPayload


class SessionRevoked(EventPayload):
    """A session ended before its token expired: every service refuses the token from now on.

    `expires_at` is when the token would have expired anyway, so a service can forget the
    revocation after it (a token past it is refused on its own)."""

    event_type: ClassVar[str] = "identity.session_revoked"
    schema_version: ClassVar[int] = 1

    session_id: uuid.UUID
    account_id: uuid.UUID
    expires_at: datetime
    reason: Literal["signed_out", "account_disabled", "account_changed", "password_changed"] = Field(
        description="why the session ended: signed out; the account disabled; its roles, programmes or worker "
                    "profile changed (the token carried the old ones); or its password reset")
    revoked_at: datetime
