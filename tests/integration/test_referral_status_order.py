"""A referral's status is its latest event's, even when an earlier event is applied while a later one commits.

Intake applies triage decisions and case events from two consumers at once. Found by `referrals chaos`: a
case's "assigned" committed while the triage decision's transaction waited for the referral's row lock, and
the decision, older but applied last, set the status back to "accepted", where it stayed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.intake.adapters import tables
from services.intake.adapters.repository import SqlReferralRepository
from services.intake.domain.status import ReferralStatus
from shared.platform.db import make_engine
from shared.platform.migrations import upgrade_to_head

pytestmark = pytest.mark.integration

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "intake" / "adapters" / "migrations"


async def _waiting_for_a_lock(engine, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = (await conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))).scalar()
            await conn.commit()
            if waiting:
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the second transaction never waited for the referral's lock")


async def test_an_earlier_event_applied_after_a_later_one_commits_does_not_set_the_status(infrastructure):
    url = await infrastructure.create_database("status_order")
    await upgrade_to_head(MIGRATIONS, url, tables.SCHEMA)
    engine = make_engine(url)
    referral_id = uuid.uuid4()
    received = datetime(2026, 12, 6, 2, 39, 49, tzinfo=timezone.utc)
    accepted_at, assigned_at = received + timedelta(seconds=0.3), received + timedelta(seconds=0.6)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(tables.referrals).values(
                id=referral_id, person_id=uuid.uuid4(), partner_id="gp", programme_id="connect", status="received",
                person={}, received_at=received, correlation_id=uuid.uuid4()))
            await conn.execute(sa.insert(tables.referral_timeline).values(
                referral_id=referral_id, status="received", at=received))

        async def apply(conn, status: ReferralStatus, at: datetime) -> None:
            referrals = SqlReferralRepository(conn)
            referral = await referrals.get(referral_id)
            referral.advance(status, at, event_id=uuid.uuid4())
            await referrals.save(referral)

        async with engine.connect() as case_events:
            await case_events.begin()
            await apply(case_events, ReferralStatus.ASSIGNED, assigned_at)  # holds the row lock

            async def triage_decision() -> None:
                async with engine.begin() as conn:
                    await apply(conn, ReferralStatus.ACCEPTED, accepted_at)

            decision = asyncio.create_task(triage_decision())
            await _waiting_for_a_lock(engine)
            await case_events.commit()
            await asyncio.wait_for(decision, timeout=60)

        async with engine.connect() as conn:
            status = (await conn.execute(sa.select(tables.referrals.c.status)
                                         .where(tables.referrals.c.id == referral_id))).scalar()
            timeline = (await conn.execute(sa.select(tables.referral_timeline.c.status)
                                           .where(tables.referral_timeline.c.referral_id == referral_id)
                                           .order_by(tables.referral_timeline.c.at))).scalars().all()
        assert timeline == ["received", "accepted", "assigned"]  # both events kept, in the order they happened
        assert status == "assigned"
    finally:
        await engine.dispose()
