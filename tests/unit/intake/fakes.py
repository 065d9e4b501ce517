"""In-memory intake: the same ports as the SQL adapters, held in dictionaries."""

from __future__ import annotations

import copy
import dataclasses
import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.domain.audit import GENESIS, AuditEntry
from services.intake.domain.matching import MatchResult, PersonKey, family_name_frequency
from services.intake.domain.partner import Partner
from services.intake.domain.referral import Referral
from services.intake.domain.search import BY_NAME, SOUNDS_LIKE, ReferralSearch, SearchKeys
from services.intake.domain.rejection import RejectedSubmission
from services.intake.service_layer import sealed
from services.intake.service_layer.unit_of_work import (
    AuditTrail,
    BatchRepository,
    CaseHolder,
    CaseHolderRepository,
    ErasureRepository,
    IntakeUnitOfWork,
    OutreachRepository,
    PartnerRepository,
    PersonRepository,
    ProgrammeRepository,
    ReferralRepository,
    ReferralSearchRepository,
    RegistryRecord,
    SearchHit,
    WebhookDelivery,
    WebhookRepository,
)
from shared.platform.sealing import InMemoryDataKeyStore, LocalKeyEncryptionKey, Sealer, is_sealed, sealed_subject
from shared.platform.uow import Conflict
from tests.unit.fakes import FakeMessaging


class FakeReferrals(ReferralRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, Referral] = {}
        self.persons: dict[uuid.UUID, dict[str, Any]] = {}  # referral id -> the person's details as stored
        self.contacts: dict[uuid.UUID, dict[str, Any] | None] = {}  # referral id -> its contact record
        self.matches: dict[uuid.UUID, MatchResult] = {}
        self.submissions: list[dict[str, Any]] = []
        self.timelines: dict[uuid.UUID, list[dict[str, Any]]] = {}
        self.consents: dict[uuid.UUID, list[dict[str, Any]]] = {}

    async def record_submission(self, **values: Any) -> None:
        self.submissions.append({"received_at": datetime.now(UTC), "batch_id": None, **values})

    async def submission_sender(self, submission_id: uuid.UUID) -> tuple[str | None, str] | None:
        kept = next((s for s in self.submissions if s["submission_id"] == submission_id), None)
        return (kept["partner_id"], kept["channel"]) if kept else None

    def _rejected(self, s: dict[str, Any]) -> RejectedSubmission:
        return RejectedSubmission(id=s["submission_id"], received_at=s["received_at"], channel=s["channel"],
                                  partner_id=s["partner_id"], errors=list(s["errors"] or []), batch_id=s["batch_id"],
                                  followed_up=s.get("followed_up"), followed_up_by=s.get("followed_up_by"),
                                  followed_up_at=s.get("followed_up_at"))

    async def rejected_submissions(self, *, partner_ids, platform_channels, received_before, limit,
                                   waiting_only=False):
        found = [self._rejected(s) for s in self.submissions if s["outcome"] == "rejected"
                 and (received_before is None or s["received_at"] < received_before)
                 and not (waiting_only and s.get("followed_up"))]
        found = [r for r in found if (platform_channels or not r.from_platform)
                 and (partner_ids is None or r.partner_id in partner_ids)]
        return sorted(found, key=lambda r: r.received_at, reverse=True)[:limit]

    async def record_follow_up(self, submission_id, follow_up, by, at):
        for s in self.submissions:
            if s["submission_id"] == submission_id and s["outcome"] == "rejected":
                s.update(followed_up=follow_up, followed_up_by=by, followed_up_at=at)

    async def rejected_submission(self, submission_id):
        return next(((self._rejected(s), s["body"]) for s in self.submissions
                     if s["submission_id"] == submission_id and s["outcome"] == "rejected"), None)

    async def registry_record(self, referral_id: uuid.UUID, *, for_update: bool = False) -> RegistryRecord | None:
        found = self.by_id.get(referral_id)
        return RegistryRecord(found.person_id, self.persons[referral_id], self.contacts.get(referral_id)) if found else None

    async def correct_registry_record(self, referral_id: uuid.UUID, person: str, contact: str) -> None:
        self.persons[referral_id], self.contacts[referral_id] = person, contact

    async def add(self, referral: Referral, person: dict[str, Any], match: MatchResult,
                  contact: dict[str, Any] | None = None) -> None:
        self.contacts[referral.id] = contact
        if referral.partner_referral_id is not None and await self.by_partner_reference(
                referral.partner_id, referral.partner_referral_id):
            raise Conflict("referrals_partner_id_partner_referral_id_key")
        self.by_id[referral.id] = referral
        self.persons[referral.id] = person
        self.matches[referral.id] = match
        self.timelines[referral.id] = []
        self.consents[referral.id] = []

    async def get(self, referral_id: uuid.UUID) -> Referral | None:
        return self.by_id.get(referral_id)

    async def save(self, referral: Referral) -> None:
        entries, referral.new_entries = referral.new_entries, []
        self.timelines[referral.id] += [{"status": e.status, "reason": e.reason, "at": e.at} for e in entries]
        consents, referral.new_consents = referral.new_consents, []
        self.consents[referral.id] += [{"consent": e.consent, "at": e.at, "source": e.source,
                                        "reported_by": e.reported_by, "reported_at": e.reported_at}
                                       for e in consents]

    async def by_partner_reference(self, partner_id: str, partner_referral_id: str) -> Referral | None:
        return next((r for r in self.by_id.values()
                     if r.partner_id == partner_id and r.partner_referral_id == partner_referral_id), None)

    async def for_partner(self, partner_id: str, limit: int) -> list[Referral]:
        found = [r for r in self.by_id.values() if r.partner_id == partner_id]
        return sorted(found, key=lambda r: r.received_at, reverse=True)[:limit]

    async def for_person(self, person_id: uuid.UUID, programme_id: str) -> list[Referral]:
        found = [r for r in self.by_id.values() if r.person_id == person_id and r.programme_id == programme_id]
        return sorted(found, key=lambda r: r.received_at)

    async def linked_duplicates(self, referral_id: uuid.UUID) -> list[Referral]:
        return [r for r in self.by_id.values() if r.duplicate_of == referral_id]

    async def by_self_reference(self, reference: str) -> tuple[Referral, dict[str, Any]] | None:
        found = next((r for r in self.by_id.values() if r.self_reference == reference), None)
        return (found, self.persons[found.id]) if found else None

    async def timeline(self, referral_id: uuid.UUID) -> list[dict[str, Any]]:
        return sorted(self.timelines[referral_id], key=lambda e: e["at"])

    async def consent_history(self, referral_id: uuid.UUID) -> list[dict[str, Any]]:
        return list(self.consents[referral_id])

    async def partner_of(self, referral_id: uuid.UUID) -> str | None:
        found = self.by_id.get(referral_id)
        return found.partner_id if found else None


