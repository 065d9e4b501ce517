"""Triage use cases."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from services.triage.domain.decide import ReferralFacts, TriageOutcome, decide
from services.triage.domain.ruleset import RuleSet
from shared.schemas import topics
from shared.schemas.envelope import Envelope
from shared.schemas.events.referral import ReferralReceived
from shared.schemas.events.triage import Decision, RuleOutcome, TriageDecided

CONSUMER_REFERRALS = topics.consumer_group("triage", topics.REFERRALS)


class RuleBook:
    """The loaded rule sets; a new referral is decided by the newest version of its programme."""

    def __init__(self, rulesets: dict[str, list[RuleSet]]) -> None:
        self._rulesets = rulesets

    def current(self, programme_id: str) -> RuleSet | None:
        versions = self._rulesets.get(programme_id)
        return versions[-1] if versions else None


def facts_of(referral: ReferralReceived) -> ReferralFacts:
    return ReferralFacts(
        programme_id=referral.programme_id,
        age_years=referral.person.age_years,
        consent_to_referral=referral.consent.to_referral,
        risk_flags=frozenset(referral.risk_flags),
    )


async def triage_referral(uow_factory, rulebook: RuleBook, envelope: Envelope, referral: ReferralReceived) -> None:
    async with uow_factory() as uow:
        if not await uow.first_delivery(CONSUMER_REFERRALS, envelope):
            return
        facts = facts_of(referral)
        ruleset = rulebook.current(referral.programme_id)
        if ruleset is None:
            outcome = TriageOutcome(
                Decision.NEEDS_REVIEW,
                "unknown_programme",
                [RuleOutcome(rule_id="programme.known", passed=False,
                             explanation=f"No rule set for programme {referral.programme_id!r}.")],
                ruleset_version="none",
            )
        else:
            outcome = decide(facts, ruleset)
        decided_at = datetime.now(UTC)
        await uow.decisions.add(
            referral_id=referral.referral_id,
            person_id=referral.person_id,
            programme_id=referral.programme_id,
            referring_partner_id=referral.partner_id,
            facts={**asdict(facts), "risk_flags": sorted(facts.risk_flags)},
            decision=outcome.decision.value,
            reason_code=outcome.reason_code,
            ruleset_version=outcome.ruleset_version,
            rules=[r.model_dump() for r in outcome.rules],
            complexity=outcome.complexity.value if outcome.complexity else None,
            pathway=outcome.pathway.value if outcome.pathway else None,
            priority=outcome.priority,
            expected_weekly_hours=outcome.expected_weekly_hours,
            decided_at=decided_at,
            correlation_id=envelope.correlationid,
        )
        await uow.emit(
            TriageDecided(
                referral_id=referral.referral_id,
                person_id=referral.person_id,
                programme_id=referral.programme_id,
                decision=outcome.decision,
                reason_code=outcome.reason_code,
                rules=outcome.rules,
                ruleset_version=outcome.ruleset_version,
                complexity=outcome.complexity,
                pathway=outcome.pathway,
                priority=outcome.priority,
                expected_weekly_hours=outcome.expected_weekly_hours,
                decided_at=decided_at,
            ),
            topic=topics.TRIAGE_DECISIONS,
            subject=str(referral.referral_id),
            correlation_id=envelope.correlationid,
            causation_id=envelope.id,
        )
        await uow.commit()
