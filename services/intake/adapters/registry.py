"""The registry's SQL: who holds each case, and the audit trail (appended under a lock, in order)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters import tables as t
from shared.platform.sealing import is_sealed, sealed_subject
from shared.platform.audit_sql import SqlAuditTrail as SharedSqlAuditTrail
from services.intake.service_layer.unit_of_work import (CaseHolder, CaseHolderRepository,
                                                        ErasureRepository)

class SqlCaseHolderRepository(CaseHolderRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, case_id: uuid.UUID) -> CaseHolder | None:
        h = t.case_holders
        row = (await self._conn.execute(sa.select(h).where(h.c.case_id == case_id))).first()
        return CaseHolder(row.case_id, row.referral_id, row.programme_id, row.worker_id, row.open) if row else None

    async def put(self, holder: CaseHolder) -> None:
        values = {"referral_id": holder.referral_id, "programme_id": holder.programme_id,
                  "worker_id": holder.worker_id, "open": holder.open, "updated_at": sa.func.now()}
        await self._conn.execute(insert(t.case_holders).values(case_id=holder.case_id, **values)
                                 .on_conflict_do_update(index_elements=["case_id"], set_=values))


class SqlAuditTrail(SharedSqlAuditTrail):
    def __init__(self, conn: AsyncConnection) -> None:
        super().__init__(conn, t.audit_trail)


class SqlErasureRepository(ErasureRepository):
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def person_of(self, referral_id: uuid.UUID) -> uuid.UUID | None:
        r = t.referrals
        return (await self._conn.execute(sa.select(r.c.person_id).where(r.c.id == referral_id))).scalar()

    async def sealed_subjects(self, person_id: uuid.UUID) -> list[str]:
        r, s, o = t.referrals, t.submissions, t.outreach_contacts
        theirs = (await self._conn.execute(sa.select(r.c.id, r.c.person, r.c.contact)
                                           .where(r.c.person_id == person_id))).all()
        referral_ids = [row.id for row in theirs]
        if not referral_ids:
            return []
        sealed_under = [sealed_subject(v) for row in theirs for v in (row.person, row.contact) if is_sealed(v)]
        rows = (await self._conn.execute(sa.select(s.c.id, s.c.batch_id).where(s.c.referral_id.in_(referral_ids)))).all()
        contacts = (await self._conn.execute(sa.select(o.c.id).where(o.c.referral_id.in_(referral_ids)))).scalars()
        return [*dict.fromkeys(sealed_under), *_subjects([r.id for r in rows], [r.batch_id for r in rows], contacts)]

    async def rejected_submissions_due(self, received_before: datetime, limit: int = 500) -> list[str]:
        s, k = t.submissions, t.data_keys
        # Those whose key still exists: a destroyed one has a tombstone, never a key again.
        rows = (await self._conn.execute(
            sa.select(s.c.id, s.c.batch_id)
            .join(k, k.c.subject == sa.cast(s.c.id, sa.Text))
            .where(s.c.referral_id.is_(None), s.c.received_at < received_before, k.c.wrapped_key.is_not(None))
            .order_by(s.c.received_at).limit(limit))).all()
        return _subjects([r.id for r in rows], [r.batch_id for r in rows], ())

    async def erase(self, person_id: uuid.UUID) -> list[uuid.UUID]:
        r = t.referrals
        ids = list((await self._conn.execute(sa.select(r.c.id).where(r.c.person_id == person_id))).scalars())
        # The digest of the submission goes too: it would confirm a guess at what was sent.
        await self._conn.execute(sa.update(r).where(r.c.person_id == person_id)
                                 .values(person={}, contact=None, submission_sha256=None))  # {}: erased
        if ids:
            # Nobody finds an erased person by name, NHS number or postcode again.
            await self._conn.execute(sa.delete(t.referral_search_keys).where(t.referral_search_keys.c.referral_id.in_(ids)))
            s = t.submissions
            # The body stays as sealed (its key is destroyed with the person's): nothing readable is left.
            await self._conn.execute(sa.update(s).where(s.c.referral_id.in_(ids)).values(errors=None))
            o = t.outreach_contacts
            await self._conn.execute(sa.update(o).where(o.c.referral_id.in_(ids)).values(details={}))
            out = t.outbox
            # Published rows only: an unpublished one is still on its way out and holds nothing once sent.
            await self._conn.execute(sa.delete(out).where(out.c.message_key.in_([str(i) for i in ids]),
                                                          out.c.published_at.is_not(None)))
        await self._conn.execute(sa.delete(t.persons).where(t.persons.c.id == person_id))
        return ids

    async def due_for_retention(self, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        # A referral ended when its case closed, or (with no case) when it was declined or redirected.
        rows = await self._conn.execute(sa.text("""
            SELECT r.person_id FROM intake.referrals r
            LEFT JOIN intake.programmes p ON p.id = r.programme_id
            LEFT JOIN intake.case_holders h ON h.referral_id = r.id
            WHERE r.person <> '{}'::jsonb
            GROUP BY r.person_id
            HAVING bool_and(
                CASE WHEN h.case_id IS NOT NULL
                     THEN NOT h.open AND h.updated_at < CAST(:now AS timestamptz)
                                                        - make_interval(days => coalesce(p.retention_days, 2922))
                     ELSE r.status IN ('declined', 'redirected')
                          AND r.received_at < CAST(:now AS timestamptz)
                                              - make_interval(days => coalesce(p.retention_days, 2922))
                END)
            LIMIT :limit"""), {"now": now, "limit": limit})
        return [row.person_id for row in rows]


def _subjects(submissions, batches, contacts) -> list[str]:
    return list(dict.fromkeys(str(i) for i in (*submissions, *batches, *contacts) if i is not None))
