"""Partners' submissions over Kafka: what is parked on our dead-letter topic is sealed under the key of the
submission kept for it, so destroying that key makes the dead letter unreadable too."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from services.intake.bootstrap import Intake
from services.intake.domain import api_keys
from services.intake.entrypoints.consumers import CONSUMER_PARTNER_SUBMISSIONS, PartnerSubmissionConsumer
from services.intake.service_layer import erasure, handlers, sealed
from shared.platform.messaging.dead_letter import ConsumedRecord
from shared.platform.sealing import sealed_subject
from tests.unit.intake.fakes import FakeIntakeUnitOfWork, body_kept
from tests.unit.intake.test_handlers import GP, referral
from tests.unit.test_dead_letters import Producer
from tests.unit.test_event_signing import settings


async def consumer_with_a_key(uow: FakeIntakeUnitOfWork) -> tuple[PartnerSubmissionConsumer, Producer, str]:
    await uow.partners.add(GP)
    issued = api_keys.issue_key()
    await uow.partners.add_key(GP.id, issued.key_id, issued.secret_hash)
    producer = Producer()
    intake = Intake(uow=uow, webhooks=None, retention=None, admission=None)
    consumer = PartnerSubmissionConsumer(
        intake, group=CONSUMER_PARTNER_SUBMISSIONS, topic="intake.partner-submissions",
        dead_letter_topic="intake.partner-submissions.dead-letter", producer=producer,
        settings=settings(CONSUMER_MAX_ATTEMPTS="1"))
    return consumer, producer, issued.plaintext


def record(value: bytes, api_key: str, offset: int) -> ConsumedRecord:
    return ConsumedRecord("intake.partner-submissions", 0, offset, b"K-1", value,
                          (("partner-id", GP.id.encode()), ("api-key", api_key.encode())))


async def test_a_dead_lettered_partner_record_is_sealed_under_its_kept_submissions_key():
    uow = FakeIntakeUnitOfWork()
    consumer, producer, key = await consumer_with_a_key(uow)
    invalid = json.dumps(referral(person={"given_name": "Ottoline", "family_name": "Vasquez-Pryce"},
                                  consent=None)).encode()
    await consumer.process(record(invalid, key, 3))

    [(topic, value, _, headers)] = producer.sent
    assert topic.endswith(".dead-letter") and b"Ottoline" not in value
    assert dict(headers)["dlt.reason"].startswith(b"invalid referral")
    [kept] = uow.referrals.submissions
    assert kept["outcome"] == "rejected" and kept["referral_id"] is None
    # The dead letter is sealed under the kept submission's own key, and opens while that key lives.
    assert sealed_subject(value.decode()) == str(kept["submission_id"])
    assert await sealed.open_bytes(uow.sealer, value, context=sealed.DEAD_LETTER) == invalid

    # Once rejected submissions have been kept long enough, the key goes, and the dead letter with it.
    kept["received_at"] = datetime.now(UTC) - timedelta(days=31)
    await erasure.apply_retention(lambda: uow, rejected_days=30)
    assert await sealed.open_bytes(uow.sealer, value, context=sealed.DEAD_LETTER) is None
    assert await body_kept(uow, kept) is None


async def test_a_record_that_fails_without_a_verdict_is_kept_as_a_submission_before_it_is_parked(monkeypatch):
    uow = FakeIntakeUnitOfWork()
    consumer, producer, key = await consumer_with_a_key(uow)

    async def broken(command, uow):
        if type(command).__name__ == "SubmitReferral":
            raise RuntimeError("database unavailable")
        return await original(command, uow)

    original = handlers.handle
    monkeypatch.setattr(handlers, "handle", broken)
    valid = json.dumps(referral(person={"given_name": "Ottoline", "family_name": "Vasquez-Pryce"})).encode()
    await consumer.process(record(valid, key, 4))

    [(_, value, _, _)] = producer.sent
    [kept] = uow.referrals.submissions
    assert sealed_subject(value.decode()) == str(kept["submission_id"])
    assert await body_kept(uow, kept) == valid and b"Ottoline" not in value
    assert consumer._submission_of == {} and consumer._recorded == set()  # nothing held once parked
