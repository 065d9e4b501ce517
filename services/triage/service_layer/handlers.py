"""Triage use cases: decide referrals, the human review queue, overrides, rule sets and what-if.

One handler per command (commands.py), and `triage_referral` for the referral.received
event (either version). Handlers reach storage only through the unit of work's repositories and views.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from services.triage.domain.decide import TriageOutcome, decide, size_accepted
from services.triage.domain.facts import ReferralFacts, facts_of
from services.triage.domain.ruleset import RuleSet
from services.triage.service_layer.commands import (
    ClaimReview,
    DecideReview,
    OverrideDecision,
    PublishRuleSet,
    Sizing,
    WhatIf,
)
from services.triage.service_layer.errors import Conflict, IncompleteDecision, NotFound, require_in_programme
from services.triage.service_layer.rulebook import RuleBook
from services.triage.service_layer.unit_of_work import (
    Clock,
    DecidedReferral,
    DecisionEntry,
    Review,
    TriageUnitOfWork,
    UnitOfWorkFactory,
)
from shared.platform.audit import CHANGE, AuditEntry
from shared.platform.sealed_fields import seal_field
from shared.platform.sealing import KeyDestroyed
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.erasure import PersonErased
from shared.schemas.events.referral import AnyReferralReceived
from shared.schemas.events.triage import Complexity, Decision, Pathway, RuleOutcome, TriageDecided

CONSUMER_REFERRALS = topics.consumer_group("triage", topics.REFERRALS)
CONSUMER_ERASURES = topics.consumer_group("triage", topics.ERASURES)
SERVICE = "triage"
UNKNOWN_PROGRAMME_REVIEW_HOURS = 24


async def triage_referral(envelope: Envelope, referral: AnyReferralReceived, *, uow_factory: UnitOfWorkFactory,
                          rulebook: RuleBook, clock: Clock) -> None:
    """Decide a referral by the rule set in effect when it was received; a person reviews what the rules cannot."""
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_REFERRALS, envelope):
            return
        facts = facts_of(referral)
        ruleset = await rulebook.in_effect(uow.rulesets, referral.programme_id, referral.received_at)
        if ruleset is None:
            outcome = TriageOutcome(
                Decision.NEEDS_REVIEW, "unknown_programme",
                [RuleOutcome(rule_id="programme.known", passed=False,
                             explanation=f"No rule set for programme {referral.programme_id!r} on that date.")],
                ruleset_version="none", review_reasons=["unknown_programme"],
            )
        else:
            outcome = decide(facts, ruleset)
        now = clock()
        entry = _entry(referral.referral_id, referral.person_id, facts, outcome, now,
                       previous_referral_id=referral.previous_referral_id)
        await uow.decisions.add(entry, person_id=referral.person_id, partner_id=referral.partner_id, facts=facts,
                                correlation_id=envelope.correlationid)
        await _publish(uow, entry, correlation_id=envelope.correlationid, causation_id=envelope.id)
        if outcome.decision == Decision.NEEDS_REVIEW:
            due_hours = ruleset.review_due_hours if ruleset else UNKNOWN_PROGRAMME_REVIEW_HOURS
            await uow.reviews.add(Review(
                id=uuid.uuid4(), referral_id=referral.referral_id, programme_id=referral.programme_id,
                reasons=[r.model_dump() for r in outcome.rules if r.rule_id.startswith(("review.", "programme."))],
                created_at=now, due_at=now + timedelta(hours=due_hours)))
        await uow.commit()


def _entry(referral_id: uuid.UUID, person_id: uuid.UUID, facts: ReferralFacts, outcome: TriageOutcome,
           now: datetime, *, decided_by: str | None = None, note: str | None = None,
           previous_referral_id: uuid.UUID | None = None) -> DecisionEntry:
    """A decision to store, with the triage.decided event that announces it."""
    event = TriageDecided(
        referral_id=referral_id, person_id=person_id, programme_id=facts.programme_id,
        decision=outcome.decision, reason_code=outcome.reason_code, rules=outcome.rules,
        ruleset_version=outcome.ruleset_version, complexity=outcome.complexity, pathway=outcome.pathway,
        priority=outcome.priority, expected_weekly_hours=outcome.expected_weekly_hours, decided_at=now,
        signposting=outcome.signposting, language=facts.language, interpreter_needed=facts.interpreter_needed,
        worker_gender_preference=facts.worker_gender_preference, home_visit_needed=outcome.home_visit_needed,
        postcode_district=facts.postcode_district, postcode_sector=facts.postcode_sector, ward=facts.ward,
        trigger_groups=list(facts.trigger_groups), needs=list(facts.needs), review_reasons=outcome.review_reasons,
        decided_by=decided_by, previous_referral_id=previous_referral_id,
        to_contact=facts.to_contact, to_data_sharing=facts.to_data_sharing,
        do_not_contact_by=list(facts.do_not_contact_by), preferred_contact=facts.preferred_contact,
    )
    return DecisionEntry(referral_id, outcome, event, now, decided_by=decided_by, note=note)


async def forget_person(envelope: Envelope, event: PersonErased, *, uow_factory: UnitOfWorkFactory) -> None:
    """Destroy triage's data key for the erased person: every reviewer's note about them is unreadable from now,
    wherever it is. A tombstone stays, so no key is made for them again."""
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_ERASURES, envelope):
            return
        await uow.sealer.shred(str(event.person_id))
        await uow.commit()


async def _publish(uow: TriageUnitOfWork, entry: DecisionEntry, *, correlation_id: uuid.UUID,
                   causation_id: uuid.UUID | None = None) -> None:
    await uow.emit(entry.event, topic=topics.TRIAGE_DECISIONS, subject=str(entry.referral_id),
                   correlation_id=correlation_id, causation_id=causation_id)


# --- the human review queue ------------------------------------------------------------


async def claim_review(cmd: ClaimReview, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> dict[str, Any]:
    async with uow_factory() as uow:
        review = await _locked_review(uow, cmd.review_id)
        require_in_programme(cmd.programmes, review.programme_id)
        if review.status == "decided":
            raise Conflict("this review is already decided")
        if review.claimed_by not in (None, cmd.reviewer):
            raise Conflict(f"already claimed by {review.claimed_by}")
        await uow.reviews.claim(cmd.review_id, cmd.reviewer, clock())
        await uow.commit()
        return {**vars(review), "status": "claimed", "claimed_by": cmd.reviewer}


async def _locked_review(uow: TriageUnitOfWork, review_id: uuid.UUID) -> Review:
    review = await uow.reviews.get_for_update(review_id)
    if review is None:
        raise NotFound("no such review")
    return review


async def decide_review(cmd: DecideReview, *, uow_factory: UnitOfWorkFactory, rulebook: RuleBook,
                        clock: Clock) -> dict[str, Any]:
    async with uow_factory() as uow:
        review = await _locked_review(uow, cmd.review_id)
        require_in_programme(cmd.programmes, review.programme_id)
        if review.status == "decided":
            raise Conflict("this review is already decided")
        if review.claimed_by not in (None, cmd.reviewer):
            raise Conflict(f"claimed by {review.claimed_by}: only they can decide it")
        now = clock()
        note = await _decide_by_person(uow, rulebook, review.referral_id, cmd.reviewer, cmd.decision,
                                       cmd.reason_code, cmd.note, cmd.sizing, now, cmd.programmes)
        await uow.reviews.decide(cmd.review_id, cmd.reviewer, now, cmd.decision.value, note)
        await uow.commit()
        return {"review_id": str(cmd.review_id), "decision": cmd.decision.value, "decided_by": cmd.reviewer}


async def override_decision(cmd: OverrideDecision, *, uow_factory: UnitOfWorkFactory, rulebook: RuleBook,
                            clock: Clock) -> dict[str, Any]:
    """A person changes a decision (e.g. a resident's own sense of their ward), with the reason recorded."""
    async with uow_factory() as uow:
        now = clock()
        note = await _decide_by_person(uow, rulebook, cmd.referral_id, cmd.reviewer, cmd.decision, cmd.reason_code,
                                       cmd.note, cmd.sizing, now, cmd.programmes)
        await uow.reviews.decide_open_for_referral(cmd.referral_id, cmd.reviewer, now, cmd.decision.value, note)
        await uow.commit()
        return {"referral_id": str(cmd.referral_id), "decision": cmd.decision.value, "decided_by": cmd.reviewer}


async def _decide_by_person(uow: TriageUnitOfWork, rulebook: RuleBook, referral_id: uuid.UUID, reviewer: str,
                            decision: Decision, reason_code: str | None, note: str, sizing: Sizing,
                            now: datetime, programmes: frozenset[str] | None = None) -> str:
    """Record and announce the person's decision; returns their note as stored: sealed for the referred person."""
    referral = await uow.decisions.get_for_update(referral_id)
    if referral is None:
        raise NotFound("no decision for that referral")
    require_in_programme(programmes, referral.facts.programme_id)
    outcome = await _human_outcome(uow, rulebook, referral, decision, reason_code, sizing)
    try:
        sealed = await seal_field(uow.sealer, SERVICE, referral.person_id, "note", note)
    except KeyDestroyed:
        raise Conflict("the person has been erased: nothing more can be recorded about them") from None
    if sealed:  # the write in the audit trail: who wrote the note on which decision, never the note
        await uow.audit.append(AuditEntry(at=now, actor=reviewer, roles=(), action=CHANGE, person_id=referral.person_id,
                                          fields=("note",), purpose=f"decision on referral {referral_id}",
                                          referral_id=referral_id))
    entry = _entry(referral_id, referral.person_id, referral.facts, outcome, now, decided_by=reviewer, note=sealed,
                   previous_referral_id=referral.previous_referral_id)
    await uow.decisions.revise(entry)
    await _publish(uow, entry, correlation_id=referral.correlation_id)
    return sealed


async def _human_outcome(uow: TriageUnitOfWork, rulebook: RuleBook, referral: DecidedReferral, decision: Decision,
                         reason_code: str | None, sizing: Sizing) -> TriageOutcome:
    facts = referral.facts
    # The reviewer's note is about the person: it stays in triage, sealed, and never travels in the decision.
    rules = [RuleOutcome(rule_id="review.human_decision", passed=decision == Decision.ACCEPTED,
                         explanation="Decided by a person (their note is kept by triage).")]
    if decision == Decision.ACCEPTED:
        ruleset = await rulebook.version(uow.rulesets, facts.programme_id, referral.ruleset_version)
        if ruleset is None:
            ruleset = await rulebook.in_effect(uow.rulesets, facts.programme_id, facts.received_at)
        if ruleset is None:
            if None in (sizing.complexity, sizing.pathway, sizing.expected_weekly_hours):
                raise IncompleteDecision(
                    "no rule set to size this case: give complexity, pathway and expected_weekly_hours")
            sized = TriageOutcome(Decision.ACCEPTED, None, rules, "none", priority=3)
        else:
            sized = size_accepted(facts, ruleset, rules)
        return TriageOutcome(
            Decision.ACCEPTED, reason_code, sized.rules, sized.ruleset_version,
            complexity=Complexity(sizing.complexity or sized.complexity),
            pathway=Pathway(sizing.pathway or sized.pathway),
            priority=sizing.priority or sized.priority,
            expected_weekly_hours=sizing.expected_weekly_hours or sized.expected_weekly_hours,
            home_visit_needed=sized.home_visit_needed,
        )
    if not reason_code:
        raise IncompleteDecision("a declined or redirected decision needs a reason_code")
    return TriageOutcome(decision, reason_code, rules, referral.ruleset_version, signposting=sizing.signposting)


# --- rule sets and what-if ----------------------------------------------------------------


async def publish_ruleset(cmd: PublishRuleSet, *, uow_factory: UnitOfWorkFactory) -> None:
    ruleset = cmd.ruleset
    async with uow_factory() as uow:
        if await uow.rulesets.exists(ruleset.programme_id, ruleset.version):
            raise Conflict(f"version {ruleset.version} of {ruleset.programme_id} exists; versions never change")
        await uow.rulesets.add(ruleset, cmd.created_by)
        await uow.commit()


async def load_shipped(rulesets: list[RuleSet], *, uow_factory: UnitOfWorkFactory) -> int:
    """Store the shipped versions not yet known (idempotent; several replicas may do it at once)."""
    async with uow_factory() as uow:
        added = sum([await uow.rulesets.add_if_new(ruleset, "shipped") for ruleset in rulesets])
        await uow.commit()
    return added


async def what_if(cmd: WhatIf, *, uow_factory: UnitOfWorkFactory) -> dict[str, Any]:
    """How many past automated decisions the draft would change, and which."""
    draft = cmd.draft
    async with uow_factory() as uow:
        referrals = await uow.views.decided_referrals(draft.programme_id, cmd.received_from, cmd.received_to)
        firsts = await uow.views.automated_decisions([r.referral_id for r in referrals])
    changes: list[dict[str, Any]] = []
    moves: Counter = Counter()
    for referral in referrals:
        before = firsts[referral.referral_id]
        after = decide(referral.facts, draft)
        if (before["decision"], before["reason_code"]) != (after.decision.value, after.reason_code):
            moves[(before["decision"], after.decision.value)] += 1
            if len(changes) < cmd.list_limit:
                changes.append({"referral_id": str(referral.referral_id), "before": before,
                                "after": {"decision": after.decision.value, "reason_code": after.reason_code},
                                "rules": [r.model_dump() for r in after.rules if not r.passed]})
    return {
        "programme_id": draft.programme_id,
        "draft_version": draft.version,
        "referrals": len(referrals),
        "changed": sum(moves.values()),
        "moves": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(moves.items())],
        "changes": changes,
    }
