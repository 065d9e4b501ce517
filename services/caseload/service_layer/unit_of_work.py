"""What caseload's use cases hold while they work: its repositories and views, one transaction.

These are ports. The SQL adapters are in `services/caseload/adapters/`; the unit
tests use in-memory fakes of the same classes (`tests/unit/caseload/fakes.py`).
"""

from __future__ import annotations

import abc
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.caseload.domain.case import Case
from services.caseload.domain.matching import WorkerProfile
from shared.platform.audit import AuditTrail
from shared.platform.sealing import Sealer
from shared.platform.uow import UnitOfWork

DEFAULT_SETTINGS = {"first_contact_working_days": 5, "offer_timeout_minutes": 2880.0, "review_weeks": 6,
                    "budget_weeks": 12, "budget_sessions": 12, "follow_up_months": 3, "ageing_days": 14.0}


class CaseRepository(abc.ABC):
    """Cases as aggregates: loaded with their history, saved with the events they caused."""

    @abc.abstractmethod
    async def add(self, case: Case) -> None: ...

    @abc.abstractmethod
    async def get(self, case_id: uuid.UUID) -> Case | None:
        """The case, locked for this transaction."""

    @abc.abstractmethod
    async def save(self, case: Case) -> list:
        """Store the case's pending events in its history and its current fields; returns the events."""

    @abc.abstractmethod
    async def for_referral(self, referral_id: uuid.UUID) -> Case | None: ...

    @abc.abstractmethod
    async def waiting(self, programme_id: str, limit: int = 100) -> list[Case]:
        """Waiting cases to offer, locked (skipping those another replica holds)."""

    @abc.abstractmethod
    async def waiting_entries(self, programme_id: str) -> list[dict[str, Any]]:
        """Everyone waiting on the programme (id, priority, waiting_since ...), unlocked, for their order."""

    @abc.abstractmethod
    async def closures_since(self, programme_id: str, since: datetime) -> int: ...

    @abc.abstractmethod
    async def first_contact_overdue(self, now: datetime, limit: int = 100) -> list[Case]:
        """Assigned cases past their first-contact deadline with no contact and no alert yet, locked."""

    @abc.abstractmethod
    async def follow_ups_due(self, now: datetime, limit: int = 100) -> list[Case]:
        """Closed cases whose follow-up is due and not yet requested, locked."""


class WorkerRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, **values: Any) -> None: ...

    @abc.abstractmethod
    async def update(self, worker_id: uuid.UUID, **values: Any) -> bool: ...

    @abc.abstractmethod
    async def get(self, worker_id: uuid.UUID) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def list(self, programme_id: str | None = None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def profiles(self, programme_id: str, role: str) -> list[WorkerProfile]: ...

    @abc.abstractmethod
    async def reserve(self, worker_id: uuid.UUID, hours: Decimal) -> bool:
        """Take the hours and a case slot, atomically, only if the worker has room."""

    @abc.abstractmethod
    async def release(self, worker_id: uuid.UUID, hours: Decimal) -> None: ...

    @abc.abstractmethod
    async def active_count(self, programme_id: str) -> int: ...


class OfferRepository(abc.ABC):
    @abc.abstractmethod
    async def add(self, **values: Any) -> None: ...

    @abc.abstractmethod
    async def get(self, offer_id: uuid.UUID) -> dict[str, Any] | None:
        """The offer, locked for this transaction."""

    @abc.abstractmethod
    async def respond(self, offer_id: uuid.UUID, status: str, at: datetime, reason: str | None = None,
                      code: str | None = None) -> None:
        """Record the answer: its status, when, the (sealed) reason and, for a decline, the reason's code."""

    @abc.abstractmethod
    async def answers_since(self, programme_id: str, since: datetime) -> list[dict[str, Any]]:
        """The programme's declined and lapsed offers answered since then, counted by worker, status
        ("declined" or "expired") and response code: rows of worker_id, status, response_code, count."""

    @abc.abstractmethod
    async def tried_workers(self, case_id: uuid.UUID) -> frozenset[str]: ...

    @abc.abstractmethod
    async def expired(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def for_worker(self, worker_id: uuid.UUID, status: str = "open") -> list[dict[str, Any]]: ...


class SettingsRepository(abc.ABC):
    @abc.abstractmethod
    async def get(self, programme_id: str) -> dict[str, Any]:
        """The programme's settings, the defaults where it has set none."""

    @abc.abstractmethod
    async def put(self, programme_id: str, values: dict[str, Any]) -> None: ...


class CaseViews(abc.ABC):
    """What staff read about cases: rows and history as stored."""

    @abc.abstractmethod
    async def find(self, referral_id: uuid.UUID | None = None, worker_id: uuid.UUID | None = None,
                   status: str | None = None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def events(self, case_id: uuid.UUID) -> list[dict[str, Any]]: ...


class CaseloadUnitOfWork(UnitOfWork):
    cases: CaseRepository
    workers: WorkerRepository
    offers: OfferRepository
    settings: SettingsRepository
    views: CaseViews
    # Seals and opens what staff write about a person under caseload's data key for them (in this transaction,
    # so a key is created with the first thing sealed under it), and destroys the key when they are erased.
    sealer: Sealer
    # Every opening and writing of that text, hash-chained and append-only (shared/platform/audit.py).
    audit: AuditTrail
