"""In-memory caseload: the same ports as the SQL adapters, held in dictionaries."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.caseload.domain.case import Case
from services.caseload.domain.matching import WorkerProfile
from services.caseload.service_layer.unit_of_work import (
    DEFAULT_SETTINGS,
    CaseloadUnitOfWork,
    CaseRepository,
    CaseViews,
    OfferRepository,
    SettingsRepository,
    WorkerRepository,
)
from shared.platform.audit import InMemoryAuditTrail
from shared.platform.sealing import InMemoryDataKeyStore, LocalKeyEncryptionKey, Sealer
from tests.unit.fakes import FakeMessaging


class FakeCases(CaseRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, Case] = {}
        self.history: dict[uuid.UUID, list[tuple[str, dict, str | None]]] = {}
        self.contacts: list[tuple[uuid.UUID, Any]] = []

    async def add(self, case: Case) -> None:
        self.by_id[case.id] = case
        self.history[case.id] = []

    async def get(self, case_id: uuid.UUID) -> Case | None:
        return self.by_id.get(case_id)

    async def save(self, case: Case) -> list:
        pending = case.take_pending()
        self.history[case.id] += [(p.payload.event_type, p.payload.model_dump(mode="json"), p.actor)
                                  for p in pending if p.in_history]
        self.contacts += [(case.id, contact) for contact in case.new_contacts]
        case.new_contacts = []
        return pending

    async def for_referral(self, referral_id: uuid.UUID) -> Case | None:
        return next((c for c in self.by_id.values() if c.referral_id == referral_id), None)

    async def waiting(self, programme_id: str, limit: int = 100) -> list[Case]:
        return [c for c in self.by_id.values() if c.programme_id == programme_id and c.status == "waiting"][:limit]

    async def waiting_entries(self, programme_id: str) -> list[dict[str, Any]]:
        return [c.snapshot() for c in await self.waiting(programme_id)]

    async def closures_since(self, programme_id: str, since: datetime) -> int:
        return sum(1 for c in self.by_id.values()
                   if c.programme_id == programme_id and c.closed_at and c.closed_at >= since)

    async def first_contact_overdue(self, now: datetime, limit: int = 100) -> list[Case]:
        return [c for c in self.by_id.values() if c.status == "assigned" and c.first_contact_at is None
                and c.first_contact_due_at <= now and not c.state.first_contact_deadline_missed
                and c.wishes.may_contact][:limit]

    async def follow_ups_due(self, now: datetime, limit: int = 100) -> list[Case]:
        return [c for c in self.by_id.values() if c.status == "closed" and c.follow_up_due_at <= now
                and c.follow_up_requested_at is None and c.wishes.may_contact][:limit]


class FakeWorkers(WorkerRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, dict[str, Any]] = {}

    async def add(self, **values: Any) -> None:
        worker = {"load_hours": Decimal(0), "open_cases": 0, "active": True, "site": None, "languages": [],
                  "gender": None, "interests": [], "home_visits": True, "travel_districts": [],
                  "max_open_cases": 25, "auto_accept_offers": False, **values}
        worker["capacity_hours"] = Decimal(worker["capacity_hours"])
        self.by_id[values["id"]] = worker

    async def update(self, worker_id: uuid.UUID, **values: Any) -> bool:
        if worker_id not in self.by_id:
            return False
        self.by_id[worker_id].update(values)
        return True

    async def get(self, worker_id: uuid.UUID) -> dict[str, Any] | None:
        worker = self.by_id.get(worker_id)
        return dict(worker) if worker else None

    async def list(self, programme_id: str | None = None) -> list[dict[str, Any]]:
        return sorted((dict(w) for w in self.by_id.values() if programme_id in (None, w["programme_id"])),
                      key=lambda w: w["name"])

    async def profiles(self, programme_id: str, role: str) -> list[WorkerProfile]:
        return [WorkerProfile(id=str(w["id"]), role=w["role"], capacity_hours=w["capacity_hours"],
                              load_hours=w["load_hours"], max_open_cases=w["max_open_cases"],
                              open_cases=w["open_cases"], site=w["site"], languages=tuple(w["languages"]),
                              gender=w["gender"], interests=tuple(w["interests"]), home_visits=w["home_visits"],
                              travel_districts=tuple(w["travel_districts"]))
                for w in self.by_id.values() if w["programme_id"] == programme_id and w["role"] == role
                and w["active"]]

    async def reserve(self, worker_id: uuid.UUID, hours: Decimal) -> bool:
        w = self.by_id[worker_id]
        if not w["active"] or w["capacity_hours"] - w["load_hours"] < hours or w["open_cases"] >= w["max_open_cases"]:
            return False
        w["load_hours"] += hours
        w["open_cases"] += 1
        return True

    async def release(self, worker_id: uuid.UUID, hours: Decimal) -> None:
        w = self.by_id[worker_id]
        w["load_hours"] = max(w["load_hours"] - hours, Decimal(0))
        w["open_cases"] = max(w["open_cases"] - 1, 0)

    async def active_count(self, programme_id: str) -> int:
        return sum(1 for w in self.by_id.values() if w["programme_id"] == programme_id and w["active"])


class FakeOffers(OfferRepository):
    def __init__(self, cases: FakeCases) -> None:
        self.by_id: dict[uuid.UUID, dict[str, Any]] = {}
        self._cases = cases  # an offer's programme is its case's

    async def add(self, **values: Any) -> None:
        self.by_id[values["id"]] = {"responded_at": None, "response_reason": None, "response_code": None, **values}

    async def get(self, offer_id: uuid.UUID) -> dict[str, Any] | None:
        offer = self.by_id.get(offer_id)
        return dict(offer) if offer else None

    async def respond(self, offer_id: uuid.UUID, status: str, at: datetime, reason: str | None = None,
                      code: str | None = None) -> None:
        self.by_id[offer_id].update(status=status, responded_at=at, response_reason=reason, response_code=code)

    async def answers_since(self, programme_id: str, since: datetime) -> list[dict[str, Any]]:
        counted = Counter((o["worker_id"], o["status"], o["response_code"]) for o in self.by_id.values()
                          if o["status"] in ("declined", "expired") and o["responded_at"] >= since
                          and self._cases.by_id[o["case_id"]].programme_id == programme_id)
        return [{"worker_id": worker_id, "status": status, "response_code": code, "count": count}
                for (worker_id, status, code), count in counted.items()]

    async def tried_workers(self, case_id: uuid.UUID) -> frozenset[str]:
        return frozenset(str(o["worker_id"]) for o in self.by_id.values()
                         if o["case_id"] == case_id and o["status"] in ("declined", "expired"))

    async def expired(self, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
        return [dict(o) for o in self.by_id.values() if o["status"] == "open" and o["expires_at"] <= now][:limit]

    async def for_worker(self, worker_id: uuid.UUID, status: str = "open") -> list[dict[str, Any]]:
        return [dict(o) for o in self.by_id.values() if o["worker_id"] == worker_id and o["status"] == status]


class FakeSettings(SettingsRepository):
    def __init__(self) -> None:
        self.by_programme: dict[str, dict[str, Any]] = {}

    async def get(self, programme_id: str) -> dict[str, Any]:
        return {**DEFAULT_SETTINGS, **self.by_programme.get(programme_id, {})}

    async def put(self, programme_id: str, values: dict[str, Any]) -> None:
        self.by_programme[programme_id] = dict(values)


class FakeViews(CaseViews):
    def __init__(self, cases: FakeCases) -> None:
        self._cases = cases

    async def find(self, referral_id=None, worker_id=None, status=None) -> list[dict[str, Any]]:
        return [c.snapshot() for c in self._cases.by_id.values()
                if referral_id in (None, c.referral_id) and worker_id in (None, c.worker_id)
                and status in (None, c.status.value)]

    async def events(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        return [{"event_type": kind, "data": data, "actor": actor} for kind, data, actor in self._cases.history[case_id]]


class FakeCaseloadUnitOfWork(FakeMessaging, CaseloadUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.cases = FakeCases()
        self.workers = FakeWorkers()
        self.offers = FakeOffers(self.cases)
        self.settings = FakeSettings()
        self.views = FakeViews(self.cases)
        self.data_keys = InMemoryDataKeyStore()
        self.sealer = Sealer(LocalKeyEncryptionKey(os.urandom(32)), self.data_keys)
        self.audit = InMemoryAuditTrail()
