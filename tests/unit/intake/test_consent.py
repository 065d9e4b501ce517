"""The person registry's consent: kept from the referral, changed by the person's case, and what a referrer
is told of a person who did not consent to data sharing (the status only)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.intake.service_layer import consent, handlers, queries, status
from shared.schemas import topics
from shared.schemas.events.case import CaseClosed, CaseConsentChanged, CaseWaitlisted, ClosureReason, WorkerRole
from tests.unit.intake.test_handlers import GP, envelope_of, from_gp, referral, uow  # noqa: F401 (uow: the fixture)

WISHES = {"preferred": "post", "do_not_contact_by": ["phone"]}


def changed(referral_id, **wishes) -> CaseConsentChanged:
    now = datetime.now(UTC)
    return CaseConsentChanged(case_id=uuid.uuid4(), referral_id=referral_id, programme_id="demo", at=now,
                              actor="connector-1", person_id=uuid.uuid4(), reported_by="person",
                              reported_at=now - timedelta(hours=1), **wishes)


async def test_the_registry_keeps_the_consent_the_referral_gave(uow):
    outcome = await handlers.handle(from_gp(referral(
        consent={"to_referral": True, "to_data_sharing": True, "to_contact": True}, contact_preferences=WISHES)), uow)
    (given,) = await uow.referrals.consent_history(outcome.referral.id)
    assert given["source"] == "referral" and given["reported_by"] == "partner_api"
    assert given["consent"] == {"to_referral": True, "to_data_sharing": True, "to_contact": True,
                                "do_not_contact_by": ["phone"], "preferred_contact": "post"}
    assert outcome.referral.consent == given["consent"]


async def test_a_change_on_the_case_makes_the_registrys_consent_current_with_its_history(uow):
    outcome = await handlers.handle(from_gp(referral(
        consent={"to_referral": True, "to_data_sharing": True, "to_contact": True}, contact_preferences=WISHES)), uow)
    event = changed(outcome.referral.id, to_contact=False, to_data_sharing=True, do_not_contact_by=["phone"],
                    preferred_contact="post")
    envelope = envelope_of(event)
    await consent.on_consent_changed(uow, envelope, event)
    await consent.on_consent_changed(uow, envelope, event)  # redelivered: no second entry
    history = await uow.referrals.consent_history(outcome.referral.id)
    assert [(h["source"], h["consent"]["to_contact"]) for h in history] == [("referral", True), ("case", False)]
    assert history[1]["reported_by"] == "person" and history[1]["reported_at"] == event.reported_at
    stored = await uow.referrals.get(outcome.referral.id)
    assert stored.consent["to_contact"] is False and stored.consent["to_referral"] is True  # the rest kept


async def test_without_data_sharing_the_referrer_is_told_the_status_only(uow):
    outcome = await handlers.handle(from_gp(referral(consent={"to_referral": True, "to_data_sharing": False})), uow)
    referral_id = outcome.referral.id
    now = datetime.now(UTC)
    waitlisted = CaseWaitlisted(case_id=uuid.uuid4(), referral_id=referral_id, person_id=uuid.uuid4(),
                                programme_id="demo", priority=3, expected_weekly_hours=1, waitlisted_at=now,
                                estimated_wait_days=12)
    await status.on_case_event(uow, envelope_of(waitlisted), waitlisted)
    closed = CaseClosed(case_id=uuid.uuid4(), referral_id=referral_id, person_id=uuid.uuid4(), programme_id="demo",
                        worker_id=uuid.uuid4(), worker_role=WorkerRole.CONNECTOR, reason=ClosureReason.DIED,
                        contact_count=1, opened_at=now, closed_at=now + timedelta(seconds=1))
    await status.on_case_event(uow, envelope_of(closed), closed)
    told = uow.events(topics.referral_status_topic(GP.id))
    assert [e.status for e in told] == ["received", "waiting", "closed"]
    assert all(e.reason is None and e.estimated_wait_days is None for e in told)
    view = await queries.referral_for_partner(uow, GP, referral_id)
    assert [s["status"] for s in view["timeline"]] == ["received", "waiting", "closed"]
    assert all(s["reason"] is None for s in view["timeline"])
    # Inside the scheme the reasons are kept.
    assert [s["reason"] for s in await uow.referrals.timeline(referral_id)][-1] == "died"


async def test_data_sharing_withdrawn_on_the_case_stops_the_detail_from_then_on(uow):
    outcome = await handlers.handle(from_gp(referral(consent={"to_referral": True, "to_data_sharing": True})), uow)
    event = changed(outcome.referral.id, to_contact=True, to_data_sharing=False)
    await consent.on_consent_changed(uow, envelope_of(event), event)
    now = datetime.now(UTC)
    waitlisted = CaseWaitlisted(case_id=uuid.uuid4(), referral_id=outcome.referral.id, person_id=uuid.uuid4(),
                                programme_id="demo", priority=3, expected_weekly_hours=1, waitlisted_at=now,
                                estimated_wait_days=12)
    await status.on_case_event(uow, envelope_of(waitlisted), waitlisted)
    told = uow.events(topics.referral_status_topic(GP.id))[-1]
    assert (told.status, told.reason, told.estimated_wait_days) == ("waiting", None, None)
