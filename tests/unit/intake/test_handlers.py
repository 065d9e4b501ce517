"""Intake's use cases against the in-memory unit of work: no broker, no database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.partner import Partner
from services.intake.domain.webhook_signature import sign
from services.intake.service_layer import commands as c
from services.intake.service_layer import handlers, queries, status
from services.intake.service_layer.errors import (
    BatchRejected,
    Forbidden,
    InvalidReference,
    InvalidSubmission,
    NotFound,
    ProgrammeNotAllowed,
    ReferenceReused,
    Refused,
    UnknownProgramme,
)
from services.intake.service_layer.webhooks import WebhookSettings, deliver_due
from shared.schemas import topics
from shared.schemas.envelope import new_envelope
from shared.schemas.events.case import CaseAssigned, CaseWaitlisted
from shared.schemas.events.triage import Decision, TriageDecided
from services.intake.service_layer import sealed
from tests.unit.intake.fakes import FakeIntakeUnitOfWork, body_kept, person_kept

GP = Partner("gp-surgery", "Riverside Surgery", ("demo",))
CORRELATION = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.fixture
async def uow() -> FakeIntakeUnitOfWork:
    fake = FakeIntakeUnitOfWork()
    await fake.partners.add(GP)
    return fake


def referral(**overrides) -> dict:
    body = {"programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Margaret", "family_name": "Okafor", "date_of_birth": "1941-03-02",
                       "postcode": "E8 1AA", "phone": "0116 496 0123"},
            "referrer": {"source_category": "statutory", "source_subcategory": "nhs_gp"}}
    return {**body, **overrides}


def from_gp(body: dict, *, partner: Partner = GP, reference: str | None = None) -> c.SubmitReferral:
    return c.SubmitReferral(partner.id, partner_id=partner.id, partner=partner,
                            channel="partner_api", body=json.dumps(body).encode(), reference=reference,
                            correlation_id=CORRELATION)


def received(uow) -> list:
    return uow.events(topics.REFERRALS)


def statuses_told(uow) -> list[str]:
    return [e.status for e in uow.events(topics.referral_status_topic(GP.id))]


# --- submitting ---------------------------------------------------------------------------------------


async def test_a_valid_referral_is_stored_published_and_told_back(uow):
    outcome = await handlers.handle(from_gp(referral(partner_referral_id="GP-1")), uow)
    assert outcome.created and outcome.referral.status == "received"
    (event,) = received(uow)
    assert event.referral_id == outcome.referral.id and event.schema_version == 2
    assert event.profile.postcode_district == "E8" and event.person_match.method == "new"
    # The person's details are kept in the registry; the event names the person by id alone.
    assert (await person_kept(uow, outcome.referral.id))["phone"] == "+441164960123"
    assert "4960123" not in str(uow.referrals.persons[outcome.referral.id])  # sealed as stored
    assert event.person_id == outcome.referral.person_id and "4960123" not in event.model_dump_json()
    assert statuses_told(uow) == ["received"]
    assert [s["outcome"] for s in uow.referrals.submissions] == ["accepted"]


async def test_the_event_published_names_the_person_by_id_and_carries_no_details_or_free_text(uow):
    body = referral(
        partner_referral_id="GP-PII", needs=["loneliness"], risk_flags=["lone_working"],
        person={"given_name": "Philippa", "family_name": "Tregothnan", "preferred_name": "Pip", "age_years": 79,
                "nhs_number": "943 476 5919", "phone": "0116 496 0777", "email": "pip@example.org",
                "gender": "female", "ethnicity": "Cornish", "language": "kw", "interpreter_needed": True,
                "address": {"line1": "9 Smeaton Row", "town": "Mousehole", "postcode": "TR19 6SB",
                            "ward": "Penzance East", "local_authority": "Cornwall"}},
        contact_preferences={"preferred": "post", "do_not_contact_by": ["phone"], "worker_gender": "female",
                             "safe_contact_instructions": "letters only, her son opens the door",
                             "best_times": "mornings"},
        living_situation="lives_alone", trigger_groups={"status": "assessed", "groups": [{"group": "health_issues"}]},
        concerns="afraid to go out after dark", reason="lonely since her husband died",
        consent={"to_referral": True, "to_data_sharing": False, "to_contact": True},
        referrer={"source_category": "statutory", "source_subcategory": "nhs_gp", "organisation": "Harbour Surgery",
                  "organisation_code": "L83001", "person_name": "Dr Agnes Polglaze", "phone": "01736 960000",
                  "email": "a.polglaze@nhs.example"})
    outcome = await handlers.handle(from_gp(body), uow)
    (event,) = received(uow)

    assert (event.schema_version, event.person_id, event.age_years, event.age_band) == (
        2, outcome.referral.person_id, 79, "75-84")
    p = event.profile
    assert (p.postcode_district, p.postcode_sector, p.ward, p.local_authority) == (
        "TR19", "TR19 6", "Penzance East", "Cornwall")
    assert (p.gender, p.language, p.interpreter_needed, p.worker_gender_preference) == ("female", "kw", True, "female")
    assert (p.preferred_contact, p.do_not_contact_by, p.living_situation) == ("post", ["phone"], "lives_alone")
    assert [g.group for g in p.trigger_groups] == ["health_issues"]
    assert (event.needs, event.risk_flags, event.consent.to_data_sharing) == (["loneliness"], ["lone_working"], False)
    assert (event.referrer.organisation, event.referrer.organisation_code) == ("Harbour Surgery", "L83001")
    assert (event.source.category, event.source.subcategory) == ("statutory", "nhs_gp")
    published = event.model_dump_json().lower()
    for value in ("Philippa", "Tregothnan", "Pip\"", "9434765919", "4960777", "pip@example.org", "Cornish",
                  "Smeaton", "Mousehole", "TR19 6SB", "son opens the door", "mornings", "after dark",
                  "husband died", "Polglaze", "960000", "nhs.example", "GP-PII"):
        assert value.lower() not in published, value
    # All of it is in the registry.
    kept = await person_kept(uow, outcome.referral.id)
    assert (kept["family_name"], kept["nhs_number"], kept["safe_contact_instructions"], kept["concerns"]) == (
        "Tregothnan", "9434765919", "letters only, her son opens the door", "afraid to go out after dark")


async def test_an_invalid_referral_is_kept_and_refused_with_each_problem(uow):
    with pytest.raises(InvalidSubmission) as refused:
        await handlers.handle(from_gp(referral(consent={"to_referral": False})), uow)
    assert any("consent" in e["problem"] for e in refused.value.errors)
    (kept,) = uow.referrals.submissions
    assert kept["outcome"] == "rejected" and kept["errors"] == refused.value.errors
    assert uow.published == []


async def test_a_partner_may_refer_only_to_its_own_programmes(uow):
    await uow.programmes.put("elsewhere", "Another scheme", True)
    with pytest.raises(ProgrammeNotAllowed):
        await handlers.handle(from_gp(referral(programme_id="elsewhere")), uow)
    assert uow.referrals.submissions[0]["outcome"] == "rejected"


async def test_a_programme_that_does_not_exist_is_told_apart_from_one_not_allowed(uow):
    with pytest.raises(UnknownProgramme) as refused:
        await handlers.handle(from_gp(referral(programme_id="nowhere")), uow)
    assert refused.value.errors == [{"field": "programme_id", "problem": "there is no programme with that id"}]
    assert uow.referrals.submissions[0]["outcome"] == "rejected"


async def test_a_retry_with_the_same_reference_is_the_same_referral(uow):
    first = await handlers.handle(from_gp(referral(), reference="idem-1"), uow)
    again = await handlers.handle(from_gp(referral(), reference="idem-1"), uow)
    assert (again.created, again.referral.id) == (False, first.referral.id)
    assert len(received(uow)) == 1
    assert [s["outcome"] for s in uow.referrals.submissions] == ["accepted", "retry_of_existing"]


async def test_a_second_referral_while_one_is_open_is_linked_not_opened(uow):
    first = await handlers.handle(from_gp(referral()), uow)
    second = await handlers.handle(from_gp(referral()), uow)
    assert second.duplicate_of == first.referral.id and second.referral.status == "duplicate"
    assert len(received(uow)) == 1  # no second case
    assert statuses_told(uow) == ["received", "duplicate"]


async def test_a_referral_after_the_last_one_closed_is_a_re_referral(uow):
    first = await handlers.handle(from_gp(referral()), uow)
    first.referral.status = "closed"
    again = await handlers.handle(from_gp(referral()), uow)
    assert again.duplicate_of is None and again.previous_referral_id == first.referral.id
    assert received(uow)[-1].previous_referral_id == first.referral.id


async def test_the_same_person_by_nhs_number_is_filed_once_and_their_record_filled_in(uow):
    nhs = {"nhs_number": "943 476 5919"}
    first = await handlers.handle(from_gp(referral(person={**referral()["person"], **nhs, "date_of_birth": None,
                                                           "age_years": 83})), uow)
    first.referral.status = "closed"
    second = await handlers.handle(from_gp(referral(person={**referral()["person"], **nhs,
                                                            "family_name": "Okafor-Jones"})), uow)
    assert second.referral.person_id == first.referral.person_id and second.match.method == "nhs_number"
    assert uow.persons.by_id[first.referral.person_id].date_of_birth.isoformat() == "1941-03-02"


async def test_an_uncertain_match_is_filed_under_someone_new_and_sent_for_review(uow):
    await handlers.handle(from_gp(referral()), uow)
    maybe = referral(person={**referral()["person"], "given_name": "Margret", "postcode": "E9 2BB"})
    outcome = await handlers.handle(from_gp(maybe), uow)
    assert outcome.match.kind == "uncertain"
    (review,) = await queries.match_reviews(uow)
    assert review["referral_id"] == outcome.referral.id and received(uow)[-1].person_match.needs_review


async def test_self_referrals_get_a_reference_to_follow_by_and_no_partner_is_told(uow):
    command = c.SubmitReferral("self_referral_form", partner_id="self-referral", channel="self_referral_form",
                               body=b"{}", data=referral(), correlation_id=CORRELATION)
    outcome = await handlers.handle(command, uow)
    reference = outcome.referral.self_reference
    assert len(reference) == 8 and not set(reference) & set("01IO")
    assert [t for t, _, _ in uow.published] == [topics.REFERRALS]  # no partner status topic
    assert await queries.self_referral_status(uow, reference.lower(), "e81aa") == "received"
    assert await queries.self_referral_status(uow, reference, "N1 1AA") is None  # the wrong postcode tells nothing


async def test_a_channel_that_could_not_read_a_submission_still_keeps_it(uow):
    await handlers.handle(c.RecordRejectedSubmission("fhir", GP.id, "fhir", b"<bad>",
                                                     [{"field": "Bundle", "problem": "not JSON"}], CORRELATION), uow)
    assert await body_kept(uow, uow.referrals.submissions[0]) == b"<bad>"
    assert b"<bad>" not in uow.referrals.submissions[0]["body"]  # sealed as stored
    assert uow.referrals.submissions[0]["outcome"] == "rejected"


# --- status back to the referrer ---------------------------------------------------------------------


def decided(referral_id, decision=Decision.ACCEPTED, at=None) -> TriageDecided:
    return TriageDecided(referral_id=referral_id, person_id=uuid.uuid4(), programme_id="demo", decision=decision,
                         rules=[], ruleset_version="1", decided_at=at or datetime.now(UTC))


def envelope_of(payload):
    return new_envelope(payload, source="/tests", subject="s", correlation_id=CORRELATION)


async def test_triage_and_case_events_move_the_status_and_reach_linked_referrals(uow):
    # Consent to data sharing: the referrer is told the reasons too (tests/unit/intake/test_consent.py: without).
    shared = {"to_referral": True, "to_data_sharing": True}
    first = await handlers.handle(from_gp(referral(consent=shared)), uow)
    linked = await handlers.handle(from_gp(referral(consent=shared)), uow)
    now = datetime.now(UTC)
    await status.on_triage_decided(uow, envelope_of(decided(first.referral.id, at=now)), decided(first.referral.id, at=now))
    waitlisted = CaseWaitlisted(case_id=uuid.uuid4(), referral_id=first.referral.id, person_id=uuid.uuid4(),
                                programme_id="demo", priority=3, expected_weekly_hours=1, waitlisted_at=now,
                                estimated_wait_days=12)
    await status.on_case_event(uow, envelope_of(waitlisted), waitlisted)
    assert first.referral.status == "waiting" and linked.referral.status == "waiting"
    told = uow.events(topics.referral_status_topic(GP.id))
    assert [(e.referral_id, e.status) for e in told[-2:]] == [(first.referral.id, "waiting"),
                                                               (linked.referral.id, "waiting")]
    assert told[-1].linked_referral_id == first.referral.id and told[-1].reason == "estimated wait about 12 days"


async def test_an_earlier_event_arriving_late_goes_on_the_timeline_but_not_the_status(uow):
    outcome = await handlers.handle(from_gp(referral()), uow)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assigned = CaseAssigned(case_id=uuid.uuid4(), referral_id=outcome.referral.id, person_id=uuid.uuid4(),
                            programme_id="demo", worker_id=uuid.uuid4(), worker_role="connector",
                            expected_weekly_hours=1, assigned_at=later)
    await status.on_case_event(uow, envelope_of(assigned), assigned)
    late = decided(outcome.referral.id, at=later - timedelta(minutes=1))
    await status.on_triage_decided(uow, envelope_of(late), late)
    assert outcome.referral.status == "assigned"
    timeline = await uow.referrals.timeline(outcome.referral.id)
    assert [e["status"] for e in timeline] == ["received", "accepted", "assigned"]


async def test_a_redelivered_event_has_no_second_effect(uow):
    outcome = await handlers.handle(from_gp(referral()), uow)
    event = decided(outcome.referral.id)
    envelope = envelope_of(event)
    await status.on_triage_decided(uow, envelope, event)
    await status.on_triage_decided(uow, envelope, event)
    assert statuses_told(uow) == ["received", "accepted"]


async def test_status_changes_are_queued_as_signed_webhooks_and_retried_with_backoff(uow):
    await handlers.handle(c.ConfigureWebhook("admin", GP.id, "https://gp.example/hook", "s" * 20), uow)
    await handlers.handle(from_gp(referral()), uow)
    (delivery,) = uow.webhooks.deliveries.values()
    assert delivery["body"]["type"] == "referral.status_changed"

    class Refusing:
        async def send(self, d, attempt):
            return "HTTP 503"

    settings = WebhookSettings(WEBHOOK_BACKOFF_INITIAL_S=5, WEBHOOK_MAX_ATTEMPTS=2)
    before = datetime.now(UTC)
    assert await deliver_due(uow, Refusing(), settings) == 1
    assert delivery["attempts"] == 1 and delivery["next_attempt_at"] >= before + timedelta(seconds=5)
    await deliver_due(uow, Refusing(), settings)
    assert delivery["state"] == "failed" and delivery["error"] == "HTTP 503"  # gave up after max_attempts


async def test_a_webhook_taken_is_delivered_once(uow):
    await handlers.handle(c.ConfigureWebhook("admin", GP.id, "https://gp.example/hook", "s" * 20), uow)
    await handlers.handle(from_gp(referral()), uow)
    sent = []

    class Taking:
        async def send(self, d, attempt):
            sent.append((d.url, sign(d.secret, b"x", 1)))
            return None

    await deliver_due(uow, Taking(), WebhookSettings())
    await deliver_due(uow, Taking(), WebhookSettings())
    assert len(sent) == 1 and sent[0][0] == "https://gp.example/hook"


# --- partners, programmes, outreach, batches, match reviews -------------------------------------------------


async def test_partners_are_registered_once_and_system_ids_are_reserved(uow):
    await handlers.handle(c.RegisterPartner("admin", Partner("council", "Council", ("demo",))), uow)
    with pytest.raises(Refused, match="already exists"):
        await handlers.handle(c.RegisterPartner("admin", Partner("council", "Council", ("demo",))), uow)
    with pytest.raises(Refused, match="reserved"):
        await handlers.handle(c.RegisterPartner("admin", Partner("self-referral", "Me", ("demo",))), uow)


async def test_a_partner_that_attests_consent_is_kept_so(uow):
    attesting = Partner("nhs-111", "NHS 111", ("demo",), attests_consent=True)
    await handlers.handle(c.RegisterPartner("admin", attesting), uow)
    assert (await uow.partners.get("nhs-111")).attests_consent is True
    assert GP.attests_consent is False  # unless the partner is configured so


async def test_a_partner_key_authenticates_and_only_its_hash_is_kept(uow):
    key = await handlers.handle(c.IssuePartnerKey("admin", GP.id), uow)
    assert await queries.authenticate_partner(uow, key) == GP
    assert key not in json.dumps(list(uow.partners.keys.values()))
    assert await queries.authenticate_partner(uow, key[:-1] + "x") is None
    assert await queries.authenticate_partner(uow, "not a key") is None
    with pytest.raises(NotFound):
        await handlers.handle(c.IssuePartnerKey("admin", "nobody"), uow)


async def test_programmes_and_mappings_are_set_for_known_partners(uow):
    await handlers.handle(c.PutProgramme("admin", "demo", "Demo", False), uow)
    assert (await queries.programme(uow, "demo"))["self_referral_open"] is False
    await handlers.handle(c.SetCsvMapping("admin", GP.id, {"columns": {"programme_id": "P"}}), uow)
    assert await queries.csv_mapping(uow, GP.id) == {"columns": {"programme_id": "P"}}
    with pytest.raises(NotFound):
        await handlers.handle(c.SetCsvMapping("admin", "nobody", {}), uow)
    with pytest.raises(NotFound):
        await handlers.handle(c.ConfigureWebhook("admin", "nobody", "https://x.example", "s" * 20), uow)


async def test_an_outreach_contact_becomes_one_referral(uow):
    contact_id = await handlers.handle(c.LogOutreachContact("connector-1", "demo", "listening bench",
                                                            datetime.now(UTC), {"first_name": "Pat"}), uow)
    data = {k: v for k, v in referral().items() if k not in ("programme_id", "referrer")}
    first = await handlers.handle(c.CompleteOutreachReferral("connector-1", contact_id, data, CORRELATION), uow)
    again = await handlers.handle(c.CompleteOutreachReferral("connector-1", contact_id, data, CORRELATION), uow)
    assert first.created and not again.created and again.referral.id == first.referral.id
    assert uow.outreach.by_id[contact_id]["referral_id"] == first.referral.id
    assert received(uow)[0].source.subcategory == "outreach" and first.referral.programme_id == "demo"
    with pytest.raises(NotFound):
        await handlers.handle(c.CompleteOutreachReferral("connector-1", uuid.uuid4(), data, CORRELATION), uow)


MAPPING = {"columns": {"person.given_name": "Forename", "person.family_name": "Surname",
                       "person.date_of_birth": "DOB", "person.postcode": "Postcode",
                       "consent.to_referral": "Consented"},
           "defaults": {"programme_id": "demo", "referrer.source_category": "statutory",
                        "referrer.source_subcategory": "social_services"},
           "reference_column": "Ref"}


async def test_a_batch_reports_each_row_on_its_own_and_keeps_the_file(uow):
    await handlers.handle(c.SetCsvMapping("admin", GP.id, MAPPING), uow)
    content = ("Ref,Forename,Surname,DOB,Postcode,Consented\r\n"
               "R1,Edna,Batchley,02/03/1941,LE4 6AB,Yes\r\n"
               "R2,Fred,Datewrong,31/02/1940,LE4 6AB,Yes\r\n"
               "R3,Harold,Noconsent,01/01/1945,LE5 1AA,No\r\n").encode()
    report = await handlers.handle(c.ProcessBatch(GP.id, GP, "asc.csv", content, CORRELATION), uow)
    assert [r["outcome"] for r in report["rows"]] == ["accepted", "rejected", "rejected"]
    assert report["rows"][1]["errors"][0]["column"] == "DOB"
    assert report["summary"] == {"accepted": 1, "duplicate": 0, "already_received": 0, "rejected": 2}
    ((batch_id, batch),) = uow.batches.by_id.items()
    assert batch["report"]["summary"]["accepted"] == 1
    assert await sealed.open_bytes(uow.sealer, batch["content"], context=sealed.BATCH) == content
    assert content not in batch["content"]  # sealed as stored, under the batch's own key
    assert {s["batch_id"] for s in uow.referrals.submissions} == {batch_id}
    again = await handlers.handle(c.ProcessBatch(GP.id, GP, "asc.csv", content, CORRELATION), uow)
    assert again["rows"][0]["outcome"] == "already_received"


async def test_a_batch_without_a_mapping_is_refused_but_kept(uow):
    with pytest.raises(BatchRejected, match="no CSV column mapping"):
        await handlers.handle(c.ProcessBatch(GP.id, GP, "x.csv", b"a,b\r\n1,2\r\n", CORRELATION), uow)
    (batch,) = uow.batches.by_id.values()
    assert batch["report"]["error"].startswith("no CSV column mapping")


async def test_a_match_review_is_decided_once_and_can_merge_the_two(uow):
    await handlers.handle(from_gp(referral()), uow)
    outcome = await handlers.handle(from_gp(referral(person={**referral()["person"], "given_name": "Margret",
                                                             "postcode": "E9 2BB"})), uow)
    (review,) = await queries.match_reviews(uow)
    result = await handlers.handle(c.DecideMatchReview("coordinator-1", review["id"], True), uow)
    assert result == {"review_id": str(review["id"]), "same_person": True}
    assert uow.persons.merged == [(outcome.referral.person_id, review["candidate_person_id"])]
    with pytest.raises(Refused, match="already decided"):
        await handlers.handle(c.DecideMatchReview("coordinator-1", review["id"], False), uow)
    with pytest.raises(NotFound):
        await handlers.handle(c.DecideMatchReview("coordinator-1", uuid.uuid4(), False), uow)


async def test_a_coordinator_of_other_programmes_neither_sees_nor_decides_a_match_review(uow):
    await handlers.handle(from_gp(referral()), uow)
    maybe = referral(person={**referral()["person"], "given_name": "Margret", "postcode": "E9 2BB"})
    outcome = await handlers.handle(from_gp(maybe), uow)
    programme = outcome.referral.programme_id
    assert await queries.match_reviews(uow, frozenset({"another-scheme"})) == []
    (review,) = await queries.match_reviews(uow, frozenset({programme}))
    assert review["programme_id"] == programme and review["referral_id"] == outcome.referral.id
    with pytest.raises(Forbidden, match="programme you do not work in"):
        await handlers.handle(c.DecideMatchReview("elsewhere", review["id"], True,
                                                  actor_programmes=frozenset({"another-scheme"})), uow)
    assert uow.persons.merged == [] and (await queries.match_reviews(uow))[0]["status"] == "open"
    decided = await handlers.handle(c.DecideMatchReview("here", review["id"], False,
                                                        actor_programmes=frozenset({programme})), uow)
    assert decided["same_person"] is False


async def test_a_partner_sees_only_its_own_referrals(uow):
    outcome = await handlers.handle(from_gp(referral(partner_referral_id="GP-9")), uow)
    view = await queries.referral_for_partner(uow, GP, outcome.referral.id)
    assert view["status"] == "received" and [e["status"] for e in view["timeline"]] == ["received"]
    other = Partner("council", "Council", ("demo",))
    assert await queries.referral_for_partner(uow, other, outcome.referral.id) is None
    assert (await queries.referral_by_partner_reference(uow, GP, "GP-9"))["referral_id"] == outcome.referral.id


async def test_a_partners_list_holds_its_own_referrals_newest_first_with_the_status_in_plain_words(uow):
    first = await handlers.handle(from_gp(referral(partner_referral_id="GP-1")), uow)
    other = Partner("council", "Council", ("demo",))
    await handlers.handle(from_gp(referral(partner_referral_id="C-1", person={
        "given_name": "Ben", "family_name": "Other", "age_years": 40}), partner=other), uow)
    second = await handlers.handle(from_gp(referral(partner_referral_id="GP-2", person={
        "given_name": "Cy", "family_name": "Third", "age_years": 50})), uow)
    # Set apart, so the order is the received times', not the order they were stored in.
    uow.referrals.by_id[second.referral.id].received_at = first.referral.received_at + timedelta(minutes=5)
    listed = await queries.referrals_for_partner(uow, GP, limit=10)
    assert [r["partner_referral_id"] for r in listed] == ["GP-2", "GP-1"]
    assert [r["referral_id"] for r in listed] == [second.referral.id, first.referral.id]
    assert listed[0]["status_in_words"] == "Received: the scheme has the referral and will look at it soon."
    assert [r["partner_referral_id"] for r in await queries.referrals_for_partner(uow, other, limit=10)] == ["C-1"]
    assert len(await queries.referrals_for_partner(uow, GP, limit=1)) == 1


async def test_every_command_has_a_handler():
    commands = {cls for cls in vars(c).values() if isinstance(cls, type) and issubclass(cls, c.Command)}
    assert commands - {c.Command} == set(handlers.HANDLERS)


# --- nothing dropped: a reused reference ------------------------------------------------------------------


async def test_a_reference_reused_for_another_person_is_refused_and_both_are_kept(uow):
    first = await handlers.handle(from_gp(referral(), reference="REF-7"), uow)
    joan = referral(person={**referral()["person"], "given_name": "Joan"})
    with pytest.raises(ReferenceReused) as refused:
        await handlers.handle(from_gp(joan, reference="REF-7"), uow)
    assert refused.value.existing_referral_id == first.referral.id
    assert str(first.referral.id) in refused.value.errors[0]["problem"]
    kept = uow.referrals.submissions
    assert [s["outcome"] for s in kept] == ["accepted", "reference_reused"]
    assert b"Joan" in await body_kept(uow, kept[1])  # the second submission as it was sent
    assert len(received(uow)) == 1 and len(uow.referrals.by_id) == 1


async def test_a_retry_spelt_differently_is_still_a_retry(uow):
    first = await handlers.handle(from_gp(referral(), reference="REF-8"), uow)
    spelt = referral(person={**referral()["person"], "postcode": "e81aa", "phone": "+44 116 496 0123"})
    again = await handlers.handle(from_gp(spelt, reference="REF-8"), uow)
    assert (again.created, again.referral.id) == (False, first.referral.id)


@pytest.mark.parametrize("reference", ["", "x" * 129, "REF\x00", "REF\n1"])
async def test_a_reference_follows_the_same_rules_whichever_way_it_comes(uow, reference):
    with pytest.raises(InvalidReference) as refused:
        await handlers.handle(from_gp(referral(), reference=reference), uow)
    assert refused.value.errors[0]["field"] == "reference"
    assert uow.referrals.submissions[0]["outcome"] == "rejected" and uow.published == []


# --- partners kept apart (issue 13) ---------------------------------------------------------------------

CHARITY = Partner("charity", "Befriending charity", ("demo",))


async def test_a_partner_referring_another_partners_patient_learns_nothing_of_that_referral(uow):
    await uow.partners.add(CHARITY)
    gp = await handlers.handle(from_gp(referral(person={**referral()["person"], "nhs_number": "943 476 5919"})), uow)
    theirs = await handlers.handle(from_gp(referral(person={"given_name": "Margaret", "family_name": "Okafor",
                                                            "nhs_number": "9434765919", "date_of_birth": "1941-03-02"},
                                                    consent={"to_referral": True, "to_data_sharing": True}),
                                           partner=CHARITY), uow)
    assert theirs.duplicate_of == gp.referral.id  # linked inside the scheme: no second case
    assert theirs.linked_to_referral_id is None and theirs.previous_referral_id is None
    told = uow.events(topics.referral_status_topic(CHARITY.id))
    assert [(e.status, e.linked_referral_id) for e in told] == [("duplicate", None)]
    assert "already known to the service" in told[0].reason

    # The GP's referral moves on; the charity hears nothing of it.
    event = decided(gp.referral.id)
    await status.on_triage_decided(uow, envelope_of(event), event)
    assert len(uow.events(topics.referral_status_topic(CHARITY.id))) == 1
    view = await queries.referral_for_partner(uow, CHARITY, theirs.referral.id)
    assert view["linked_to_referral_id"] is None and [e["status"] for e in view["timeline"]] == ["duplicate"]
    assert str(gp.referral.id) not in json.dumps(view, default=str)


async def test_a_partners_own_second_referral_is_linked_by_id_and_follows_the_first(uow):
    first = await handlers.handle(from_gp(referral()), uow)
    second = await handlers.handle(from_gp(referral()), uow)
    assert second.linked_to_referral_id == first.referral.id
    event = decided(first.referral.id)
    await status.on_triage_decided(uow, envelope_of(event), event)
    assert second.referral.status == "accepted"
