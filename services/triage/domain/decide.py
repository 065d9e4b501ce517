"""Triage decisions: a pure function of a referral's facts and the programme's rule set.

Order matters and is fixed: urgent redirects first (never silently declined), then
consent and exclusions, then hard eligibility (age, area), then anything a person
must look at, and only then the complexity, pathway, hours and priority of an
accepted referral. Every rule evaluated is listed with its outcome, in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.schemas.events.triage import Complexity, Decision, Pathway, RuleOutcome

from .facts import ReferralFacts
from .ruleset import RuleSet, When


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
    signposting: str | None = None
    review_reasons: list[str] = field(default_factory=list)
    home_visit_needed: bool = False


def holds(when: When, f: ReferralFacts) -> bool:
    needs = [n.lower() for n in f.needs]
    checks = []
    if when.needs_any:
        checks.append(any(word.lower() in need for word in when.needs_any for need in needs))
    if when.needs_count_at_least is not None:
        checks.append(len(needs) >= when.needs_count_at_least)
    if when.risk_flags_any:
        checks.append(bool(set(when.risk_flags_any) & set(f.risk_flags)))
    if when.mobility_in:
        checks.append(f.mobility in when.mobility_in)
    if when.living_situation_in:
        checks.append(f.living_situation in when.living_situation_in)
    if when.carer_status_in:
        checks.append(f.carer_status in when.carer_status_in)
    if when.trigger_groups_any:
        checks.append(bool(set(when.trigger_groups_any) & set(f.trigger_groups)))
    if when.trigger_groups_count_at_least is not None:
        checks.append(len(f.trigger_groups) >= when.trigger_groups_count_at_least)
    if when.interpreter_needed is not None:
        checks.append(f.interpreter_needed == when.interpreter_needed)
    if when.age_at_least is not None:
        checks.append(f.age_years is not None and f.age_years >= when.age_at_least)
    if when.age_below is not None:
        checks.append(f.age_years is not None and f.age_years < when.age_below)
    return all(checks)


def decide(f: ReferralFacts, rs: RuleSet) -> TriageOutcome:
    rules: list[RuleOutcome] = []

    def note(rule_id: str, passed: bool, explanation: str) -> None:
        rules.append(RuleOutcome(rule_id=rule_id, passed=passed, explanation=explanation))

    def ending(decision: Decision, reason: str, signposting: str | None = None) -> TriageOutcome:
        return TriageOutcome(decision, reason, rules, rs.version, signposting=signposting)

    # 1. Urgent needs go to statutory services now.
    for redirect in rs.redirects:
        if holds(redirect.when, f):
            note(f"redirect.{redirect.id}", False, redirect.explanation)
            return ending(Decision.REDIRECTED, redirect.reason, redirect.signposting)
    if rs.redirects:
        note("redirect.none", True, "No crisis, safeguarding or statutory-care need flagged.")

    # 2. Consent and exclusions.
    if rs.eligibility.consent_required:
        note("eligibility.consent", f.consent_to_referral,
             "The person consented to the referral." if f.consent_to_referral
             else "The person has not consented to the referral.")
        if not f.consent_to_referral:
            return ending(Decision.DECLINED, "no_consent", "Ask the person whether they would like to be referred.")
    for exclusion in rs.exclusions:
        if holds(exclusion.when, f):
            note(f"exclusion.{exclusion.id}", False, exclusion.explanation)
            return ending(Decision.DECLINED, exclusion.reason, exclusion.signposting)

    # 3. Hard eligibility: age and area.
    review: list[tuple[str, str]] = []
    elig = rs.eligibility
    if elig.min_age is not None or elig.max_age is not None:
        bounds = f"{elig.min_age or 0}" + (f"-{elig.max_age}" if elig.max_age is not None else "+")
        if f.age_years is None:
            review.append(("age_missing", f"Age unknown: check it against the programme's range {bounds}."))
        else:
            outside = (elig.min_age is not None and f.age_years < elig.min_age) or (
                elig.max_age is not None and f.age_years > elig.max_age)
            note("eligibility.age", not outside,
                 f"Age {f.age_years} is {'outside' if outside else 'within'} the programme's range {bounds}.")
            if outside:
                return ending(Decision.DECLINED, "age_out_of_range", elig.age_signposting)

    networking_only = False
    if elig.geography is not None:
        area = _area(f, elig.geography)
        if area == "in":
            note("eligibility.area", True, f"{_place(f)} is in the programme's area.")
        elif area == "networking":
            networking_only = True
            note("eligibility.area", True,
                 f"{_place(f)} is outside the connector wards; citywide networking and signposting are offered.")
        elif area == "borderline":
            review.append(("borderline_geography",
                           f"{_place(f)} straddles the programme's boundary: check the address."))
        elif area == "unknown":
            review.append(("area_unknown", "No postcode, ward or local authority: check where the person lives."))
        else:
            note("eligibility.area", False, f"{_place(f)} is outside the programme's area.")
            return ending(Decision.DECLINED, "out_of_area", elig.geography.outside_signposting)

    # 4. What a person must look at.
    if f.person_match_uncertain:
        review.append(("uncertain_person_match",
                       "Intake was unsure whether this is someone referred before: confirm who it is."))
    for rule in rs.review_when:
        if holds(rule.when, f):
            review.append((rule.id, rule.explanation))
    if review:
        for reason, explanation in review:
            note(f"review.{reason}", False, explanation)
        return TriageOutcome(Decision.NEEDS_REVIEW, review[0][0], rules, rs.version,
                             review_reasons=[r for r, _ in review])

    return size_accepted(f, rs, rules, networking_only)


def size_accepted(
    f: ReferralFacts, rs: RuleSet, rules: list[RuleOutcome] | None = None, networking_only: bool = False
) -> TriageOutcome:
    """Accepted: how complex, which pathway, how many hours, how urgent."""
    rules = rules if rules is not None else []

    def note(rule_id: str, passed: bool, explanation: str) -> None:
        rules.append(RuleOutcome(rule_id=rule_id, passed=passed, explanation=explanation))

    score = 0
    for marker in rs.complexity.markers:
        if holds(marker.when, f):
            score += marker.weight
            note(f"complexity.{marker.id}", True, f"{marker.explanation} (+{marker.weight})")
    band = rs.complexity.band(score)
    note("complexity.band", True, f"Complexity score {score}: {band.value}.")
    pathway = Pathway.SIGNPOST_ONLY if networking_only else rs.pathways[band]
    hours = rs.expected_weekly_hours[band]
    if f.trigger_groups and rs.trigger_group_hours_factor > 1:
        hours *= rs.trigger_group_hours_factor
        note("hours.trigger_groups", True,
             f"In a trigger group: expect about {round((rs.trigger_group_hours_factor - 1) * 100)}% more support time.")
    home_visit = f.mobility == "housebound"
    if home_visit and rs.home_visit_extra_hours:
        hours += rs.home_visit_extra_hours
        note("hours.home_visits", True, "Housebound: visits at home, so travel time is added.")
    priority = rs.priority.default
    for rule in rs.priority.rules:
        if holds(rule.when, f) and rule.priority < priority:
            priority = rule.priority
            note(f"priority.{rule.id}", True, rule.explanation)
    return TriageOutcome(
        Decision.ACCEPTED, None, rules, rs.version, complexity=band, pathway=pathway, priority=priority,
        expected_weekly_hours=round(hours, 2), home_visit_needed=home_visit,
    )


def _area(f: ReferralFacts, g) -> str:
    if f.local_authority and f.local_authority.lower() in {a.lower() for a in g.local_authorities}:
        return "in"
    if f.ward and f.ward.lower() in {w.lower() for w in g.wards}:
        return "in"
    if f.postcode_sector and f.postcode_sector in g.postcode_sectors:
        return "in"
    if f.postcode_district and f.postcode_district in g.postcode_districts:
        return "in"
    if f.postcode_district and f.postcode_district in g.borderline_postcode_districts:
        return "borderline"
    if f.postcode_district and f.postcode_district in g.networking_postcode_districts:
        return "networking"
    if not (f.postcode_district or f.ward or f.local_authority):
        return "unknown"
    return "outside"


def _place(f: ReferralFacts) -> str:
    if f.ward:
        return f"Ward {f.ward}"
    if f.postcode_sector:
        return f"Postcode sector {f.postcode_sector}"
    if f.postcode_district:
        return f"Postcode district {f.postcode_district}"
    return f"Local authority {f.local_authority}"
