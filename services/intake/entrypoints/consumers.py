"""Intake's subscribers: partners' submissions over Kafka, and status from triage and caseload."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from services.intake.bootstrap import Intake
from services.intake.domain.submission import ReferralSubmission
from services.intake.service_layer import commands as c
from services.intake.service_layer import case_holders, consent, queries, referrals, replays, status
from services.intake.service_layer.errors import SubmissionRejected
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork
from shared.platform.asyncapi import RecordMessage
from shared.platform.input_limits import InputLimits, Refusal, check_body
from shared.platform.messaging.consumer import EventConsumer, RecordConsumer, Rejected
from shared.platform.messaging.dead_letter import ConsumedRecord
from shared.platform.messaging.dead_letter_archive import ParkedRecord
from shared.platform.service import ServiceContext
from shared.schemas import topics

CONSUMER_PARTNER_SUBMISSIONS = topics.consumer_group("intake", topics.PARTNER_SUBMISSIONS)


class PartnerSubmissionConsumer(RecordConsumer):
    """A partner publishes the canonical referral JSON with headers `partner-id` and `api-key`.

    A record that fails authentication or validation is stored as a rejected
    submission and dead-lettered with the reason; it is never silently dropped. The dead-lettered copy
    is sealed under the key of the submission kept for it: the partner's plaintext is theirs and stays on
    their topic (which needs a short retention), but our copy goes when that key is destroyed.

    The kept submission names the partner the record was authenticated as (none if it was not): that is
    how a parked record is replayed, in process, as its partner, though its API key was never kept.
    """

    record_message = RecordMessage(
        name="partner-submission",
        title="A partner's referral",
        summary="The canonical referral JSON, as for POST /v1/referrals, authenticated by its headers",
        payload=ReferralSubmission,
        headers=(
            ("partner-id", "The partner's id", True),
            ("api-key", "One of the partner's API keys", True),
            ("correlation-id", "A UUID to follow the referral by (one is made up if absent or not a UUID)", False),
        ),
        key="The partner's own id for the referral (used when the body has no partner_referral_id)",
    )

    def __init__(self, intake: Intake, **kwargs) -> None:
        super().__init__(**kwargs)
        self._intake = intake
        # The submission each record in hand is kept as (one at a time: the subscriber has one worker),
        # and those already recorded as rejected, whose dead letters are sealed under the same key.
        self._submission_of: dict[tuple[int, int], uuid.UUID] = {}
        self._recorded: set[uuid.UUID] = set()
        # The partner a record in hand was authenticated as: kept with it if it fails past its retries.
        self._authenticated: dict[uuid.UUID, str] = {}

    async def handle(self, record: ConsumedRecord) -> bool:
        place = (record.partition, record.offset)
        submission_id = self._submission_of.setdefault(place, uuid.uuid4())
        try:
            handled = await self._handle(record, submission_id)
        except Rejected:
            self._recorded.add(submission_id)  # every rejection below keeps the submission first
            raise
        del self._submission_of[place]
        self._authenticated.pop(submission_id, None)
        return handled

    async def replay_parked(self, parked: ParkedRecord) -> str:
        return await replays.replay_partner_submission(self._intake, parked)

    async def dead_letter_value(self, record: ConsumedRecord) -> bytes:
        submission_id = self._submission_of.pop((record.partition, record.offset), None) or uuid.uuid4()
        partner_id = self._authenticated.pop(submission_id, None)
        if submission_id not in self._recorded:  # it failed past its retries without a verdict: keep it now
            await self._intake.handle(c.RecordRejectedSubmission(
                "partner_kafka", partner_id, "partner_kafka", record.value,
                [{"field": "<record>", "problem": "could not be handled; dead-lettered"}], uuid.uuid4(),
                submission_id=submission_id))
        self._recorded.discard(submission_id)
        return await referrals.seal_dead_letter(self._intake.uow(), submission_id, record.value)

    async def _handle(self, record: ConsumedRecord, submission_id: uuid.UUID) -> bool:
        headers = {k.lower(): v.decode(errors="replace") for k, v in record.headers}
        correlation_id = _uuid_or_new(headers.get("correlation-id"))
        await self._within_limits(record, correlation_id, submission_id)
        partner = await queries.authenticate_partner(self._intake.uow(), headers.get("api-key", ""))
        if partner is None or partner.id != headers.get("partner-id"):
            await self._intake.handle(c.RecordRejectedSubmission(
                "partner_kafka", None, "partner_kafka", record.value,
                [{"field": "headers", "problem": "partner-id and api-key do not authenticate"}], correlation_id,
                submission_id=submission_id))
            raise Rejected("authentication failed: the partner-id and api-key headers do not match a partner key")
        self._authenticated[submission_id] = partner.id
        # Redelivery must stay idempotent: the partner's own id, or the message key, names the referral.
        # A key that is not text would be decoded with replacement characters, and two such keys collide.
        try:
            key = record.key.decode("utf-8") if record.key else None
        except UnicodeDecodeError:
            problem = "the message key must be UTF-8 text (the partner's own id for the referral)"
            await self._intake.handle(c.RecordRejectedSubmission(
                partner.id, partner.id, "partner_kafka", record.value, [{"field": "key", "problem": problem}],
                correlation_id, submission_id=submission_id))
            raise Rejected(f"invalid referral: key: {problem}") from None
        try:
            await self._intake.handle(c.SubmitReferral(
                partner.id, partner_id=partner.id, partner=partner, channel="partner_kafka", body=record.value,
                reference=key, reference_field="key", correlation_id=correlation_id, submission_id=submission_id))
        except SubmissionRejected as rejected:
            raise Rejected("invalid referral: " + "; ".join(f"{e['field']}: {e['problem']}" for e in rejected.errors))
        return True


    async def _within_limits(self, record: ConsumedRecord, correlation_id: uuid.UUID,
                             submission_id: uuid.UUID) -> None:
        """The same limits as the JSON API: the record stays whole on the dead-letter topic; a body over
        the size limit is not stored again beside it."""
        try:
            if len(record.value) > LIMITS.default_body:
                raise Refusal(413, "", "<body>", f"the value may be at most {LIMITS.default_body} bytes")
            check_body(record.value, "application/json", LIMITS)
        except Refusal as refusal:
            kept = b"" if refusal.status == 413 else record.value
            await self._intake.handle(c.RecordRejectedSubmission(
                "partner_kafka", None, "partner_kafka", kept, [{"field": refusal.field, "problem": refusal.problem}],
                correlation_id, submission_id=submission_id))
            raise Rejected(f"invalid referral: {refusal.field}: {refusal.problem}") from None


LIMITS = InputLimits()


def _uuid_or_new(value: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(value) if value else uuid.uuid4()
    except ValueError:
        return uuid.uuid4()


def build_consumers(ctx: ServiceContext) -> list[RecordConsumer]:
    deps: Intake = ctx.dependencies
    uow: Callable[[], IntakeUnitOfWork] = deps.uow

    async def triage_decided(envelope, payload) -> None:
        await status.on_triage_decided(uow(), envelope, payload)

    async def case_event(envelope, payload) -> None:
        if payload.event_type in status_events:
            await status.on_case_event(uow(), envelope, payload)
        if payload.event_type in case_holders.EVENT_TYPES:
            await case_holders.on_case_event(uow(), envelope, payload)

    async def consent_changed(envelope, payload) -> None:
        await consent.on_consent_changed(uow(), envelope, payload)

    status_events = ("case.assigned", "case.waitlisted", "case.first_contact_made", "case.closed")
    case_events = tuple(dict.fromkeys((*status_events, *case_holders.EVENT_TYPES)))
    consumers: list[RecordConsumer] = [
        ctx.consumer(status.CONSUMER_TRIAGE, ctx.topics.triage_decisions, {"triage.decided": triage_decided}),
        ctx.consumer(status.CONSUMER_CASES, ctx.topics.cases,
                     {**dict.fromkeys(case_events, case_event), "case.consent_changed": consent_changed}),
        PartnerSubmissionConsumer(
            deps,
            group=CONSUMER_PARTNER_SUBMISSIONS,
            topic=ctx.topics.partner_submissions,
            dead_letter_topic=ctx.topics.dead_letter(CONSUMER_PARTNER_SUBMISSIONS),
            producer=ctx.producer,
            settings=ctx.settings,
        ),
    ]
    return consumers


__all__ = ["EventConsumer", "build_consumers"]
