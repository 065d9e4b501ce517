"""A partner and a stored referral as intake knows them: domain types, whatever stores them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Partner:
    """An organisation that refers people, and the programmes it may refer to."""

    id: str
    name: str
    allowed_programmes: tuple[str, ...]


@dataclass(frozen=True)
class StoredReferral:
    """A referral intake has accepted and filed under a person."""

    id: uuid.UUID
    person_id: uuid.UUID
    partner_id: str
    partner_referral_id: str | None
    programme_id: str
    status: str
    received_at: datetime
    correlation_id: uuid.UUID
    channel: str = "partner_api"
    duplicate_of: uuid.UUID | None = None
    previous_referral_id: uuid.UUID | None = None
    self_reference: str | None = None
