"""The referral aggregate: one request for support, filed under a person, with the status its
referrer follows. No I/O.

A referral's status comes from events other services publish (triage decisions, case
events). They travel on different topics and may arrive out of order, so the status
is that of the latest event by its own time; every event still goes on the timeline.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.intake.domain.partner import SYSTEM_PARTNERS
from services.intake.domain.status import OPEN_STATUSES, ReferralStatus
from services.intake.domain.submission import ReferralSubmission
from shared.schemas.events.referral import ReferralStatusChanged

MAX_REFERENCE_LENGTH = 128  # as ReferralSubmission.partner_referral_id allows

# What a referrer whose referral joins another referrer's open one is told, in its own terms.
KNOWN_TO_THE_SERVICE = "the person is already known to the service; this referral has been joined to their support"
LINKED_TO_YOUR_OPEN_REFERRAL = "linked to an open referral for the same person"

# Short and unambiguous (no 0/O, 1/I): a reference a person can read out on the phone.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class TimelineEntry:
    status: ReferralStatus
    at: datetime
    reason: str | None = None
    event_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ConsentEntry:
    """The person's consent as it stood from `at`: given with the referral, or changed later on their case."""

    consent: dict[str, Any]
    at: datetime
    reported_by: str
    source: str  # "referral" | "case"
    reported_at: datetime | None = None
    event_id: uuid.UUID | None = None


def consent_of(submission: ReferralSubmission) -> dict[str, Any]:
    """What the person agreed to and how they may be contacted, as the registry keeps it."""
    prefs = submission.contact_preferences
    return {"to_referral": submission.consent.to_referral, "to_data_sharing": submission.consent.to_data_sharing,
            "to_contact": submission.consent.to_contact,
            "do_not_contact_by": [m.value for m in prefs.do_not_contact_by],
            "preferred_contact": prefs.preferred.value if prefs.preferred else None}


@dataclass
class Referral:
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
    # The time of the latest event on the timeline, as stored; None for a referral with no timeline yet.
    latest_event_at: datetime | None = None
    # What was referred, as a digest of the canonical submission: a retry has the same one.
    submission_sha256: str | None = None
    new_entries: list[TimelineEntry] = field(default_factory=list, repr=False)
    # The person's consent as it stands now (None: stored before consent was kept); its changes wait here.
    consent: dict[str, Any] | None = None
    new_consents: list[ConsentEntry] = field(default_factory=list, repr=False)

    @property
    def shares_data(self) -> bool:
        """False when the person did not consent to data sharing: nothing about them individually (reasons,
        waits, free text) leaves the scheme, only the bare status their referrer needs to follow it."""
        return self.consent is None or self.consent.get("to_data_sharing") is not False

    def record_consent(self, changes: dict[str, Any], *, at: datetime, reported_by: str, source: str,
                       reported_at: datetime | None = None, event_id: uuid.UUID | None = None) -> None:
        """The consent from now on (what `changes` leaves out stays as it was), kept in its history."""
        self.consent = {**(self.consent or {}), **changes}
        self.new_consents.append(ConsentEntry(dict(self.consent), at, reported_by, source, reported_at, event_id))

    def is_retry_of(self, digest: str) -> bool:
        """The same referral sent again, rather than another one under a reused reference.

        Referrals stored before digests were kept have none: for those a reuse counts as a retry.
        """
        return self.submission_sha256 is None or self.submission_sha256 == digest

    @classmethod
    def receive(cls, *, person_id: uuid.UUID, partner_id: str, partner_referral_id: str | None, programme_id: str,
                channel: str, correlation_id: uuid.UUID, now: datetime,
                earlier: list[Referral], submission_sha256: str | None = None) -> Referral:
        """A new referral. If the person has an open referral to the programme, this one is linked to it
        (no second case); otherwise an earlier, finished one makes it a re-referral."""
        open_ones = [r for r in earlier if r.is_open and r.duplicate_of is None]
        duplicate_of = open_ones[0].id if open_ones else None
        previous = earlier[-1].id if earlier and not open_ones else None
        return cls(
            id=uuid.uuid4(), person_id=person_id, partner_id=partner_id, partner_referral_id=partner_referral_id,
            programme_id=programme_id,
            status=ReferralStatus.DUPLICATE if duplicate_of else ReferralStatus.RECEIVED,
            received_at=now, correlation_id=correlation_id, channel=channel, duplicate_of=duplicate_of,
            previous_referral_id=previous,
            self_reference=_new_reference() if partner_id in SYSTEM_PARTNERS else None,
            submission_sha256=submission_sha256,
        )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def may_name(self, other_referral_id: uuid.UUID | None, other_partner_id: str | None) -> uuid.UUID | None:
        """Another referral this one's referrer may be told of: only its own. A partner learns about a
        person only through its own referrals, never another referrer's ids or history."""
        return other_referral_id if other_referral_id and other_partner_id == self.partner_id else None

    @property
    def told_to_a_partner(self) -> bool:
        """Referrals from the platform's own channels have no referrer system to tell."""
        return self.partner_id not in SYSTEM_PARTNERS

    def advance(self, status: ReferralStatus, at: datetime, *, reason: str | None = None,
                event_id: uuid.UUID | None = None, linked_referral_id: uuid.UUID | None = None,
                estimated_wait_days: int | None = None) -> ReferralStatusChanged | None:
        """Put the change on the timeline; it becomes the status unless a later event already came.

        Returns what the referrer is told, or None when there is no referrer system to tell.
        """
        self.new_entries.append(TimelineEntry(status, at, reason, event_id))
        if self.latest_event_at is None or at >= self.latest_event_at:
            self.status = status
            self.latest_event_at = at
        if not self.told_to_a_partner:
            return None
        if not self.shares_data:
            reason, estimated_wait_days = None, None
        return ReferralStatusChanged(
            referral_id=self.id, partner_id=self.partner_id, partner_referral_id=self.partner_referral_id,
            status=status.value, reason=reason, linked_referral_id=linked_referral_id,
            estimated_wait_days=estimated_wait_days, changed_at=at,
        )


def digest_of(submission: ReferralSubmission) -> str:
    """The canonical submission's digest: the same whatever the channel's spelling of it."""
    canonical = json.dumps(submission.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def reference_problem(reference: str) -> str | None:
    """Why a partner's own id for a referral (body field, Idempotency-Key, message key) cannot be one."""
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        return f"must be 1 to {MAX_REFERENCE_LENGTH} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in reference):
        return "contains control characters"
    return None


def _new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
