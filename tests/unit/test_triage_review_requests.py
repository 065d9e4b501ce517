"""What a reviewer may send: a person's decision ends the review, it cannot send the referral back to review."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.triage.entrypoints.http import HumanDecision


@pytest.mark.parametrize("decision", ["accepted", "declined", "redirected"])
def test_a_person_decides_accepted_declined_or_redirected(decision):
    assert HumanDecision(decision=decision, note="met the criteria").decision.value == decision


def test_a_person_cannot_decide_needs_review():
    with pytest.raises(ValidationError) as error:
        HumanDecision(decision="needs_review", note="not sure")
    [problem] = error.value.errors()
    assert problem["loc"] == ("decision",)
    assert "accepted, declined or redirected" in problem["msg"]
