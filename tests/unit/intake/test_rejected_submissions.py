"""Rejected submissions for coordinators: listed with plain reasons for the partners in their programmes, and
one opened from its seal only for those, each opening in the audit trail."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.partner import Partner
from services.intake.domain.rejection import UNEXPECTED_FIELD, plain_reasons
from services.intake.service_layer import commands as c
from services.intake.service_layer import erasure, handlers, rejected
from services.intake.service_layer.errors import Forbidden, InvalidSubmission, NotFound
from tests.unit.intake.test_handlers import GP, from_gp, referral, uow  # noqa: F401 (uow is a fixture)

CHARITY = Partner("age-charity", "Age Charity", ("north",))
COORDINATOR_OF_DEMO = rejected.Reader("cora", frozenset({"coordinator"}), frozenset({"demo"}))
SCHEME_WIDE = rejected.Reader("ada", frozenset({"admin"}))


async def refused(uow, body: dict, partner: Partner = GP) -> None:
    with pytest.raises(InvalidSubmission):
        await handlers.handle(from_gp(body, partner=partner), uow)


def refused_form(uow) -> c.RecordRejectedSubmission:
    body = json.dumps({"given_name": "Margaret", "phone": "0116 496 0123"}).encode()
    return c.RecordRejectedSubmission("self_referral_form", "self-referral", "self_referral_form", body,
                                      [{"field": "date_of_birth", "problem": "Enter your date of birth"}],
                                      uuid.uuid4())


def test_a_field_a_sender_named_is_not_shown_nor_anything_keyed_like_a_name_or_number():
    reasons = plain_reasons([
        {"field": "person.date_of_birth", "problem": "Input should be a valid date"},
        {"field": "margaret_okafor", "problem": "Extra inputs are not permitted"},
        {"field": "Margaret Okafor", "problem": "Field required"},
        {"field": "07700900123", "problem": "Field required"},
        {"field": "Patient.name[0].given", "problem": "is required"},
        {"column": "nhs_number", "problem": "not a valid NHS number"},
    ])
    assert [r["field"] for r in reasons] == ["person.date_of_birth", UNEXPECTED_FIELD, UNEXPECTED_FIELD,
                                             UNEXPECTED_FIELD, "Patient.name[0].given", "nhs_number"]
    assert reasons[0]["problem"] == "Input should be a valid date"


async def test_a_coordinator_sees_the_refusals_of_partners_in_their_programmes_with_reasons_and_no_values(uow):
    await uow.partners.add(CHARITY)
    await refused(uow, referral(person={"given_name": "Margaret", "family_name": "Okafor",
                                        "date_of_birth": "Smarch 41", "postcode": "E8 1AA"}))
    await refused(uow, referral(programme_id="north", person={"given_name": "Bill"}), partner=CHARITY)
    await handlers.handle(refused_form(uow), uow)

    seen = await rejected.rejected_submissions(uow, COORDINATOR_OF_DEMO)

    [only] = seen
    assert (only["partner_id"], only["channel"]) == ("gp-surgery", "partner_api")
    assert [r["field"] for r in only["reasons"]] == ["person.date_of_birth"]
    assert "Okafor" not in json.dumps(only, default=str) and "Smarch" not in json.dumps(only, default=str)


async def test_an_account_of_every_programme_sees_every_refusal_the_platforms_own_channels_included(uow):
    await uow.partners.add(CHARITY)
    await refused(uow, referral(person={"given_name": "Margaret"}))
    await refused(uow, referral(programme_id="north", person={"given_name": "Bill"}), partner=CHARITY)
    await handlers.handle(refused_form(uow), uow)

    seen = await rejected.rejected_submissions(uow, SCHEME_WIDE)
    assert sorted(s["partner_id"] for s in seen) == ["age-charity", "gp-surgery", "self-referral"]
    by_charity = await rejected.rejected_submissions(uow, SCHEME_WIDE, partner_id="age-charity")
    assert [s["partner_id"] for s in by_charity] == ["age-charity"]
    # Asking for a partner outside one's programmes gives nothing, not that partner's refusals.
    assert await rejected.rejected_submissions(uow, COORDINATOR_OF_DEMO, partner_id="age-charity") == []


async def test_accepted_submissions_are_not_listed(uow):
    await handlers.handle(from_gp(referral()), uow)
    assert await rejected.rejected_submissions(uow, SCHEME_WIDE) == []


async def test_opening_one_shows_it_as_sent_and_records_the_reading_in_the_audit_trail(uow):
    sent = referral(person={"given_name": "Margaret", "family_name": "Okafor", "date_of_birth": "not a date"})
    await refused(uow, sent)
    [listed] = await rejected.rejected_submissions(uow, COORDINATOR_OF_DEMO)

    opened = await rejected.open_rejected_submission(uow, uuid.UUID(listed["id"]), COORDINATOR_OF_DEMO)

    assert json.loads(opened["body"]) == sent and opened["erased"] is False
    [entry] = await uow.audit.entries(actor="cora")
    assert (entry.action, entry.person_id, entry.fields) == ("read", uuid.UUID(listed["id"]), ("body",))
    assert entry.purpose == f"rejected submission {listed['id']}"


async def test_a_coordinator_of_other_programmes_may_not_open_it_and_nothing_is_recorded(uow):
    await refused(uow, referral(person={"given_name": "Margaret"}))
    [listed] = await rejected.rejected_submissions(uow, SCHEME_WIDE)
    elsewhere = rejected.Reader("nia", frozenset({"coordinator"}), frozenset({"north"}))
    with pytest.raises(Forbidden):
        await rejected.open_rejected_submission(uow, uuid.UUID(listed["id"]), elsewhere)
    assert await uow.audit.entries() == []


async def test_a_form_refusal_is_opened_by_a_scheme_wide_account_only(uow):
    await handlers.handle(refused_form(uow), uow)
    [listed] = await rejected.rejected_submissions(uow, SCHEME_WIDE)
    with pytest.raises(Forbidden):
        await rejected.open_rejected_submission(uow, uuid.UUID(listed["id"]), COORDINATOR_OF_DEMO)
    opened = await rejected.open_rejected_submission(uow, uuid.UUID(listed["id"]), SCHEME_WIDE)
    assert json.loads(opened["body"])["given_name"] == "Margaret"


async def test_once_retention_has_destroyed_its_key_it_reads_as_erased_and_its_reasons_stay(uow):
    await refused(uow, referral(person={"given_name": "Margaret"}))
    [listed] = await rejected.rejected_submissions(uow, SCHEME_WIDE)
    await erasure.forget_rejected_submissions(uow, datetime.now(UTC) + timedelta(seconds=1))
    opened = await rejected.open_rejected_submission(uow, uuid.UUID(listed["id"]), SCHEME_WIDE)
    assert (opened["erased"], opened["body"]) == (True, None)
    assert opened["reasons"] == listed["reasons"]


async def test_an_accepted_or_unknown_submission_is_not_found(uow):
    await handlers.handle(from_gp(referral()), uow)
    accepted = uow.referrals.submissions[0]["submission_id"]
    for submission_id in (accepted, uuid.uuid4()):
        with pytest.raises(NotFound):
            await rejected.open_rejected_submission(uow, submission_id, SCHEME_WIDE)


async def test_a_follow_up_is_recorded_with_who_and_the_waiting_list_drops_it(uow):
    await refused(uow, referral(person={"given_name": "Margaret"}))
    await refused(uow, referral(person={"given_name": "Bill"}))
    first, second = await rejected.rejected_submissions(uow, COORDINATOR_OF_DEMO)

    done = await rejected.follow_up(uow, uuid.UUID(first["id"]), COORDINATOR_OF_DEMO, "partner_told")

    assert (done["followed_up"], done["followed_up_by"]) == ("partner_told", "cora") and done["followed_up_at"]
    waiting = await rejected.rejected_submissions(uow, COORDINATOR_OF_DEMO, waiting_only=True)
    assert [w["id"] for w in waiting] == [second["id"]]
    assert len(await rejected.rejected_submissions(uow, COORDINATOR_OF_DEMO)) == 2
    again = await rejected.follow_up(uow, uuid.UUID(first["id"]), SCHEME_WIDE, "no_action_needed")
    assert (again["followed_up"], again["followed_up_by"]) == ("no_action_needed", "ada")


async def test_a_follow_up_is_refused_outside_ones_programmes_or_in_words_not_coded(uow):
    await refused(uow, referral(person={"given_name": "Margaret"}))
    [listed] = await rejected.rejected_submissions(uow, SCHEME_WIDE)
    elsewhere = rejected.Reader("nia", frozenset({"coordinator"}), frozenset({"north"}))
    with pytest.raises(Forbidden):
        await rejected.follow_up(uow, uuid.UUID(listed["id"]), elsewhere, "partner_told")
    with pytest.raises(ValueError):
        await rejected.follow_up(uow, uuid.UUID(listed["id"]), SCHEME_WIDE, "rang Margaret at home")
    with pytest.raises(NotFound):
        await rejected.follow_up(uow, uuid.uuid4(), SCHEME_WIDE, "partner_told")
    [still] = await rejected.rejected_submissions(uow, SCHEME_WIDE, waiting_only=True)
    assert still["followed_up"] is None
