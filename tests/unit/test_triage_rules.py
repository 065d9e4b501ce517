"""Table-driven tests of the shipped programme rule sets: each decision kind, each rule.

Expected values are read off the YAML by hand (the tables below), not computed by the code.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.triage.domain.decide import decide
from services.triage.domain.facts import ReferralFacts
from services.triage.domain.ruleset import RuleSet, current, load_ruleset_files

RULESETS = {r.programme_id: r for r in load_ruleset_files(Path("services/triage/rulesets"))}
NOW = datetime(2026, 6, 1, tzinfo=UTC)

BASE = {
    "hackney-connect": ReferralFacts("hackney-connect", NOW, age_years=70, postcode_district="E8",
                                     postcode_sector="E8 1"),
    "leicester-ageing-together": ReferralFacts("leicester-ageing-together", NOW, age_years=65, ward="Belgrave",
                                               postcode_district="LE4", postcode_sector="LE4 9"),
    "brc-community-connectors": ReferralFacts("brc-community-connectors", NOW, age_years=30, postcode_district="M1"),
    "demo": ReferralFacts("demo", NOW, age_years=40),
}

# programme, changes to the base facts, decision, reason, rule ids that must fire (fail for a stop, pass for sizing),
# and for acceptances (band, pathway, hours, priority)
CASES = [
    # --- Hackney (Ageing Better borough scheme)
    ("hackney-connect", {}, "accepted", None, [], ("low", "volunteer", 0.75, 3)),
    ("hackney-connect", {"risk_flags": ("crisis",)}, "redirected", "redirect_crisis", ["redirect.crisis"], None),
    ("hackney-connect", {"risk_flags": ("safeguarding",)}, "redirected", "redirect_safeguarding",
     ["redirect.safeguarding"], None),
    ("hackney-connect", {"needs": ("needs personal care",)}, "redirected", "redirect_statutory_care",
     ["redirect.statutory_care_needs"], None),
    ("hackney-connect", {"consent_to_referral": False}, "declined", "no_consent", ["eligibility.consent"], None),
    ("hackney-connect", {"needs": ("advanced dementia",)}, "declined", "unable_to_engage",
     ["exclusion.unable_to_engage"], None),
    ("hackney-connect", {"age_years": 49}, "declined", "age_out_of_range", ["eligibility.age"], None),
    ("hackney-connect", {"age_years": 50}, "accepted", None, [], ("low", "volunteer", 0.75, 3)),
    ("hackney-connect", {"age_years": None}, "needs_review", "age_missing", ["review.age_missing"], None),
    ("hackney-connect", {"postcode_district": "E2", "postcode_sector": "E2 8"}, "needs_review",
     "borderline_geography", ["review.borderline_geography"], None),
    ("hackney-connect", {"postcode_district": "LE4", "postcode_sector": "LE4 6"}, "declined", "out_of_area",
     ["eligibility.area"], None),
    ("hackney-connect", {"postcode_district": None, "postcode_sector": None, "local_authority": "Hackney"},
     "accepted", None, [], ("low", "volunteer", 0.75, 3)),
    ("hackney-connect", {"postcode_district": None, "postcode_sector": None}, "needs_review", "area_unknown",
     ["review.area_unknown"], None),
    ("hackney-connect", {"person_match_uncertain": True}, "needs_review", "uncertain_person_match",
     ["review.uncertain_person_match"], None),
    ("hackney-connect", {"mobility": "independent", "trigger_groups": ("mobility_limitations",)}, "needs_review",
     "conflicting_mobility", ["review.conflicting_mobility"], None),
    ("hackney-connect", {"risk_flags": ("lone_working",), "mobility": "housebound"}, "needs_review",
     "lone_working_home_visits", ["review.lone_working_home_visits"], None),
    ("hackney-connect", {"needs": ("severe mental illness", "debt", "isolation")}, "accepted", None,
     ["complexity.several_needs", "complexity.severe_mental_illness", "complexity.admin_crisis"],
     ("high", "connector_with_volunteer", 2.5, 3)),
    ("hackney-connect", {"carer_status": "is_a_carer", "interpreter_needed": True}, "accepted", None,
     ["complexity.carer_strain", "complexity.language"], ("medium", "connector", 1.5, 3)),
    ("hackney-connect", {"mobility": "housebound", "living_situation": "lives_alone"}, "accepted", None,
     ["complexity.housebound", "hours.home_visits", "priority.housebound_alone"], ("low", "volunteer", 1.25, 2)),
    ("hackney-connect", {"trigger_groups": ("recently_bereaved",)}, "accepted", None,
     ["complexity.recent_bereavement", "priority.recently_bereaved"], ("low", "volunteer", 0.75, 2)),
    ("hackney-connect", {"age_years": 86, "living_situation": "lives_alone"}, "accepted", None,
     ["priority.very_old_alone"], ("low", "volunteer", 0.75, 2)),
    ("hackney-connect", {"needs": ("learning disability",)}, "accepted", None,
     ["complexity.learning_disability_autism"], ("medium", "connector", 1.5, 3)),
    ("hackney-connect", {"needs": ("chronic loneliness", "no support network")}, "accepted", None,
     ["complexity.chronic_loneliness", "complexity.no_support_network"], ("medium", "connector", 1.5, 3)),
    # --- Leicester (Ageing Better ward scheme with citywide networking)
    ("leicester-ageing-together", {}, "accepted", None, [], ("low", "connector", 1.0, 3)),
    ("leicester-ageing-together", {"ward": None, "postcode_sector": "LE4 6"}, "accepted", None, [],
     ("low", "connector", 1.0, 3)),
    ("leicester-ageing-together", {"ward": None, "postcode_district": "LE3", "postcode_sector": "LE3 1"},
     "accepted", None, [], ("low", "signpost_only", 1.0, 3)),
    ("leicester-ageing-together", {"ward": None, "postcode_district": "NG1", "postcode_sector": "NG1 5"},
     "declined", "out_of_area", ["eligibility.area"], None),
    ("leicester-ageing-together", {"age_years": 45}, "declined", "age_out_of_range", ["eligibility.age"], None),
    ("leicester-ageing-together", {"risk_flags": ("crisis",)}, "redirected", "redirect_crisis",
     ["redirect.crisis"], None),
    ("leicester-ageing-together", {"risk_flags": ("safeguarding",)}, "redirected", "redirect_safeguarding",
     ["redirect.safeguarding"], None),
    ("leicester-ageing-together", {"mobility": "independent", "trigger_groups": ("mobility_limitations",)},
     "needs_review", "conflicting_mobility", ["review.conflicting_mobility"], None),
    ("leicester-ageing-together", {"interpreter_needed": True}, "accepted", None, ["complexity.language"],
     ("medium", "connector", 1.5, 3)),
    ("leicester-ageing-together", {"needs": ("psychosis", "housing", "isolation")}, "accepted", None,
     ["complexity.several_needs", "complexity.severe_mental_illness", "complexity.admin_crisis"],
     ("high", "connector_with_volunteer", 2.5, 3)),
    ("leicester-ageing-together", {"carer_status": "both"}, "accepted", None, ["complexity.carer_strain"],
     ("low", "connector", 1.0, 3)),
    ("leicester-ageing-together", {"mobility": "housebound", "living_situation": "lives_alone"}, "accepted", None,
     ["complexity.housebound", "priority.housebound_alone"], ("low", "connector", 1.5, 2)),
    # --- British Red Cross (trigger groups describe, never restrict)
    ("brc-community-connectors", {}, "accepted", None, [], ("low", "volunteer", 0.5, 3)),
    ("brc-community-connectors", {"age_years": 17}, "declined", "age_out_of_range", ["eligibility.age"], None),
    ("brc-community-connectors", {"age_years": None}, "needs_review", "age_missing", ["review.age_missing"], None),
    ("brc-community-connectors", {"risk_flags": ("crisis",)}, "redirected", "redirect_crisis",
     ["redirect.crisis"], None),
    ("brc-community-connectors", {"risk_flags": ("safeguarding",)}, "redirected", "redirect_safeguarding",
     ["redirect.safeguarding"], None),
    ("brc-community-connectors", {"needs": ("care package",)}, "redirected", "redirect_statutory_care",
     ["redirect.statutory_care_needs"], None),
    ("brc-community-connectors", {"mobility": "independent", "trigger_groups": ("mobility_limitations",)},
     "needs_review", "conflicting_mobility", ["review.conflicting_mobility"], None),
    ("brc-community-connectors", {"trigger_groups": ("young_parent", "separated")}, "accepted", None,
     ["complexity.several_trigger_groups", "hours.trigger_groups", "priority.young_parent"],
     ("low", "volunteer", 0.65, 2)),
    ("brc-community-connectors", {"trigger_groups": ("young_parent", "recently_bereaved", "separated",
                                                     "no_children_at_home", "health_issues",
                                                     "mobility_limitations")},
     "accepted", None, ["complexity.recent_bereavement"], ("medium", "connector", 1.62, 2)),
    ("brc-community-connectors", {"needs": ("bipolar",), "mobility": "housebound", "interpreter_needed": True},
     "accepted", None, ["complexity.severe_mental_illness", "complexity.housebound", "complexity.language"],
     ("high", "connector_with_volunteer", 2.5, 3)),
    ("brc-community-connectors", {"needs": ("debt", "benefits", "loneliness")}, "accepted", None,
     ["complexity.several_needs", "complexity.admin_crisis"], ("medium", "connector", 1.25, 3)),
    ("brc-community-connectors", {"mobility": "housebound", "living_situation": "lives_alone"}, "accepted", None,
     ["priority.housebound_alone"], ("low", "volunteer", 1.0, 2)),
    # --- Demo
    ("demo", {}, "accepted", None, [], ("medium", "connector", 1.5, 3)),
    ("demo", {"age_years": 17}, "declined", "age_out_of_range", ["eligibility.age"], None),
    ("demo", {"risk_flags": ("crisis", "lone_working")}, "redirected", "redirect_crisis", ["redirect.crisis"], None),
    ("demo", {"risk_flags": ("safeguarding",)}, "redirected", "redirect_safeguarding", ["redirect.safeguarding"],
     None),
    ("demo", {"needs": ("a", "b", "c")}, "accepted", None, ["complexity.several_needs"],
     ("medium", "connector", 1.5, 3)),
]


@pytest.mark.parametrize(("programme", "changes", "decision", "reason", "fired", "sizing"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3] or ','.join(c[4]) or 'base'}-{i}" for i, c in enumerate(CASES)])
def test_shipped_rule_sets(programme, changes, decision, reason, fired, sizing):
    outcome = decide(replace(BASE[programme], **changes), RULESETS[programme])
    assert (outcome.decision.value, outcome.reason_code) == (decision, reason)
    assert outcome.ruleset_version == RULESETS[programme].version
    evaluated = {r.rule_id for r in outcome.rules}
    assert set(fired) <= evaluated, f"expected {fired} among {sorted(evaluated)}"
    assert all(r.explanation and not r.explanation.startswith("{") for r in outcome.rules)
    if sizing:
        band, pathway, hours, priority = sizing
        assert (outcome.complexity.value, outcome.pathway.value, outcome.priority) == (band, pathway, priority)
        assert outcome.expected_weekly_hours == pytest.approx(hours, abs=0.006)
    else:
        assert outcome.complexity is None and outcome.pathway is None
    if decision in ("declined", "redirected"):
        assert outcome.signposting, "a decline or redirect always suggests where to turn"


def test_every_rule_of_every_shipped_rule_set_is_covered_by_the_table():
    covered = {(c[0], rule_id.split(".", 1)[1]) for c in CASES for rule_id in c[4]}
    for programme, rs in RULESETS.items():
        rules = [*rs.redirects, *rs.exclusions, *rs.review_when, *rs.complexity.markers, *rs.priority.rules]
        missing = [r.id for r in rules if (programme, r.id) not in covered]
        assert not missing, f"{programme}: no case fires {missing}"


def test_decision_kinds_are_all_covered_for_each_real_programme():
    for programme in ("hackney-connect", "leicester-ageing-together", "brc-community-connectors"):
        kinds = {c[2] for c in CASES if c[0] == programme}
        assert kinds == {"accepted", "declined", "redirected", "needs_review"}, programme


def test_trigger_groups_never_restrict_who_is_referred_to_the_red_cross_scheme():
    rs = RULESETS["brc-community-connectors"]
    for group in ("young_parent", "recently_bereaved", "separated", "no_children_at_home", "health_issues",
                  "mobility_limitations"):
        assert decide(replace(BASE["brc-community-connectors"], trigger_groups=(group,)), rs).decision.value in (
            "accepted", "needs_review")


def test_the_version_in_effect_when_the_referral_arrived_applies():
    v1 = RULESETS["demo"]
    v2 = v1.model_copy(update={"version": "2", "effective_from": datetime(2026, 7, 1, tzinfo=UTC)})
    assert current([v1, v2], datetime(2026, 6, 30, tzinfo=UTC)).version == "1"
    assert current([v1, v2], datetime(2026, 7, 1, tzinfo=UTC)).version == "2"
    assert current([v1, v2], datetime(2025, 1, 1, tzinfo=UTC)) is None


def test_rule_sets_are_validated_on_load():
    data = RULESETS["hackney-connect"].model_dump(mode="json")
    with pytest.raises(ValidationError, match="expected_weekly_hours lacks bands"):
        RuleSet.model_validate({**data, "expected_weekly_hours": {"low": 1}})
    with pytest.raises(ValidationError, match="min_age is above max_age"):
        RuleSet.model_validate({**data, "eligibility": {**data["eligibility"], "min_age": 60, "max_age": 50}})
    with pytest.raises(ValidationError, match="rule ids must be unique"):
        RuleSet.model_validate({**data, "exclusions": data["exclusions"] + data["exclusions"]})
    with pytest.raises(ValidationError, match="complexity bands must rise"):
        RuleSet.model_validate({**data, "complexity": {**data["complexity"], "bands": {"low": 3, "medium": 2, "high": 4}}})
    with pytest.raises(ValidationError, match="a condition needs at least one test"):
        RuleSet.model_validate({**data, "review_when": [{"id": "x", "when": {}, "explanation": "x"}]})
