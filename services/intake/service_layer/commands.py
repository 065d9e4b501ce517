"""What referrers and staff ask intake to do: one small class per command, each carrying who asks.

`actor` is the partner's id for a partner's own submission, the staff member's subject
for staff, and the channel for the public form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.intake.domain.partner import Partner


@dataclass(frozen=True)
class Command:
    actor: str
    # The programmes the actor works in (a coordinator of one programme reviews its matches only); None: all.
    actor_programmes: frozenset[str] | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class SubmitReferral(Command):
    """A referral from any channel: `data` as mapped by the channel, else the JSON `body` itself."""

    partner_id: str
    channel: str
    body: bytes
    correlation_id: uuid.UUID
    partner: Partner | None = None  # the partner whose key sent it, checked; None for the platform's own channels
    data: dict[str, Any] | None = None
    reference: str | None = None  # the partner's id for it when the body has none (idempotency)
    reference_field: str = "reference"  # where the reference came from, to name it when it is not valid
    outreach_contact_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None  # the CSV batch the row came in
    submission_id: uuid.UUID | None = None  # the id to keep it under if rejected (to seal its dead letter under)


@dataclass(frozen=True)
class RecordRejectedSubmission(Command):
    """A submission a channel could not even read: kept with what was wrong with it."""

    partner_id: str | None
    channel: str
    body: bytes
    errors: list[dict[str, str]]
    correlation_id: uuid.UUID
    batch_id: uuid.UUID | None = None
    submission_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ProcessBatch(Command):
    partner: Partner
    filename: str | None
    content: bytes
    correlation_id: uuid.UUID


@dataclass(frozen=True)
class LogOutreachContact(Command):
    programme_id: str
    met_at: str
    occurred_at: datetime
    details: dict[str, Any]


@dataclass(frozen=True)
class CompleteOutreachReferral(Command):
    contact_id: uuid.UUID
    data: dict[str, Any]
    correlation_id: uuid.UUID


@dataclass(frozen=True)
class DecideMatchReview(Command):
    review_id: uuid.UUID
    same_person: bool


@dataclass(frozen=True)
class RegisterPartner(Command):
    partner: Partner


@dataclass(frozen=True)
class IssuePartnerKey(Command):
    partner_id: str


@dataclass(frozen=True)
class ConfigureWebhook(Command):
    partner_id: str
    url: str
    secret: str


@dataclass(frozen=True)
class SetCsvMapping(Command):
    partner_id: str
    mapping: dict[str, Any]


@dataclass(frozen=True)
class SetPartnerProgrammes(Command):
    """The programmes a partner may refer to, all of them (replacing those it had)."""

    partner_id: str
    allowed_programmes: tuple[str, ...]


@dataclass(frozen=True)
class PutProgramme(Command):
    programme_id: str
    name: str
    self_referral_open: bool
    retention_days: int = 2922


@dataclass(frozen=True)
class ErasePerson(Command):
    """Erase a person from the registry: named by their person id, or by one of their referrals."""

    reason: str
    person_id: uuid.UUID | None = None
    referral_id: uuid.UUID | None = None
    roles: tuple[str, ...] = ()
