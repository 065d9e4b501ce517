"""Rule-set versions are published once and never change; a draft can be tried against past referrals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.triage.bootstrap import SHIPPED_RULESETS
from services.triage.domain.ruleset import load_ruleset_files
from services.triage.service_layer import handlers
from services.triage.service_layer.commands import OverrideDecision, PublishRuleSet, WhatIf
from services.triage.service_layer.errors import Conflict
from shared.schemas.events.triage import Decision
from tests.unit.triage.examples import FEBRUARY, MID_JANUARY, dependencies, received, referral, ruleset
from tests.unit.triage.fakes import FakeTriageUnitOfWork


async def test_a_published_version_is_stored_with_who_published_it():
    uow = FakeTriageUnitOfWork()
    await handlers.publish_ruleset(PublishRuleSet(ruleset("2"), "admin-ann"), uow_factory=uow)
    assert uow.rulesets.stored[("riverside", "2")] == (ruleset("2"), "admin-ann")
    assert uow.commits == 1


async def test_publishing_a_version_that_exists_is_refused_and_the_first_kept():
    uow = FakeTriageUnitOfWork()
    await handlers.publish_ruleset(PublishRuleSet(ruleset("2"), "admin-ann"), uow_factory=uow)
    with pytest.raises(Conflict, match="version 2 of riverside exists; versions never change"):
        await handlers.publish_ruleset(PublishRuleSet(ruleset("2", min_age=18), "admin-bob"), uow_factory=uow)
    assert uow.rulesets.stored[("riverside", "2")][0].eligibility.min_age == 60


async def test_shipped_rule_sets_are_loaded_once_however_often_the_service_starts():
    uow = FakeTriageUnitOfWork()
    shipped = load_ruleset_files(SHIPPED_RULESETS)
    assert await handlers.load_shipped(shipped, uow_factory=uow) == len(shipped) > 0
    assert await handlers.load_shipped(shipped, uow_factory=uow) == 0
    assert {by for _, by in uow.rulesets.stored.values()} == {"shipped"}


async def _history(uow, deps):
    """Four January referrals to riverside, aged 58, 62, 70 and 80, all in the area."""
    await handlers.load_shipped([ruleset()], uow_factory=uow)
    events = [referral(age=age, received_at=MID_JANUARY + timedelta(hours=i)) for i, age in enumerate((58, 62, 70, 80))]
    for event in events:
        await received(deps, event)
    return events


async def test_what_if_counts_and_lists_the_decisions_a_draft_would_change():
    uow = FakeTriageUnitOfWork()
    deps = dependencies(uow)
    aged58, aged62, *_ = await _history(uow, deps)
    published_before = list(uow.published)

    report = await handlers.what_if(WhatIf(ruleset("2-draft", min_age=65)), uow_factory=uow)

    # Under 60 is declined by both; 65 and over accepted by both; only the 62-year-old moves.
    assert (report["programme_id"], report["draft_version"], report["referrals"], report["changed"]) == (
        "riverside", "2-draft", 4, 1)
    assert report["moves"] == [{"from": "accepted", "to": "declined", "count": 1}]
    [change] = report["changes"]
    assert change["referral_id"] == str(aged62.referral_id)
    assert change["before"] == {"decision": "accepted", "reason_code": None, "ruleset_version": "1"}
    assert change["after"] == {"decision": "declined", "reason_code": "age_out_of_range"}
    assert [r["rule_id"] for r in change["rules"]] == ["eligibility.age"]
    assert uow.published == published_before  # nothing decided, nothing published
    assert str(aged58.referral_id) not in {c["referral_id"] for c in report["changes"]}


async def test_what_if_compares_with_what_the_rules_said_not_what_a_person_later_decided():
    uow = FakeTriageUnitOfWork()
    deps = dependencies(uow)
    aged58, aged62, *_ = await _history(uow, deps)
    await handlers.override_decision(OverrideDecision(aged58.referral_id, "alice", Decision.ACCEPTED, "exception"),
                                     uow_factory=uow, rulebook=deps.rulebook, clock=deps.clock)
    # The draft declines the 58-year-old as version 1 did: that is no change, whatever alice decided.
    report = await handlers.what_if(WhatIf(ruleset("2-draft", min_age=65)), uow_factory=uow)
    assert [c["referral_id"] for c in report["changes"]] == [str(aged62.referral_id)]


async def test_what_if_runs_over_the_received_window_and_lists_at_most_the_limit():
    uow = FakeTriageUnitOfWork()
    deps = dependencies(uow)
    await _history(uow, deps)
    late = referral(age=62, received_at=FEBRUARY)
    await received(deps, late)
    draft = ruleset("2-draft", min_age=65)

    window = await handlers.what_if(WhatIf(draft, received_from=FEBRUARY), uow_factory=uow)
    assert (window["referrals"], window["changed"]) == (1, 1)
    assert window["changes"][0]["referral_id"] == str(late.referral_id)
    before = await handlers.what_if(WhatIf(draft, received_to=FEBRUARY), uow_factory=uow)
    assert (before["referrals"], before["changed"]) == (4, 1)
    capped = await handlers.what_if(WhatIf(draft, list_limit=1), uow_factory=uow)
    assert (capped["changed"], len(capped["changes"])) == (2, 1)