class FakePersons(PersonRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, PersonKey] = {}
        self.reviews_by_id: dict[uuid.UUID, dict[str, Any]] = {}
        self.merged: list[tuple[uuid.UUID, uuid.UUID]] = []
        self.referrals: FakeReferrals | None = None  # set by the unit of work, for merging

    async def candidates(self, key: PersonKey, limit: int = 200) -> list[PersonKey]:
        def shares(p: PersonKey) -> bool:
            return (p.family_key == key.family_key or (key.nhs_number and p.nhs_number == key.nhs_number)
                    or (key.date_of_birth and p.date_of_birth == key.date_of_birth)
                    or (key.postcode and p.postcode == key.postcode))
        return [p for p in self.by_id.values() if shares(p)][:limit]

    async def family_name_frequency(self, family_key: str) -> float:
        count = sum(p.family_key == family_key for p in self.by_id.values())
        return family_name_frequency(count, len(self.by_id))

    async def add(self, person_id: uuid.UUID, key: PersonKey) -> None:
        self.by_id[person_id] = dataclasses.replace(key, person_id=person_id)

    async def fill_in(self, person_id: uuid.UUID, key: PersonKey) -> None:
        p = self.by_id[person_id]
        stated = (key.stated_age, key.stated_age_on) if key.stated_age is not None else (p.stated_age, p.stated_age_on)
        self.by_id[person_id] = PersonKey(p.given_key, p.family_key, p.date_of_birth or key.date_of_birth,
                                          key.postcode or p.postcode, p.nhs_number or key.nhs_number, person_id,
                                          *stated)

    async def open_review(self, referral_id: uuid.UUID, person_id: uuid.UUID, result: MatchResult) -> None:
        review_id = uuid.uuid4()
        self.reviews_by_id[review_id] = {"id": review_id, "referral_id": referral_id, "person_id": person_id,
                                         "candidate_person_id": result.person_id, "confidence": result.confidence,
                                         "reasons": result.reasons, "status": "open", "decision": None,
                                         "decided_by": None}

    async def reviews(self, status: str = "open") -> list[dict[str, Any]]:
        return [dict(r) for r in self.reviews_by_id.values() if r["status"] == status]

    async def review(self, review_id: uuid.UUID) -> dict[str, Any] | None:
        review = self.reviews_by_id.get(review_id)
        return dict(review) if review else None

    async def decide_review(self, review_id: uuid.UUID, decision: str, decided_by: str) -> None:
        self.reviews_by_id[review_id].update(status="decided", decision=decision, decided_by=decided_by)

    async def merge(self, duplicate_person_id: uuid.UUID, into_person_id: uuid.UUID) -> None:
        self.merged.append((duplicate_person_id, into_person_id))
        if self.referrals is not None:  # as the SQL one does: the duplicate's referrals are filed under the other
            for referral in list(self.referrals.by_id.values()):
                if referral.person_id == duplicate_person_id:
                    self.referrals.by_id[referral.id] = dataclasses.replace(referral, person_id=into_person_id)


