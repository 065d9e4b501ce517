"""Referral search on PostgreSQL: keyed blind indexes of each referral's names, what its name words sound like,
its NHS number and postcode (referral_search_keys), joined to the referrals they find. No search term and no
key (phonetic or other) is kept in clear."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.adapters import tables as t
from services.intake.adapters.repository import referral_columns, referral_of
from services.intake.domain.search import (BY_NAME, NAME, NAME_SOUND, NHS_NUMBER, POSTCODE, SOUNDS_LIKE,
                                          ReferralSearch, SearchKeys)
from services.intake.service_layer.unit_of_work import ReferralSearchRepository, SearchHit
from shared.platform.blind_index import BlindIndex

ERASED = sa.cast(sa.literal("{}"), JSONB)  # what erasure leaves in referrals.person


class SqlReferralSearchRepository(ReferralSearchRepository):
    def __init__(self, conn: AsyncConnection, index: BlindIndex) -> None:
        self._conn = conn
        self._index = index

    async def index(self, referral_id: uuid.UUID, keys: SearchKeys) -> None:
        of = self._index.of
        values = {"name_indexes": [of(NAME, n) for n in keys.names],
                  "name_sound_indexes": [of(NAME_SOUND, sound) for sound in keys.sounds or ()],
                  "nhs_number_index": of(NHS_NUMBER, keys.nhs_number), "postcode_index": of(POSTCODE, keys.postcode)}
        statement = insert(t.referral_search_keys).values(referral_id=referral_id, **values)
        await self._conn.execute(statement.on_conflict_do_update(index_elements=["referral_id"], set_=values))

    async def unindexed(self, limit: int) -> list[tuple[uuid.UUID, dict | str]]:
        r, k = t.referrals, t.referral_search_keys
        rows = await self._conn.execute(
            sa.select(r.c.id, r.c.person).select_from(r.outerjoin(k, k.c.referral_id == r.c.id))
            .where(sa.or_(k.c.referral_id.is_(None), k.c.name_sound_indexes.is_(None)), r.c.person != ERASED)
            .order_by(r.c.received_at).limit(limit))
        return [(row.id, row.person) for row in rows]

    async def find(self, search: ReferralSearch, programmes: frozenset[str] | None, limit: int) -> list[SearchHit]:
        r, k, of = t.referrals, t.referral_search_keys, self._index.of
        conditions = [r.c.person != ERASED]
        if search.reference:
            same = [r.c.partner_referral_id == search.reference, r.c.self_reference == search.reference]
            if search.referral_id:
                same.append(r.c.id == search.referral_id)
            conditions.append(sa.or_(*same))
        matched_by = sa.null()
        exact_first: list[sa.ColumnElement] = []
        if search.name:
            exactly = k.c.name_indexes.contains([of(NAME, search.name)])
            if search.name_sounds:
                sounds_alike = k.c.name_sound_indexes.contains([of(NAME_SOUND, s) for s in search.name_sounds])
                conditions.append(sa.or_(exactly, sounds_alike))
                matched_by = sa.case((exactly, BY_NAME), else_=SOUNDS_LIKE)
                exact_first = [sa.case((exactly, 0), else_=1)]
            else:
                conditions.append(exactly)
                matched_by = sa.literal(BY_NAME)
        if search.nhs_number:
            conditions.append(k.c.nhs_number_index == of(NHS_NUMBER, search.nhs_number))
        if search.postcode:
            conditions.append(k.c.postcode_index == of(POSTCODE, search.postcode))
        if search.partner_id:
            conditions.append(r.c.partner_id == search.partner_id)
        if search.status:
            conditions.append(r.c.status == search.status.value)
        if programmes is not None:
            conditions.append(r.c.programme_id.in_(sorted(programmes)))
        query = (sa.select(*referral_columns(), matched_by.label("matched_by"))
                 .select_from(r.outerjoin(k, k.c.referral_id == r.c.id)).where(*conditions)
                 .order_by(*exact_first, r.c.received_at.desc(), r.c.id.desc()).offset(search.offset).limit(limit))
        return [SearchHit(referral_of(row), row.person, row.matched_by) for row in await self._conn.execute(query)]
