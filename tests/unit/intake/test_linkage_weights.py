"""The linkage's weights and the rules on top of them, one at a time."""

from __future__ import annotations

import uuid
from datetime import date

from services.intake.domain import linkage
from services.intake.domain.matching import HELD_BACK, REVIEW, SAME, compare, family_name_frequency, key_for, match

TODAY = date(2025, 6, 1)


def known(given, family, dob=None, postcode="E8 1DY", nhs=None, age=None, on=TODAY):
    return key_for(given, family, dob, postcode, nhs, uuid.uuid4(), stated_age=age, stated_age_on=on)


def referred(given, family, dob=None, postcode="E8 1DY", nhs=None, age=None, on=TODAY):
    return key_for(given, family, dob, postcode, nhs, stated_age=age, stated_age_on=on)


def test_every_level_has_its_log2_weight_and_agreement_is_evidence_for_disagreement_against():
    for levels in (linkage.GIVEN, linkage.FAMILY, linkage.DATE_OF_BIRTH, linkage.AGE, linkage.POSTCODE):
        for level in levels.values():
            assert 0 < level.m < 1 and 0 < level.u < 1
        assert levels["exact" if "exact" in levels else "within_1"].weight > 0 > levels["differ"].weight
    assert round(linkage.DATE_OF_BIRTH["exact"].weight, 3) == round(__import__("math").log2(0.92 / 0.002), 3)
    assert linkage.probability(0) == 0.5 and linkage.probability(linkage.prior_weight()) == linkage.PRIOR


def test_a_common_family_name_agreeing_adds_less_than_a_rare_one():
    smith = family_name_frequency(count=120, total=10_000)
    marchbanks = family_name_frequency(count=1, total=10_000)
    assert smith > marchbanks == linkage.FAMILY_FREQUENCY_FLOOR
    common = linkage.compare_family("smith", "smith", smith)
    rare = linkage.compare_family("marchbanks", "marchbanks", marchbanks)
    assert 0 < common.weight < rare.weight
    a, b = referred("John", "Smith", date(1950, 1, 2)), known("John", "Smith", date(1950, 1, 2))
    assert compare(a, b, smith)[1] < compare(a, b, marchbanks)[1]


def test_a_nearly_empty_register_does_not_make_every_name_common():
    assert family_name_frequency(count=1, total=1) < 0.01
    assert family_name_frequency(count=0, total=0) == linkage.FAMILY_FREQUENCY_DEFAULT


def test_stated_ages_are_compared_on_the_days_they_were_stated():
    then = referred("Edna", "Batchley", age=79, on=date(2023, 5, 1))
    now = known("Edna", "Batchley", age=80, on=date(2024, 6, 1))
    assert compare(then, now)[0]["age"].name == "within_1"
    assert match(then, [now]).kind == "same"
    from_birth = known("Edna", "Batchley", dob=date(1944, 2, 3))  # 79 on 1 May 2023
    assert compare(then, from_birth)[0]["age"].name == "within_1"


def test_an_age_that_contradicts_counts_against_and_at_one_address_is_never_a_merge():
    john, older = referred("John", "Smith", age=72), known("John", "Smith", age=70)
    levels, weight = compare(john, older)
    assert levels["age"].name == "within_3" and levels["age"].weight < 0
    assert match(john, [older]).kind != "same"
    far = known("John", "Smith", age=60)
    assert compare(john, far)[0]["age"].name == "differ" and match(john, [far]).kind != "same"
    elsewhere = known("John", "Smith", age=60, postcode="LE4 6AB")
    assert match(john, [elsewhere]).kind == "new"


def test_john_and_joan_smith_at_one_address_are_two_people():
    joan = known("Joan", "Smith", age=70)
    result = match(referred("John", "Smith", age=72), [joan], family_name_frequency(1, 1))
    assert result.kind == "new" and result.method == "new"


def test_household_twins_are_two_people_even_with_one_birthday():
    alice = known("Alice", "Marchbanks", date(1950, 4, 5))
    result = match(referred("Agnes", "Marchbanks", date(1950, 4, 5)), [alice])
    assert result.kind == "new"


def test_household_parent_and_child_with_one_name_are_two_people():
    father = known("Robert", "Okafor", date(1940, 2, 3))
    assert match(referred("Robert", "Okafor", date(1971, 2, 3)), [father]).kind == "new"
    assert match(referred("Robert", "Okafor", age=52), [known("Robert", "Okafor", age=85)]).kind == "new"


def test_household_a_different_birthday_is_at_most_a_review():
    winifred = known("Winifred", "Marchbanks", date(1948, 3, 14))
    result = match(referred("Winifred", "Marchbanks", date(1948, 3, 15)), [winifred])
    assert result.kind == "uncertain" and REVIEW <= result.confidence <= HELD_BACK < SAME
    assert any("same address and family name" in r for r in result.reasons)


def test_names_differing_only_by_a_number_are_different_people():
    result = match(referred("Cohort14", "Member", age=72), [known("Cohort15", "Member", age=65)])
    assert result.kind == "new"
    assert match(referred("Cohort14", "Member", age=72), [known("Cohort14", "Member", age=72)]).kind == "same"


def test_a_name_alone_never_links():
    result = match(referred("Winifred", "Marchbanks", postcode=None),
                   [known("Winifred", "Marchbanks", postcode=None)], family_name_frequency(0, 10_000))
    assert result.kind != "same"


def test_the_same_nhs_number_links_unless_the_demographics_contradict_it():
    person = known("Margaret", "Okafor", date(1941, 3, 2), nhs="9434765919")
    married = match(referred("Margaret", "Okafor-Jones", date(1941, 3, 2), "LE4 6AB", nhs="9434765919"), [person])
    assert (married.kind, married.method, married.person_id) == ("same", "nhs_number", person.person_id)

    other_birthday = match(referred("Margaret", "Okafor", date(1963, 9, 20), nhs="9434765919"), [person])
    assert (other_birthday.kind, other_birthday.method) == ("uncertain", "nhs_number")
    assert REVIEW <= other_birthday.confidence < SAME
    assert "dates of birth differ" in other_birthday.reasons[0]

    other_name = match(referred("Kwame", "Okafor", date(1941, 3, 2), nhs="9434765919"), [person])
    assert (other_name.kind, other_name.method) == ("uncertain", "nhs_number")


def test_different_nhs_numbers_are_always_different_people():
    person = known("Margaret", "Okafor", date(1941, 3, 2), nhs="9434765919")
    result = match(referred("Margaret", "Okafor", date(1941, 3, 2), nhs="4010232137"), [person])
    assert result.kind == "new"


def test_a_contradicted_number_prefers_the_person_it_does_not_contradict():
    wrong = known("Kwame", "Mensah", date(1960, 1, 1), "N1 9GU", nhs="9434765919")
    right = known("Margaret", "Okafor", date(1941, 3, 2), nhs="9434765919")
    result = match(referred("Margaret", "Okafor", date(1941, 3, 2), nhs="9434765919"), [wrong, right])
    assert (result.kind, result.person_id) == ("same", right.person_id)


def test_reasons_are_plain_words_and_name_no_one():
    result = match(referred("Margret", "Okafor", date(1941, 3, 2), "E9 2BB"),
                   [known("Margaret", "Okafor", date(1941, 3, 2), "E8 1AA")])
    text = " ".join(result.reasons).lower()
    assert "given names nearly agree" in text and "postcodes differ" in text and "match probability" in text
    assert "margaret" not in text and "okafor" not in text and "1941" not in text