class FakePartners(PartnerRepository):
    def __init__(self) -> None:
        self.by_id: dict[str, Partner] = {}
        self.keys: dict[str, tuple[str, str]] = {}
        self.mappings: dict[str, dict[str, Any]] = {}

    async def add(self, partner: Partner) -> None:
        if partner.id in self.by_id:
            raise Conflict("partners_pkey")
        self.by_id[partner.id] = partner

    async def get(self, partner_id: str) -> Partner | None:
        return self.by_id.get(partner_id)

    async def ids(self) -> list[str]:
        return list(self.by_id)

    async def referring_to(self, programmes: frozenset[str]) -> list[str]:
        return [p.id for p in self.by_id.values() if set(p.allowed_programmes) & programmes]

    async def add_key(self, partner_id: str, key_id: str, secret_hash: str) -> None:
        self.keys[key_id] = (partner_id, secret_hash)

    async def key(self, key_id: str) -> tuple[str, str] | None:
        return self.keys.get(key_id)

    async def csv_mapping(self, partner_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.mappings.get(partner_id))

    async def set_csv_mapping(self, partner_id: str, mapping: dict[str, Any]) -> None:
        self.mappings[partner_id] = copy.deepcopy(mapping)

    async def set_allowed_programmes(self, partner_id: str, programmes: tuple[str, ...]) -> bool:
        if partner_id not in self.by_id:
            return False
        self.by_id[partner_id] = dataclasses.replace(self.by_id[partner_id], allowed_programmes=programmes)
        return True


class FakeProgrammes(ProgrammeRepository):
    def __init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}

    async def put(self, programme_id: str, name: str, self_referral_open: bool, retention_days: int = 2922) -> None:
        self.by_id[programme_id] = {"id": programme_id, "name": name, "self_referral_open": self_referral_open,
                                    "retention_days": retention_days}

    async def get(self, programme_id: str) -> dict[str, Any] | None:
        return self.by_id.get(programme_id)


class FakeOutreach(OutreachRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, dict[str, Any]] = {}

    async def add(self, *, contact_id: uuid.UUID, **values: Any) -> None:
        self.by_id[contact_id] = {"id": contact_id, "referral_id": None, **values}

    async def get(self, contact_id: uuid.UUID) -> dict[str, Any] | None:
        return self.by_id.get(contact_id)

    async def link_referral(self, contact_id: uuid.UUID, referral_id: uuid.UUID) -> None:
        self.by_id[contact_id]["referral_id"] = referral_id


class FakeBatches(BatchRepository):
    def __init__(self) -> None:
        self.by_id: dict[uuid.UUID, dict[str, Any]] = {}

    async def add(self, *, batch_id: uuid.UUID, **values: Any) -> None:
        self.by_id[batch_id] = {"report": None, **values}

    async def set_report(self, batch_id: uuid.UUID, report: dict[str, Any]) -> None:
        self.by_id[batch_id]["report"] = copy.deepcopy(report)


class FakeWebhooks(WebhookRepository):
    def __init__(self) -> None:
        self.configured: dict[str, tuple[str, str]] = {}
        self.deliveries: dict[int, dict[str, Any]] = {}

    async def configure(self, partner_id: str, url: str, secret: str) -> None:
        self.configured[partner_id] = (url, secret)

    async def enqueue(self, partner_id: str, envelope) -> None:
        if partner_id in self.configured:
            self.deliveries[len(self.deliveries) + 1] = {
                "partner_id": partner_id, "event_id": envelope.id, "body": envelope.model_dump(mode="json"),
                "attempts": 0, "state": "due", "error": None, "next_attempt_at": None}

    async def due(self, limit: int = 20) -> list[WebhookDelivery]:
        return [WebhookDelivery(id=i, partner_id=d["partner_id"], event_id=d["event_id"], body=d["body"],
                                attempts=d["attempts"], url=self.configured[d["partner_id"]][0],
                                secret=self.configured[d["partner_id"]][1])
                for i, d in self.deliveries.items() if d["state"] == "due"][:limit]

    async def delivered(self, delivery_id: int, attempts: int) -> None:
        self.deliveries[delivery_id].update(attempts=attempts, state="delivered", error=None)

    async def gave_up(self, delivery_id: int, attempts: int, error: str) -> None:
        self.deliveries[delivery_id].update(attempts=attempts, state="failed", error=error)

    async def retry_at(self, delivery_id: int, attempts: int, error: str, at: datetime) -> None:
        # Due again at once here: the tests look at the backoff asked for, not the clock.
        self.deliveries[delivery_id].update(attempts=attempts, error=error, next_attempt_at=at)


