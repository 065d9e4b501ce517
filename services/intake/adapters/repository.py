"""Intake repositories: the only code that knows intake's tables."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.domain.matching import MatchResult, PersonKey, family_name_frequency
from services.intake.domain.partner import SYSTEM_PARTNERS, Partner
from services.intake.domain.referral import Referral
from services.intake.domain.rejection import RejectedSubmission
from services.intake.service_layer.unit_of_work import (
    BatchRepository,
    OutreachRepository,
    PartnerRepository,
    PersonRepository,
    ProgrammeRepository,
    ReferralRepository,
    RegistryRecord,
    WebhookDelivery,
    WebhookRepository,
)
from services.intake.service_layer import sealed
from shared.platform.blind_index import BlindIndex
from shared.platform.sealing import Sealer
from shared.platform.uow import Conflict

from . import tables as t


class SqlPartnerRepository(PartnerRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, partner: Partner) -> None:
        await _unique(self._conn, sa.insert(t.partners).values(
            id=partner.id, name=partner.name, allowed_programmes=list(partner.allowed_programmes),
            attests_consent=partner.attests_consent))

    async def get(self, partner_id: str) -> Partner | None:
        row = (await self._conn.execute(sa.select(t.partners).where(t.partners.c.id == partner_id))).first()
        return Partner(row.id, row.name, tuple(row.allowed_programmes), row.attests_consent) if row else None

    async def ids(self) -> list[str]:
        return list((await self._conn.execute(sa.select(t.partners.c.id))).scalars().all())

    async def referring_to(self, programmes: frozenset[str]) -> list[str]:
        p = t.partners
        return list((await self._conn.execute(
            sa.select(p.c.id).where(p.c.allowed_programmes.overlap(sorted(programmes))))).scalars().all())

    async def add_key(self, partner_id: str, key_id: str, secret_hash: str) -> None:
        await self._conn.execute(
            sa.insert(t.partner_api_keys).values(key_id=key_id, partner_id=partner_id, secret_hash=secret_hash)
        )

    async def key(self, key_id: str) -> tuple[str, str] | None:
        row = (
            await self._conn.execute(
                sa.select(t.partner_api_keys.c.partner_id, t.partner_api_keys.c.secret_hash).where(
                    t.partner_api_keys.c.key_id == key_id, t.partner_api_keys.c.revoked_at.is_(None)
                )
            )
        ).first()
        return (row.partner_id, row.secret_hash) if row else None

    async def csv_mapping(self, partner_id: str) -> dict[str, Any] | None:
        row = (await self._conn.execute(
            sa.select(t.csv_mappings.c.mapping).where(t.csv_mappings.c.partner_id == partner_id))).first()
        return row.mapping if row else None

    async def set_csv_mapping(self, partner_id: str, mapping: dict[str, Any]) -> None:
        statement = insert(t.csv_mappings).values(partner_id=partner_id, mapping=mapping)
        await self._conn.execute(statement.on_conflict_do_update(
            index_elements=["partner_id"], set_={"mapping": mapping, "updated_at": sa.func.now()}))

    async def set_allowed_programmes(self, partner_id: str, programmes: tuple[str, ...]) -> bool:
        changed = await self._conn.execute(sa.update(t.partners).where(t.partners.c.id == partner_id)
                                           .values(allowed_programmes=list(programmes)))
        return changed.rowcount == 1


async def _unique(conn: AsyncConnection, statement) -> None:
    """Execute an insert that a concurrent transaction may have beaten to a unique key."""
    try:
        await conn.execute(statement)
    except IntegrityError as exc:
        raise Conflict(str(exc.orig)) from exc


class SqlReferralRepository(ReferralRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def record_submission(
        self,
        *,
        submission_id: uuid.UUID,
        partner_id: str | None,
        channel: str,
        body: bytes,
        outcome: str,
        errors: list[dict[str, Any]] | None,
        referral_id: uuid.UUID | None,
        correlation_id: uuid.UUID,
        batch_id: uuid.UUID | None = None,
    ) -> None:
        if errors is not None:
            # PostgreSQL's jsonb cannot hold NUL characters, which hostile input can put in field names.
            errors = json.loads(json.dumps(errors).replace("\\u0000", "\\ufffd"))
        await self._conn.execute(
            sa.insert(t.submissions).values(
                id=submission_id,
                partner_id=partner_id,
                channel=channel,
                body=body,
                outcome=outcome,
                errors=errors,
                referral_id=referral_id,
                correlation_id=correlation_id,
                batch_id=batch_id,
            )
        )

    async def submission_sender(self, submission_id: uuid.UUID) -> tuple[str | None, str] | None:
        s = t.submissions
        row = (await self._conn.execute(sa.select(s.c.partner_id, s.c.channel).where(s.c.id == submission_id))).first()
        return (row.partner_id, row.channel) if row else None

    async def rejected_submissions(self, *, partner_ids: frozenset[str] | None, platform_channels: bool,
                                   received_before: datetime | None, limit: int,
                                   waiting_only: bool = False) -> list[RejectedSubmission]:
        s = t.submissions
        from_partners = sa.true() if partner_ids is None else s.c.partner_id.in_(sorted(partner_ids))
        if not platform_channels:
            from_partners = sa.and_(from_partners, s.c.partner_id.is_not(None),
                                    s.c.partner_id.not_in(sorted(SYSTEM_PARTNERS)))
        query = (sa.select(*_rejected_columns()).where(s.c.outcome == "rejected", from_partners)
                 .order_by(s.c.received_at.desc(), s.c.id).limit(limit))
        if received_before is not None:
            query = query.where(s.c.received_at < received_before)
        if waiting_only:
            query = query.where(s.c.followed_up.is_(None))
        return [_rejected(row) for row in (await self._conn.execute(query)).all()]

    async def record_follow_up(self, submission_id: uuid.UUID, follow_up: str, by: str, at: datetime) -> None:
        s = t.submissions
        await self._conn.execute(sa.update(s).where(s.c.id == submission_id, s.c.outcome == "rejected")
                                 .values(followed_up=follow_up, followed_up_by=by, followed_up_at=at))

    async def rejected_submission(self, submission_id: uuid.UUID) -> tuple[RejectedSubmission, bytes] | None:
        s = t.submissions
        row = (await self._conn.execute(
            sa.select(*_rejected_columns(), s.c.body).where(s.c.id == submission_id, s.c.outcome == "rejected"))).first()
        return (_rejected(row), row.body) if row else None

    async def by_partner_reference(self, partner_id: str, partner_referral_id: str) -> Referral | None:
        return await self._one(sa.and_(t.referrals.c.partner_id == partner_id,
                                       t.referrals.c.partner_referral_id == partner_referral_id))

    async def get(self, referral_id: uuid.UUID) -> Referral | None:
        return await self._one(t.referrals.c.id == referral_id, lock=True)

    async def registry_record(self, referral_id: uuid.UUID, *, for_update: bool = False) -> RegistryRecord | None:
        r = t.referrals
        query = sa.select(r.c.person_id, r.c.person, r.c.contact).where(r.c.id == referral_id)
        row = (await self._conn.execute(query.with_for_update() if for_update else query)).first()
        return RegistryRecord(row.person_id, row.person, row.contact) if row else None

    async def correct_registry_record(self, referral_id: uuid.UUID, person: str, contact: str) -> None:
        r = t.referrals
        await self._conn.execute(sa.update(r).where(r.c.id == referral_id).values(person=person, contact=contact))

    async def add(self, referral: Referral, person: dict[str, Any] | str, match: MatchResult,
                  contact: dict[str, Any] | str | None = None) -> None:
        await _unique(self._conn, sa.insert(t.referrals).values(contact=contact,
            id=referral.id, person_id=referral.person_id, partner_id=referral.partner_id,
            partner_referral_id=referral.partner_referral_id, programme_id=referral.programme_id,
            status=referral.status, person=person, received_at=referral.received_at,
            correlation_id=referral.correlation_id, channel=referral.channel, duplicate_of=referral.duplicate_of,
            previous_referral_id=referral.previous_referral_id, self_reference=referral.self_reference,
            match_method=match.method, match_confidence=match.confidence,
            submission_sha256=referral.submission_sha256, consent=referral.consent))

    async def save(self, referral: Referral) -> None:
        entries, referral.new_entries = referral.new_entries, []
        for entry in entries:
            await self._conn.execute(sa.insert(t.referral_timeline).values(
                referral_id=referral.id, status=entry.status, at=entry.at, reason=entry.reason,
                event_id=entry.event_id))
        consents, referral.new_consents = referral.new_consents, []
        for given in consents:
            await self._conn.execute(sa.insert(t.referral_consents).values(
                referral_id=referral.id, consent=given.consent, at=given.at, source=given.source,
                reported_by=given.reported_by, reported_at=given.reported_at, event_id=given.event_id))
        await self._conn.execute(sa.update(t.referrals).where(t.referrals.c.id == referral.id)
                                 .values(status=referral.status, consent=referral.consent))

    async def for_partner(self, partner_id: str, limit: int) -> list[Referral]:
        query = (sa.select(*referral_columns()).where(t.referrals.c.partner_id == partner_id)
                 .order_by(t.referrals.c.received_at.desc()).limit(limit))
        return [referral_of(r) for r in await self._conn.execute(query)]

    async def for_person(self, person_id: uuid.UUID, programme_id: str) -> list[Referral]:
        return await self._many(sa.and_(t.referrals.c.person_id == person_id,
                                        t.referrals.c.programme_id == programme_id))

    async def linked_duplicates(self, referral_id: uuid.UUID) -> list[Referral]:
        return await self._many(t.referrals.c.duplicate_of == referral_id, lock=True)

    async def by_self_reference(self, reference: str) -> tuple[Referral, dict[str, Any] | str] | None:
        row = (await self._conn.execute(sa.select(*referral_columns()).where(t.referrals.c.self_reference == reference))).first()
        return (referral_of(row), row.person) if row else None

    async def timeline(self, referral_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self._conn.execute(
            sa.select(t.referral_timeline.c.status, t.referral_timeline.c.reason, t.referral_timeline.c.at)
            .where(t.referral_timeline.c.referral_id == referral_id)
            .order_by(t.referral_timeline.c.at, t.referral_timeline.c.id)
        )
        return [{"status": r.status, "reason": r.reason, "at": r.at} for r in rows]

    async def consent_history(self, referral_id: uuid.UUID) -> list[dict[str, Any]]:
        c = t.referral_consents
        rows = await self._conn.execute(sa.select(c.c.consent, c.c.at, c.c.source, c.c.reported_by, c.c.reported_at)
                                        .where(c.c.referral_id == referral_id).order_by(c.c.id))
        return [dict(r._mapping) for r in rows]

    async def partner_of(self, referral_id: uuid.UUID) -> str | None:
        return (await self._conn.execute(
            sa.select(t.referrals.c.partner_id).where(t.referrals.c.id == referral_id))).scalar()

    async def _one(self, condition, lock: bool = False) -> Referral | None:
        found = await self._many(condition, lock)
        return found[0] if found else None

    async def _many(self, condition, lock: bool = False) -> list[Referral]:
        if lock:
            # Locked first, read after. In READ COMMITTED a statement that waited for the lock still sees the
            # timeline as it was when the statement began, so a status change committed while it waited would
            # be missing from latest_event_at, and an earlier event arriving late would overwrite the later one.
            await self._conn.execute(sa.select(t.referrals.c.id).where(condition)
                                     .order_by(t.referrals.c.id).with_for_update())
        query = sa.select(*referral_columns()).where(condition).order_by(t.referrals.c.received_at)
        return [referral_of(r) for r in await self._conn.execute(query)]


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def referral_columns():
    # The time of the referral's latest timeline event: a later-arriving but earlier event does not set its status.
    latest = (sa.select(sa.func.max(t.referral_timeline.c.at))
              .where(t.referral_timeline.c.referral_id == t.referrals.c.id).scalar_subquery())
    return (t.referrals, latest.label("latest_event_at"))


def _rejected_columns():
    s = t.submissions
    return (s.c.id, s.c.received_at, s.c.channel, s.c.partner_id, s.c.errors, s.c.batch_id, s.c.followed_up,
            s.c.followed_up_by, s.c.followed_up_at)


def _rejected(row) -> RejectedSubmission:
    return RejectedSubmission(id=row.id, received_at=row.received_at, channel=row.channel, partner_id=row.partner_id,
                              errors=list(row.errors or []), batch_id=row.batch_id, followed_up=row.followed_up,
                              followed_up_by=row.followed_up_by, followed_up_at=row.followed_up_at)


def referral_of(row) -> Referral:
    return Referral(
        id=row.id, person_id=row.person_id, partner_id=row.partner_id, partner_referral_id=row.partner_referral_id,
        programme_id=row.programme_id, status=row.status, received_at=row.received_at,
        correlation_id=row.correlation_id, channel=row.channel, duplicate_of=row.duplicate_of,
        previous_referral_id=row.previous_referral_id, self_reference=row.self_reference,
        latest_event_at=row.latest_event_at, submission_sha256=row.submission_sha256, consent=row.consent,
    )


class SqlPersonRepository(PersonRepository):
    """People as intake knows them, for matching. What matching compares is sealed under the person's data
    key; candidates are found by keyed blind indexes, so no name, birthday, NHS number or postcode is kept
    in clear (rows from before intake_0009 keep their clear columns, and are still found by them)."""

    def __init__(self, conn: AsyncConnection, sealer: Sealer, index: BlindIndex) -> None:
        self._conn = conn
        self._sealer = sealer
        self._index = index

    def _indexes(self, key: PersonKey) -> dict[str, str | None]:
        of = self._index.of
        return {"nhs_number_index": of("nhs_number", key.nhs_number),
                "family_name_index": of("family_name", key.family_key),
                "date_of_birth_index": of("date_of_birth", key.date_of_birth.isoformat() if key.date_of_birth else None),
                "postcode_index": of("postcode", key.postcode)}

    async def candidates(self, key: PersonKey, limit: int = 200) -> list[PersonKey]:
        p = t.persons
        indexes = self._indexes(key)
        conditions = [p.c.family_name_index == indexes["family_name_index"], p.c.family_name_key == key.family_key]
        if key.nhs_number:
            conditions += [p.c.nhs_number_index == indexes["nhs_number_index"], p.c.nhs_number == key.nhs_number]
        if key.date_of_birth:
            conditions += [p.c.date_of_birth_index == indexes["date_of_birth_index"],
                           p.c.date_of_birth == key.date_of_birth]
        if key.postcode:
            conditions += [p.c.postcode_index == indexes["postcode_index"], p.c.postcode == key.postcode]
        rows = await self._conn.execute(sa.select(p).where(sa.or_(*conditions)).limit(limit))
        found = [await self._key_of(r) for r in rows]
        return [k for k in found if k is not None]

    async def _key_of(self, row) -> PersonKey | None:
        if row.sealed_key is None:  # a row from before sealing
            return PersonKey(row.given_name_key, row.family_name_key, row.date_of_birth, row.postcode, row.nhs_number,
                             row.id, row.stated_age, row.stated_age_on)
        opened = await self._sealer.open_or_none(row.sealed_key, context=sealed.PERSON_KEY)
        if opened is None:
            return None  # erased: nobody to match
        v = json.loads(opened)
        return PersonKey(v["given_key"], v["family_key"], _date(v["date_of_birth"]), v["postcode"], v["nhs_number"],
                         row.id, v["stated_age"], _date(v["stated_age_on"]))

    async def _store(self, person_id: uuid.UUID, key: PersonKey) -> dict[str, Any]:
        fields = {"given_key": key.given_key, "family_key": key.family_key,
                  "date_of_birth": key.date_of_birth.isoformat() if key.date_of_birth else None,
                  "postcode": key.postcode, "nhs_number": key.nhs_number, "stated_age": key.stated_age,
                  "stated_age_on": key.stated_age_on.isoformat() if key.stated_age_on else None}
        sealed_key = await self._sealer.seal(str(person_id), json.dumps(fields), context=sealed.PERSON_KEY)
        # Whatever was in clear (a row from before sealing) goes as the sealed key replaces it.
        return {"sealed_key": sealed_key, **self._indexes(key), "nhs_number": None, "given_name_key": None,
                "family_name_key": None, "date_of_birth": None, "postcode": None, "stated_age": None,
                "stated_age_on": None}

    async def family_name_frequency(self, family_key: str) -> float:
        p = t.persons
        same = sa.or_(p.c.family_name_index == self._index.of("family_name", family_key),
                      p.c.family_name_key == family_key)
        row = (await self._conn.execute(sa.select(
            sa.func.count().filter(same).label("count"), sa.func.count().label("total")))).one()
        return family_name_frequency(row.count, row.total)

    async def add(self, person_id: uuid.UUID, key: PersonKey) -> None:
        await _unique(self._conn, sa.insert(t.persons).values(id=person_id, **await self._store(person_id, key)))

    async def fill_in(self, person_id: uuid.UUID, key: PersonKey) -> None:
        """What the new referral knows and the record lacked (an NHS number, a date of birth) is kept; a newly
        stated age replaces an older one."""
        p = t.persons
        row = (await self._conn.execute(sa.select(p).where(p.c.id == person_id).with_for_update())).first()
        known = await self._key_of(row) if row else None
        if known is None:
            return
        stated = (key.stated_age, key.stated_age_on) if key.stated_age is not None else (known.stated_age,
                                                                                         known.stated_age_on)
        merged = PersonKey(known.given_key, known.family_key, known.date_of_birth or key.date_of_birth,
                           key.postcode or known.postcode, known.nhs_number or key.nhs_number, person_id, *stated)
        await self._conn.execute(sa.update(p).where(p.c.id == person_id).values(**await self._store(person_id, merged)))

    async def open_review(self, referral_id: uuid.UUID, person_id: uuid.UUID, result: MatchResult) -> None:
        await self._conn.execute(
            sa.insert(t.match_reviews).values(
                id=uuid.uuid4(), referral_id=referral_id, person_id=person_id,
                candidate_person_id=result.person_id, confidence=result.confidence, reasons=result.reasons,
            )
        )

    async def reviews(self, status: str = "open") -> list[dict[str, Any]]:
        rows = await self._conn.execute(
            sa.select(t.match_reviews).where(t.match_reviews.c.status == status).order_by(t.match_reviews.c.created_at)
        )
        return [dict(r._mapping) for r in rows]

    async def review(self, review_id: uuid.UUID) -> dict[str, Any] | None:
        row = (
            await self._conn.execute(sa.select(t.match_reviews).where(t.match_reviews.c.id == review_id).with_for_update())
        ).first()
        return dict(row._mapping) if row else None

    async def decide_review(self, review_id: uuid.UUID, decision: str, decided_by: str) -> None:
        await self._conn.execute(
            sa.update(t.match_reviews).where(t.match_reviews.c.id == review_id).values(
                status="decided", decision=decision, decided_by=decided_by, decided_at=sa.func.now()
            )
        )

    async def merge(self, duplicate_person_id: uuid.UUID, into_person_id: uuid.UUID) -> None:
        await self._conn.execute(
            sa.update(t.referrals).where(t.referrals.c.person_id == duplicate_person_id).values(person_id=into_person_id)
        )


class SqlWebhookRepository(WebhookRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def configure(self, partner_id: str, url: str, secret: str) -> None:
        statement = insert(t.webhooks).values(partner_id=partner_id, url=url, secret=secret)
        await self._conn.execute(
            statement.on_conflict_do_update(index_elements=["partner_id"], set_={"url": url, "secret": secret})
        )

    async def _has_webhook(self, partner_id: str) -> bool:
        row = (await self._conn.execute(sa.select(t.webhooks.c.partner_id).where(t.webhooks.c.partner_id == partner_id))).first()
        return row is not None

    async def enqueue(self, partner_id: str, envelope) -> None:
        if not await self._has_webhook(partner_id):
            return
        await self._conn.execute(sa.insert(t.webhook_deliveries).values(
            partner_id=partner_id, event_id=envelope.id, body=envelope.model_dump(mode="json")))

    async def due(self, limit: int = 20) -> list[WebhookDelivery]:
        d, w = t.webhook_deliveries, t.webhooks
        rows = await self._conn.execute(
            sa.select(d.c.id, d.c.partner_id, d.c.event_id, d.c.body, d.c.attempts, w.c.url, w.c.secret)
            .join(w, w.c.partner_id == d.c.partner_id)
            .where(d.c.delivered_at.is_(None), d.c.failed_at.is_(None), d.c.next_attempt_at <= sa.func.now())
            .order_by(d.c.id).limit(limit).with_for_update(of=d, skip_locked=True))
        return [WebhookDelivery(**r._mapping) for r in rows]

    async def delivered(self, delivery_id: int, attempts: int) -> None:
        await self._set(delivery_id, attempts=attempts, delivered_at=sa.func.now(), last_error=None)

    async def gave_up(self, delivery_id: int, attempts: int, error: str) -> None:
        await self._set(delivery_id, attempts=attempts, failed_at=sa.func.now(), last_error=error)

    async def retry_at(self, delivery_id: int, attempts: int, error: str, at: datetime) -> None:
        await self._set(delivery_id, attempts=attempts, last_error=error, next_attempt_at=at)

    async def _set(self, delivery_id: int, **values: Any) -> None:
        d = t.webhook_deliveries
        await self._conn.execute(sa.update(d).where(d.c.id == delivery_id).values(**values))


class SqlProgrammeRepository(ProgrammeRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def put(self, programme_id: str, name: str, self_referral_open: bool, retention_days: int = 2922) -> None:
        values = {"name": name, "self_referral_open": self_referral_open, "retention_days": retention_days}
        statement = insert(t.programmes).values(id=programme_id, **values)
        await self._conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))

    async def get(self, programme_id: str) -> dict[str, Any] | None:
        row = (await self._conn.execute(sa.select(t.programmes).where(t.programmes.c.id == programme_id))).first()
        return dict(row._mapping) if row else None


class SqlOutreachRepository(OutreachRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, contact_id: uuid.UUID, programme_id: str, met_at: str, occurred_at: datetime,
                  logged_by: str, details: dict[str, Any] | str) -> None:
        await self._conn.execute(sa.insert(t.outreach_contacts).values(
            id=contact_id, programme_id=programme_id, met_at=met_at, occurred_at=occurred_at, logged_by=logged_by,
            details=details))

    async def get(self, contact_id: uuid.UUID) -> dict[str, Any] | None:
        row = (await self._conn.execute(
            sa.select(t.outreach_contacts).where(t.outreach_contacts.c.id == contact_id))).first()
        return dict(row._mapping) if row else None

    async def link_referral(self, contact_id: uuid.UUID, referral_id: uuid.UUID) -> None:
        await self._conn.execute(sa.update(t.outreach_contacts).where(t.outreach_contacts.c.id == contact_id)
                                 .values(referral_id=referral_id))


class SqlBatchRepository(BatchRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, *, batch_id: uuid.UUID, partner_id: str, filename: str | None, sha256: str,
                  content: bytes) -> None:
        await self._conn.execute(sa.insert(t.batches).values(
            id=batch_id, partner_id=partner_id, filename=filename, sha256=sha256, content=content))

    async def set_report(self, batch_id: uuid.UUID, report: dict[str, Any]) -> None:
        await self._conn.execute(sa.update(t.batches).where(t.batches.c.id == batch_id).values(report=report))
