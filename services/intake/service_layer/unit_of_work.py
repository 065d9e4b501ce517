"""What intake's use cases hold while they work: its repositories, one transaction.

These are ports. The SQL adapters are in `services/intake/adapters/`; the unit tests
use in-memory fakes of the same classes (`tests/unit/intake/fakes.py`).
"""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.platform.audit import AuditTrail
from services.intake.domain.matching import MatchResult, PersonKey
from services.intake.domain.partner import Partner
from services.intake.domain.referral import Referral
from services.intake.domain.search import ReferralSearch, SearchKeys
from services.intake.domain.rejection import RejectedSubmission
from shared.platform.sealing import Sealer
from shared.platform.uow import UnitOfWork
from shared.schemas.envelope import Envelope


@dataclass(frozen=True)
class RegistryRecord:
    person_id: uuid.UUID
    person: dict[str, Any] | str  # as stored: sealed (str), {} once erased, or a dict from before sealing
    contact: dict[str, Any] | str | None


class ReferralRepository(abc.ABC):
    @abc.abstractmethod
    async def record_submission(self, *, submission_id: uuid.UUID, partner_id: str | None, channel: str, body: bytes,
                                outcome: str, errors: list[dict[str, Any]] | None, referral_id: uuid.UUID | None,
                                correlation_id: uuid.UUID, batch_id: uuid.UUID | None = None) -> None:
        """Every submission is kept as it was sent (sealed), accepted or not."""

    @abc.abstractmethod
    async def submission_sender(self, submission_id: uuid.UUID) -> tuple[str | None, str] | None:
        """(the partner it was authenticated as, or None; its channel) of a kept submission; None if not kept."""

    @abc.abstractmethod
    async def rejected_submissions(self, *, partner_ids: frozenset[str] | None, platform_channels: bool,
                                   received_before: datetime | None, limit: int,
                                   waiting_only: bool = False) -> list[RejectedSubmission]:
        """Refused submissions, newest first: from these partners (None: any), and those through the platform's
        own channels or from no known partner only when `platform_channels`; only those nobody has followed
        up when `waiting_only`."""

    @abc.abstractmethod
    async def record_follow_up(self, submission_id: uuid.UUID, follow_up: str, by: str, at: datetime) -> None:
        """What became of a refused submission, by whom and when (a later follow-up replaces it)."""

    @abc.abstractmethod
    async def rejected_submission(self, submission_id: uuid.UUID) -> tuple[RejectedSubmission, bytes] | None:
        """One refused submission and its body as stored (sealed)."""

    @abc.abstractmethod
    async def registry_record(self, referral_id: uuid.UUID, *, for_update: bool = False) -> RegistryRecord | None:
        """The person's details as stored with the referral, and its contact record (None before it was kept);
        `for_update` holds the row until the transaction ends, so two corrections never lose one another."""

    @abc.abstractmethod
    async def correct_registry_record(self, referral_id: uuid.UUID, person: str, contact: str) -> None:
        """Store corrected details and contact record (each sealed) in place of the referral's."""

    @abc.abstractmethod
    async def add(self, referral: Referral, person: dict[str, Any] | str, match: MatchResult,
                  contact: dict[str, Any] | str | None = None) -> None:
        """Raises Conflict if another transaction stored the same partner reference first."""

    @abc.abstractmethod
    async def get(self, referral_id: uuid.UUID) -> Referral | None:
        """The referral, locked for this transaction."""

    @abc.abstractmethod
    async def save(self, referral: Referral) -> None:
        """Its new timeline entries and its status."""

    @abc.abstractmethod
    async def by_partner_reference(self, partner_id: str, partner_referral_id: str) -> Referral | None: ...

    @abc.abstractmethod
    async def for_partner(self, partner_id: str, limit: int) -> list[Referral]:
        """The partner's referrals, newest first, at most `limit`."""

    @abc.abstractmethod
    async def for_person(self, person_id: uuid.UUID, programme_id: str) -> list[Referral]:
        """The person's referrals to a programme, oldest first."""

    @abc.abstractmethod
    async def linked_duplicates(self, referral_id: uuid.UUID) -> list[Referral]:
        """Referrals linked to this one, locked."""

    @abc.abstractmethod
    async def by_self_reference(self, reference: str) -> tuple[Referral, dict[str, Any] | str] | None:
        """A self-referral by the reference the person was given, with the person's details."""

    @abc.abstractmethod
    async def timeline(self, referral_id: uuid.UUID) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def consent_history(self, referral_id: uuid.UUID) -> list[dict[str, Any]]:
        """The person's consent on this referral over time, oldest first."""

    @abc.abstractmethod
    async def partner_of(self, referral_id: uuid.UUID) -> str | None:
        """Who referred it (unlocked): what a referrer may be told of another referral depends on it."""