class FakeCaseHolders(CaseHolderRepository):
    def __init__(self) -> None:
        self.by_case: dict[uuid.UUID, CaseHolder] = {}
        self.closed_at: dict[uuid.UUID, datetime] = {}  # when each closed case was last put (updated_at)

    async def get(self, case_id: uuid.UUID) -> CaseHolder | None:
        return self.by_case.get(case_id)

    async def put(self, holder: CaseHolder) -> None:
        self.by_case[holder.case_id] = holder
        if not holder.open:
            self.closed_at.setdefault(holder.case_id, datetime.now(UTC))


class FakeAuditTrail(AuditTrail):
    """Stored as the SQL trail stores it: (entry, previous hash, hash), in order."""

    def __init__(self) -> None:
        self.rows: list[tuple[AuditEntry, bytes, bytes]] = []

    async def append(self, entry: AuditEntry) -> None:
        previous = self.rows[-1][2] if self.rows else GENESIS
        self.rows.append((dataclasses.replace(entry, seq=len(self.rows) + 1), previous, entry.chained_to(previous)))

    async def entries(self, *, person_id=None, actor=None, since=None, until=None, limit=500) -> list[AuditEntry]:
        return [e for e, _, _ in self.rows if person_id in (None, e.person_id) and actor in (None, e.actor)
                and (since is None or e.at >= since) and (until is None or e.at < until)][:limit]

    async def chain(self) -> list[tuple[AuditEntry, bytes, bytes]]:
        return list(self.rows)


