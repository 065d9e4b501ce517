"""Domain rules of the walking skeleton, without I/O."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from services.caseload.domain.model import CaseState, CaseStatus, NotAllowed, check_closure, lead_role
from services.intake.domain import api_keys
from services.intake.domain.submission import ReferralSubmission, age_on
from shared.schemas.events.case import ClosureReason, WorkerRole
from shared.schemas.events.triage import Pathway



@pytest.mark.parametrize(
    ("status", "contacts", "reason", "allowed"),
    [
        (CaseStatus.ASSIGNED, 2, ClosureReason.PLANNED_END, True),
        (CaseStatus.ASSIGNED, 0, ClosureReason.CONTACT_FAILED, True),
        (CaseStatus.ASSIGNED, 0, ClosureReason.PLANNED_END, False),
        (CaseStatus.CLOSED, 3, ClosureReason.PLANNED_END, False),
        (CaseStatus.WAITING, 0, ClosureReason.SERVICE_USER_CHOICE, False),
    ],
)
def test_closure_rules(status, contacts, reason, allowed):
    state = CaseState(status=status, contacts=contacts)
    if allowed:
        check_closure(state, reason)
    else:
        with pytest.raises(NotAllowed):
            check_closure(state, reason)


def test_the_volunteer_pathway_is_led_by_a_volunteer_and_the_rest_by_a_connector():
    assert lead_role(Pathway.VOLUNTEER) == WorkerRole.VOLUNTEER
    assert {lead_role(p) for p in Pathway if p != Pathway.VOLUNTEER} == {WorkerRole.CONNECTOR}


def submission(**person) -> dict:
    return {"programme_id": "demo", "person": {"given_name": "A", "family_name": "B", **person},
            "consent": {"to_referral": True}}


@pytest.mark.parametrize(("given", "normalised"), [("e81dy", "E8 1DY"), (" sw1a 1aa ", "SW1A 1AA"), ("LE4 6AB", "LE4 6AB")])
def test_postcodes_are_normalised(given, normalised):
    assert ReferralSubmission.model_validate(submission(postcode=given)).person.postcode == normalised


def test_submission_rejections_name_the_field():
    with pytest.raises(ValidationError) as bad:
        ReferralSubmission.model_validate(submission(postcode="NOT A CODE", email="nope"))
    assert {e["loc"] for e in bad.value.errors()} == {("person", "postcode"), ("person", "email")}
    with pytest.raises(ValidationError, match="consent.to_referral must be true"):
        ReferralSubmission.model_validate({**submission(), "consent": {"to_referral": False}})
    future = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError, match="in the future"):
        ReferralSubmission.model_validate(submission(date_of_birth=future))


def test_age_is_derived_from_date_of_birth_on_the_day():
    assert age_on(date(2026, 11, 22), date(1950, 11, 22), None) == 76
    assert age_on(date(2026, 11, 21), date(1950, 11, 22), None) == 75
    assert age_on(date(2026, 11, 21), None, 64) == 64


def test_api_keys_are_stored_as_hashes_and_checked():
    issued = api_keys.issue_key()
    key_id, secret = api_keys.split_key(issued.plaintext)
    assert key_id == issued.key_id and secret not in issued.secret_hash
    assert api_keys.secret_matches(secret, issued.secret_hash)
    assert not api_keys.secret_matches(secret + "x", issued.secret_hash)
    assert api_keys.split_key("Bearer abc") is None
