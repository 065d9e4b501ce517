"""Partners' submissions over Kafka: what is parked on our dead-letter topic is sealed under the key of the
submission kept for it, so destroying that key makes the dead letter unreadable too."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.bootstrap import Intake
from services.intake.domain import api_keys
from services.intake.entrypoints.consumers import CONSUMER_PARTNER_SUBMISSIONS, PartnerSubmissionConsumer
from services.intake.service_layer import commands as c
from services.intake.service_layer import erasure, handlers, sealed
from services.intake.service_layer.errors import NotFound
from services.intake.service_layer.errors import Refused as ServiceRefused
from shared.platform.messaging.dead_letter import REDACTED, ConsumedRecord
from shared.platform.messaging.dead_letter_archive import FailedAgain, ParkedRecord, Refused
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
    # It had been authenticated: the kept submission names its partner, so the dead letter can be replayed.
    assert kept["partner_id"] == GP.id and consumer._authenticated == {}


def parked(sent: tuple, status: str = "dead", replays: int = 0) -> ParkedRecord:
    """The dead letter as the archive keeps it: the sealed value, the headers with the API key redacted."""
    _, value, key, headers = sent
    kept = tuple((n, REDACTED if n == "api-key" else v) for n, v in headers if not n.startswith("dlt."))
    return ParkedRecord(uuid.uuid4(), key, kept, value, status, replays)


async def test_a_parked_record_is_replayed_as_its_authenticated_partner_once_its_cause_is_mended():
    uow = FakeIntakeUnitOfWork()
    consumer, producer, key = await consumer_with_a_key(uow)
    later = json.dumps(referral(programme_id="later")).encode()  # a programme the partner may not use yet
    await consumer.process(record(later, key, 5))
    [sent] = producer.sent
    assert b"programme_id" in dict(sent[3])["dlt.reason"]
    letter = parked(sent)

    # Not mended yet: replayed, and refused again for the same reason; nothing is received.
    with pytest.raises(FailedAgain, match="programme_id"):
        await consumer.replay_parked(letter)
    assert uow.referrals.by_id == {}

    await handlers.handle(c.SetPartnerProgrammes("admin-1", GP.id, ("demo", "later")), uow)
    note = await consumer.replay_parked(letter)
    [received] = uow.referrals.by_id.values()
    assert note == f"submitted again as partner {GP.id}: referral {received.id} received"
    assert (received.partner_id, received.programme_id, received.partner_referral_id) == (GP.id, "later", "K-1")
    assert received.channel == "partner_kafka"

    # Replayed again (an operator's second click): the partner's reference finds the same referral.
    again = await consumer.replay_parked(parked(sent, status="replayed", replays=1))
    assert list(uow.referrals.by_id) == [received.id]
    assert again.endswith("already received (this replay changed nothing)")


async def test_a_record_that_failed_authentication_is_never_replayed():
    uow = FakeIntakeUnitOfWork()
    consumer, producer, _ = await consumer_with_a_key(uow)
    await consumer.process(record(json.dumps(referral()).encode(), "rk_wrong_key", 6))
    [sent] = producer.sent
    [kept] = uow.referrals.submissions
    assert kept["partner_id"] is None  # its partner-id header was never proof of who sent it

    with pytest.raises(Refused, match="never authenticated as a partner"):
        await consumer.replay_parked(parked(sent))
    assert uow.referrals.by_id == {}


async def test_a_record_without_a_reference_is_replayed_once_only():
    uow = FakeIntakeUnitOfWork()
    consumer, producer, key = await consumer_with_a_key(uow)
    keyless = ConsumedRecord("intake.partner-submissions", 0, 7, None,
                             json.dumps(referral(programme_id="later")).encode(),
                             (("partner-id", GP.id.encode()), ("api-key", key.encode())))
    await consumer.process(keyless)
    [sent] = producer.sent
    await handlers.handle(c.SetPartnerProgrammes("admin-1", GP.id, ("later",)), uow)

    await consumer.replay_parked(parked(sent))
    with pytest.raises(Refused, match="already replayed"):
        await consumer.replay_parked(parked(sent, status="replayed", replays=1))
    assert len(uow.referrals.by_id) == 1


async def test_a_replayed_record_erased_meanwhile_is_refused():
    uow = FakeIntakeUnitOfWork()
    consumer, producer, key = await consumer_with_a_key(uow)
    await consumer.process(record(json.dumps(referral(programme_id="later")).encode(), key, 8))
    [sent] = producer.sent
    [kept] = uow.referrals.submissions
    kept["received_at"] = datetime.now(UTC) - timedelta(days=31)
    await erasure.apply_retention(lambda: uow, rejected_days=30)

    with pytest.raises(Refused, match="erased"):
        await consumer.replay_parked(parked(sent))


async def test_a_partners_programmes_are_replaced_whole_and_an_unknown_partner_is_not_found():
    uow = FakeIntakeUnitOfWork()
    await uow.partners.add(GP)
    await handlers.handle(c.SetPartnerProgrammes("admin-1", GP.id, ("later", "demo", "later")), uow)
    assert (await uow.partners.get(GP.id)).allowed_programmes == ("later", "demo")
    with pytest.raises(NotFound):
        await handlers.handle(c.SetPartnerProgrammes("admin-1", "no-such-gp", ("demo",)), uow)
    with pytest.raises(ServiceRefused):
        await handlers.handle(c.SetPartnerProgrammes("admin-1", GP.id, ()), uow)