class FakeErasure(ErasureRepository):
    """Erases from the fake referrals and persons as the SQL one does from the tables."""

    def __init__(self, referrals: FakeReferrals, persons: FakePersons, holders: FakeCaseHolders,
                 programmes: FakeProgrammes, outreach: FakeOutreach, keys: InMemoryDataKeyStore) -> None:
        self._referrals, self._persons, self._holders, self._programmes = referrals, persons, holders, programmes
        self._outreach, self._keys = outreach, keys

    async def person_of(self, referral_id: uuid.UUID) -> uuid.UUID | None:
        found = self._referrals.by_id.get(referral_id)
        return found.person_id if found else None

    async def sealed_subjects(self, person_id: uuid.UUID) -> list[str]:
        referral_ids = [r.id for r in self._referrals.by_id.values() if r.person_id == person_id]
        sealed_under = [sealed_subject(v) for i in referral_ids
                        for v in (self._referrals.persons[i], self._referrals.contacts.get(i)) if is_sealed(v)]
        theirs = [s for s in self._referrals.submissions if s["referral_id"] in referral_ids]
        contacts = [i for i, o in self._outreach.by_id.items() if o["referral_id"] in referral_ids]
        return list(dict.fromkeys([*sealed_under, *(str(i) for i in (*(s["submission_id"] for s in theirs),
                                                                     *(s["batch_id"] for s in theirs), *contacts) if i)]))

    async def rejected_submissions_due(self, received_before: datetime, limit: int = 500) -> list[str]:
        due = [s for s in self._referrals.submissions if s["referral_id"] is None
               and s["received_at"] < received_before and str(s["submission_id"]) in self._keys.keys]
        return list(dict.fromkeys(str(i) for i in (*(s["submission_id"] for s in due),
                                                   *(s["batch_id"] for s in due)) if i))[:limit]

    async def erase(self, person_id: uuid.UUID) -> list[uuid.UUID]:
        ids = [r.id for r in self._referrals.by_id.values() if r.person_id == person_id]
        for referral_id in ids:
            self._referrals.persons[referral_id] = {}
            self._referrals.contacts[referral_id] = None
            self.search.keys.pop(referral_id, None)
        for contact in self._outreach.by_id.values():
            if contact["referral_id"] in ids:
                contact["details"] = {}
        self._persons.by_id.pop(person_id, None)
        return ids

    async def due_for_retention(self, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        ended: dict[uuid.UUID, bool] = {}
        for referral in self._referrals.by_id.values():
            if not self._referrals.persons[referral.id]:
                continue
            days = (self._programmes.by_id.get(referral.programme_id) or {}).get("retention_days", 2922)
            holder = next((h for h in self._holders.by_case.values() if h.referral_id == referral.id), None)
            if holder is not None:
                done = not holder.open and self._holders.closed_at[holder.case_id] < now - timedelta(days=days)
            else:
                done = referral.status in ("declined", "redirected") and referral.received_at < now - timedelta(days=days)
            ended[referral.person_id] = ended.get(referral.person_id, True) and done
        return [person for person, done in ended.items() if done][:limit]


class FakeReferralSearch(ReferralSearchRepository):
    """Search keys held in normal form (the SQL adapter holds only their blind indexes), compared as it does."""

    def __init__(self, referrals: FakeReferrals) -> None:
        self._referrals = referrals
        self.keys: dict[uuid.UUID, SearchKeys] = {}

    async def index(self, referral_id: uuid.UUID, keys: SearchKeys) -> None:
        self.keys[referral_id] = keys

    async def unindexed(self, limit: int) -> list[tuple[uuid.UUID, Any]]:
        def unindexed(r: Referral) -> bool:  # no keys, or none of how the names sound (from before intake_0013)
            return r.id not in self.keys or self.keys[r.id].sounds is None

        waiting = sorted((r for r in self._referrals.by_id.values() if unindexed(r) and self._referrals.persons[r.id]),
                         key=lambda r: r.received_at)
        return [(r.id, self._referrals.persons[r.id]) for r in waiting[:limit]]

    async def find(self, search: ReferralSearch, programmes: frozenset[str] | None, limit: int) -> list[SearchHit]:
        def matched_by(r: Referral) -> str | None:
            keys = self.keys.get(r.id)
            if not search.name or keys is None:
                return None
            if search.name in keys.names:
                return BY_NAME
            alike = search.name_sounds and set(search.name_sounds) <= set(keys.sounds or ())
            return SOUNDS_LIKE if alike else None

        def matches(r: Referral) -> bool:
            keys = self.keys.get(r.id)
            return (bool(self._referrals.persons[r.id])
                    and (not search.reference or search.reference in (r.partner_referral_id, r.self_reference)
                         or r.id == search.referral_id)
                    and (not search.name or matched_by(r) is not None)
                    and (not search.nhs_number or (keys is not None and keys.nhs_number == search.nhs_number))
                    and (not search.postcode or (keys is not None and keys.postcode == search.postcode))
                    and (not search.partner_id or r.partner_id == search.partner_id)
                    and (not search.status or r.status == search.status.value)
                    and (programmes is None or r.programme_id in programmes))

        found = sorted((r for r in self._referrals.by_id.values() if matches(r)),
                       key=lambda r: (r.received_at, str(r.id)), reverse=True)
        found.sort(key=lambda r: matched_by(r) == SOUNDS_LIKE)  # stable: exact matches first, each newest first
        return [SearchHit(r, self._referrals.persons[r.id], matched_by(r))
                for r in found[search.offset:search.offset + limit]]


class FakeIntakeUnitOfWork(FakeMessaging, IntakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.referrals = FakeReferrals()
        self.persons = FakePersons()
        self.persons.referrals = self.referrals
        self.partners = FakePartners()
        self.programmes = FakeProgrammes()
        self.outreach = FakeOutreach()
        self.batches = FakeBatches()
        self.webhooks = FakeWebhooks()
        self.case_holders = FakeCaseHolders()
        self.audit = FakeAuditTrail()
        self.data_keys = InMemoryDataKeyStore()
        self.sealer = Sealer(LocalKeyEncryptionKey(os.urandom(32)), self.data_keys)
        self.erasure = FakeErasure(self.referrals, self.persons, self.case_holders, self.programmes, self.outreach,
                                   self.data_keys)
        self.search = FakeReferralSearch(self.referrals)
        self.erasure.search = self.search


# What the fakes hold is sealed as the tables hold it; the tests open it as intake's readers do.

async def person_kept(uow: FakeIntakeUnitOfWork, referral_id: uuid.UUID) -> dict[str, Any] | None:
    return await sealed.open_json(uow.sealer, uow.referrals.persons[referral_id], context=sealed.PERSON)


async def body_kept(uow: FakeIntakeUnitOfWork, submission: dict[str, Any]) -> bytes | None:
    return await sealed.open_bytes(uow.sealer, submission["body"], context=sealed.SUBMISSION)