class PersonRepository(abc.ABC):
    @abc.abstractmethod
    async def candidates(self, key: PersonKey, limit: int = 200) -> list[PersonKey]:
        """Known people who share something with the key: family name, NHS number, birthday or postcode."""

    @abc.abstractmethod
    async def family_name_frequency(self, family_key: str) -> float:
        """How common the family name is among known people (`matching.family_name_frequency` of the counts)."""

    @abc.abstractmethod
    async def add(self, person_id: uuid.UUID, key: PersonKey) -> None: ...

    @abc.abstractmethod
    async def fill_in(self, person_id: uuid.UUID, key: PersonKey) -> None:
        """What the new referral knows and the record lacked (an NHS number, a date of birth) is kept; a newly
        stated age replaces an older one."""

    @abc.abstractmethod
    async def open_review(self, referral_id: uuid.UUID, person_id: uuid.UUID, result: MatchResult) -> None: ...

    @abc.abstractmethod
    async def reviews(self, status: str = "open") -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def review(self, review_id: uuid.UUID) -> dict[str, Any] | None:
        """The review, locked for this transaction."""

    @abc.abstractmethod
    async def decide_review(self, review_id: uuid.UUID, decision: str, decided_by: str) -> None: ...

    @abc.abstractmethod
    async def merge(self, duplicate_person_id: uuid.UUID, into_person_id: uuid.UUID) -> None:
        """File the duplicate's referrals under the person they turned out to be."""


class PartnerRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, partner: Partner) -> None:
        """Raises Conflict if a partner with that id exists."""

    @abc.abstractmethod
    async def get(self, partner_id: str) -> Partner | None: ...

    @abc.abstractmethod
    async def ids(self) -> list[str]: ...

    @abc.abstractmethod
    async def referring_to(self, programmes: frozenset[str]) -> list[str]:
        """The partners that may refer to any of these programmes."""

    @abc.abstractmethod
    async def add_key(self, partner_id: str, key_id: str, secret_hash: str) -> None: ...

    @abc.abstractmethod
    async def key(self, key_id: str) -> tuple[str, str] | None:
        """(partner id, secret hash) of a key not revoked."""

    @abc.abstractmethod
    async def csv_mapping(self, partner_id: str) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def set_csv_mapping(self, partner_id: str, mapping: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    async def set_allowed_programmes(self, partner_id: str, programmes: tuple[str, ...]) -> bool:
        """False if there is no such partner."""


class ProgrammeRepository(abc.ABC):
    @abc.abstractmethod
    async def put(self, programme_id: str, name: str, self_referral_open: bool, retention_days: int = 2922) -> None: ...

    @abc.abstractmethod
    async def get(self, programme_id: str) -> dict[str, Any] | None: ...


class OutreachRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, *, contact_id: uuid.UUID, programme_id: str, met_at: str, occurred_at: datetime,
                  logged_by: str, details: dict[str, Any] | str) -> None: ...

    @abc.abstractmethod
    async def get(self, contact_id: uuid.UUID) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def link_referral(self, contact_id: uuid.UUID, referral_id: uuid.UUID) -> None: ...


class BatchRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, *, batch_id: uuid.UUID, partner_id: str, filename: str | None, sha256: str,
                  content: bytes) -> None: ...

    @abc.abstractmethod
    async def set_report(self, batch_id: uuid.UUID, report: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class WebhookDelivery:
    id: int
    partner_id: str
    event_id: uuid.UUID
    body: dict[str, Any]
    attempts: int
    url: str
    secret: str


class WebhookRepository(abc.ABC):
    @abc.abstractmethod
    async def configure(self, partner_id: str, url: str, secret: str) -> None: ...

    @abc.abstractmethod
    async def enqueue(self, partner_id: str, envelope: Envelope) -> None:
        """A delivery in the same transaction as the status change (if the partner has a webhook)."""

    @abc.abstractmethod
    async def due(self, limit: int = 20) -> list[WebhookDelivery]:
        """Deliveries due now, locked (skipping those another dispatcher holds)."""

    @abc.abstractmethod
    async def delivered(self, delivery_id: int, attempts: int) -> None: ...

    @abc.abstractmethod
    async def gave_up(self, delivery_id: int, attempts: int, error: str) -> None: ...

    @abc.abstractmethod
    async def retry_at(self, delivery_id: int, attempts: int, error: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class CaseHolder:
    """Who holds a person's case now, as caseload's events tell it: whom the registry lets read the person."""

    case_id: uuid.UUID
    referral_id: uuid.UUID
    programme_id: str
    worker_id: uuid.UUID | None
    open: bool


class CaseHolderRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, case_id: uuid.UUID) -> CaseHolder | None: ...

    @abc.abstractmethod
    async def put(self, holder: CaseHolder) -> None:
        """Record who holds the case now (replacing what was known)."""


class ErasureRepository(abc.ABC):
    @abc.abstractmethod
    async def person_of(self, referral_id: uuid.UUID) -> uuid.UUID | None: ...

    @abc.abstractmethod
    async def sealed_subjects(self, person_id: uuid.UUID) -> list[str]:
        """Whose keys go with the person's own: the raw submissions of their referrals, the batch files those
        came in, the outreach contacts that became them, and whoever their details were sealed under (a
        person merged into them after a match review)."""

    @abc.abstractmethod
    async def rejected_submissions_due(self, received_before: datetime, limit: int = 500) -> list[str]:
        """Submissions that never became a referral, received before then, whose key is not destroyed yet,
        and the batch files they came in."""

    @abc.abstractmethod
    async def erase(self, person_id: uuid.UUID) -> list[uuid.UUID]:
        """Remove the person's identifying and contact data from the registry: their person record, the
        details and contact record of each referral, the raw submissions and outreach notes behind them,
        and the published outbox rows that carried them. Ids and counts stay. The referrals erased."""

    @abc.abstractmethod
    async def due_for_retention(self, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        """People every one of whose referrals ended (its case closed, or it was declined or redirected)
        longer ago than its programme's retention period, and who are not erased yet."""


@dataclass(frozen=True)
class SearchHit:
    """A referral a search found, with its person's details as stored (sealed; {} once erased)."""

    referral: Referral
    person: dict[str, Any] | str
    matched_by: str | None = None  # a name search's: BY_NAME or SOUNDS_LIKE (domain/search.py); else None


class ReferralSearchRepository(abc.ABC):
    """Referrals found by what a coordinator knows of them. Name, NHS number and postcode are held only as
    keyed blind indexes of their normal forms (services/intake/domain/search.py), never in clear."""

    @abc.abstractmethod
    async def index(self, referral_id: uuid.UUID, keys: SearchKeys) -> None:
        """Make the referral findable by these keys (replacing any it had)."""

    @abc.abstractmethod
    async def unindexed(self, limit: int) -> list[tuple[uuid.UUID, dict[str, Any] | str]]:
        """Referrals with no search keys yet (received before they were kept), or none of how their names
        sound (received before intake_0013), with their person as stored; not an erased person's."""

    @abc.abstractmethod
    async def find(self, search: ReferralSearch, programmes: frozenset[str] | None, limit: int) -> list[SearchHit]:
        """Referrals matching every term of the search, newest first, from `search.offset`, at most `limit`;
        only in `programmes` (None: every programme); never an erased person's. A name matches exactly, or
        when every one of `search.name_sounds` is among the person's name sounds; the exact matches come
        first, and each hit says which it was."""


class IntakeUnitOfWork(UnitOfWork):
    referrals: ReferralRepository
    persons: PersonRepository
    partners: PartnerRepository
    programmes: ProgrammeRepository
    outreach: OutreachRepository
    batches: BatchRepository
    webhooks: WebhookRepository
    case_holders: CaseHolderRepository
    audit: AuditTrail
    erasure: ErasureRepository
    search: ReferralSearchRepository
    sealer: Sealer  # seals and opens personal data under data keys kept in this same transaction
