"""In-memory fakes of outcomes' unit of work and repositories, for testing the projections.

Each repository keeps rows as plain dicts (or records), with the upsert semantics the port
promises. The unit of work keeps what was committed and forgets the rest, as a transaction does.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import uuid
from datetime import datetime
from typing import Any

from services.outcomes.domain.records import CaseKey, MeasureRecord, ReferralFacts, TriageOutcome
from services.outcomes.service_layer.ports import (
    CaseFactsRepository,
    CompletenessRows,
    FunnelRows,
    MeasuresRepository,
    OutcomesViews,
    ReferralFactsRepository,
    SignpostsRepository,
    UnmetNeedsRepository,
)
from services.outcomes.service_layer.unit_of_work import OutcomesUnitOfWork
from shared.platform.sealing import InMemoryDataKeyStore, LocalKeyEncryptionKey, Sealer
from tests.unit.fakes import FakeMessaging

REFERRAL_COLUMNS = ("person_id", "programme_id", "partner_id", "source_category", "source_subcategory", "age_band",
                    "gender", "trigger_groups", "postcode_district", "received_at", "decision", "decision_reason",
                    "decided_at", "to_data_sharing")


class FakeReferralFacts(ReferralFactsRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict[str, Any]] = {}

    async def record_received(self, referral_id: uuid.UUID, facts: ReferralFacts) -> None:
        row = self.rows.setdefault(referral_id, _new_referral_row(referral_id))
        row.update(dataclasses.asdict(facts), trigger_groups=list(facts.trigger_groups))

    async def record_decision(self, referral_id: uuid.UUID, outcome: TriageOutcome) -> None:
        decided = dict(decision=outcome.decision, decision_reason=outcome.reason, decided_at=outcome.decided_at)
        if referral_id not in self.rows:
            self.rows[referral_id] = _new_referral_row(referral_id) | dict(
                person_id=outcome.person_id, programme_id=outcome.programme_id, partner_id="",
                received_at=outcome.decided_at)
        self.rows[referral_id].update(decided)

    async def record_data_sharing(self, referral_id: uuid.UUID, to_data_sharing: bool | None) -> None:
        if referral_id in self.rows:
            self.rows[referral_id]["to_data_sharing"] = to_data_sharing


def _new_referral_row(referral_id: uuid.UUID) -> dict[str, Any]:
    return {"referral_id": referral_id, **dict.fromkeys(REFERRAL_COLUMNS), "trigger_groups": []}


class FakeCaseFacts(CaseFactsRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict[str, Any]] = {}

    async def open(self, case: CaseKey, opened_at: datetime) -> None:
        if case.case_id not in self.rows:
            self._new(case)["opened_at"] = opened_at

    async def assign(self, case: CaseKey, worker_id: uuid.UUID, worker_role: str, assigned_at: datetime) -> None:
        self._row(case).update(worker_id=worker_id, worker_role=worker_role, assigned_at=assigned_at)

    async def transfer(self, case: CaseKey, worker_id: uuid.UUID) -> None:
        self._row(case)["worker_id"] = worker_id

    async def add_contact(self, case: CaseKey, minutes: int, at: datetime) -> None:
        if case.case_id not in self.rows:
            self._new(case)  # as the port says: a row, with no contact counted
            return
        row = self.rows[case.case_id]
        row["contacts"] += 1
        row["contact_minutes"] += minutes
        row["first_contact_at"] = row["first_contact_at"] or at

    async def close(self, case: CaseKey, closed_at: datetime, closure_reason: str, worker_id: uuid.UUID,
                    worker_role: str) -> None:
        self._row(case).update(closed_at=closed_at, closure_reason=closure_reason, worker_id=worker_id,
                               worker_role=worker_role)

    def _row(self, case: CaseKey) -> dict[str, Any]:
        return self.rows[case.case_id] if case.case_id in self.rows else self._new(case)

    def _new(self, case: CaseKey) -> dict[str, Any]:
        row = self.rows[case.case_id] = {
            "case_id": case.case_id, "referral_id": case.referral_id, "programme_id": case.programme_id,
            "worker_id": None, "worker_role": None, "opened_at": None, "assigned_at": None,
            "first_contact_at": None, "closed_at": None, "closure_reason": None, "contacts": 0, "contact_minutes": 0}
        return row


class FakeMeasures(MeasuresRepository):
    def __init__(self) -> None:
        self.rows: dict[tuple[uuid.UUID, str, str], MeasureRecord] = {}

    async def save(self, measure: MeasureRecord) -> None:
        self.rows[(measure.case_id, measure.instrument, measure.timepoint)] = measure


class FakeSignposts(SignpostsRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, dict[str, Any]] = {}

    async def add(self, signpost_id: uuid.UUID, case_id: uuid.UUID, programme_id: str, destination: str,
                  category: str | None) -> None:
        self.rows.setdefault(signpost_id, dict(signpost_id=signpost_id, case_id=case_id, programme_id=programme_id,
                                               destination=destination, category=category, taken_up=None))

    async def record_take_up(self, signpost_id: uuid.UUID, taken_up: bool) -> None:
        if signpost_id in self.rows:
            self.rows[signpost_id]["taken_up"] = taken_up


class FakeUnmetNeeds(UnmetNeedsRepository):
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    async def add(self, case_id: uuid.UUID, programme_id: str, need: str, postcode_district: str | None,
                  recorded_at: datetime) -> None:
        self.rows.append(dict(case_id=case_id, programme_id=programme_id, need=need,
                              postcode_district=postcode_district, recorded_at=recorded_at))


REPOSITORIES = ("referrals", "cases", "measures", "signposts", "unmet_needs")


class FakeOutcomesUnitOfWork(FakeMessaging, OutcomesUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.referrals = FakeReferralFacts()
        self.cases = FakeCaseFacts()
        self.measures = FakeMeasures()
        self.signposts = FakeSignposts()
        self.unmet_needs = FakeUnmetNeeds()
        self.data_keys = InMemoryDataKeyStore()
        self.sealer = Sealer(LocalKeyEncryptionKey(os.urandom(32)), self.data_keys)
        self._committed: dict[str, Any] | None = None

    async def _begin(self) -> None:
        await super()._begin()
        self._committed = self._state()

    async def commit(self) -> None:
        await super().commit()
        self._committed = self._state()

    async def _end(self) -> None:
        await super()._end()
        if self._committed is not None:  # what was not committed is undone
            for name in REPOSITORIES:
                getattr(self, name).rows = self._committed[name]
            self._committed = None

    def _state(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name).rows) for name in REPOSITORIES}


class FakeViews(OutcomesViews):
    """Read-side rows given by the test; records what each report asked for."""

    def __init__(self, *, measures=None, change_rows=None, funnel=None, completeness=None,
                 not_shared=frozenset(), unmet_needs=None) -> None:
        self.measures = measures or {}
        self.not_shared = not_shared  # cases whose person did not consent to data sharing
        self.rows = change_rows or []
        self.funnel_rows = funnel or FunnelRows(head={})
        self.completeness_rows = completeness or CompletenessRows([], [])
        self.unmet_need_rows = unmet_needs or []
        self.asked: list[tuple[str, dict[str, Any]]] = []

    async def case_measures(self, case_id: uuid.UUID) -> list[dict[str, Any]]:
        return list(self.measures.get(case_id, []))

    async def shares_data(self, case_id: uuid.UUID) -> bool:
        return case_id not in self.not_shared

    async def change_rows(self, **query: Any) -> list[dict[str, Any]]:
        self.asked.append(("change_rows", query))
        return [dict(r) for r in self.rows]

    async def funnel(self, programme_id, received_from, received_to) -> FunnelRows:
        self.asked.append(("funnel", dict(programme_id=programme_id)))
        return self.funnel_rows

    async def completeness(self, programme_id, instrument) -> CompletenessRows:
        self.asked.append(("completeness", dict(programme_id=programme_id, instrument=instrument)))
        return self.completeness_rows

    async def unmet_need_counts(self, programme_id, recorded_from, recorded_to) -> list[dict[str, Any]]:
        self.asked.append(("unmet_needs", dict(programme_id=programme_id, recorded_from=recorded_from,
                                               recorded_to=recorded_to)))
        return [dict(r) for r in self.unmet_need_rows]
