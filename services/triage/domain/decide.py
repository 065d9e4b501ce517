"""Triage decisions: a pure function of the referral's facts and the programme's rule set."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.schemas.events.triage import Complexity, Decision, Pathway, RuleOutcome

from .ruleset import RuleSet


@dataclass(frozen=True)
class ReferralFacts:
    """What triage knows of a referral: no names or contact details."""

    programme_id: str
    age_years: int | None
    consent_to_referral: bool
    risk_flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TriageOutcome:
    decision: Decision
    reason_code: str | None
    rules: list[RuleOutcome]
    ruleset_version: str
    complexity: Complexity | None = None
    pathway: Pathway | None = None
    priority: int | None = None
    expected_weekly_hours: float | None = None
    notes: list[str] = field(default_factory=list)


def decide(facts: ReferralFacts, ruleset: RuleSet) -> TriageOutcome:
    rules: list[RuleOutcome] = []

    urgent = sorted(facts.risk_flags & set(ruleset.redirect_on_flags))
    rules.append(
        RuleOutcome(
            rule_id="redirect.risk_flags",
            passed=not urgent,
            explanation=(
                f"Flagged {', '.join(urgent)}: this needs statutory services now, not a connector."
                if urgent
                else "No crisis or safeguarding flag."
            ),
        )
    )
    if urgent:
        return TriageOutcome(Decision.REDIRECTED, f"redirect_{urgent[0]}", rules, ruleset.version)

    elig = ruleset.eligibility
    if elig.consent_required:
        rules.append(
            RuleOutcome(
                rule_id="eligibility.consent",
                passed=facts.consent_to_referral,
                explanation="The person consented to the referral."
                if facts.consent_to_referral
                else "The person has not consented to the referral.",
            )
        )
        if not facts.consent_to_referral:
            return TriageOutcome(Decision.DECLINED, "no_consent", rules, ruleset.version)

    if facts.age_years is None and (elig.min_age is not None or elig.max_age is not None):
        rules.append(
            RuleOutcome(rule_id="eligibility.age", passed=False,
                        explanation="Age unknown: a person must check it against the programme's age range.")
        )
        return TriageOutcome(Decision.NEEDS_REVIEW, "age_missing", rules, ruleset.version)
    if facts.age_years is not None:
        too_young = elig.min_age is not None and facts.age_years < elig.min_age
        too_old = elig.max_age is not None and facts.age_years > elig.max_age
        bounds = f"{elig.min_age if elig.min_age is not None else 0}" + (
            f"-{elig.max_age}" if elig.max_age is not None else "+"
        )
        rules.append(
            RuleOutcome(
                rule_id="eligibility.age",
                passed=not (too_young or too_old),
                explanation=f"Age {facts.age_years} is {'outside' if too_young or too_old else 'within'} "
                f"the programme's range {bounds}.",
            )
        )
        if too_young or too_old:
            return TriageOutcome(Decision.DECLINED, "age_out_of_range", rules, ruleset.version)

    complexity = ruleset.complexity_default
    return TriageOutcome(
        decision=Decision.ACCEPTED,
        reason_code=None,
        rules=rules,
        ruleset_version=ruleset.version,
        complexity=complexity,
        pathway=ruleset.pathway_default,
        priority=ruleset.priority_default,
        expected_weekly_hours=ruleset.expected_weekly_hours[complexity],
    )
