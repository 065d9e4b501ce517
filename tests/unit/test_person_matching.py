from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.intake.domain.matching import key_for, match, name_key

KNOWN_ID = uuid.uuid4()
KNOWN = key_for("Winifred", "Marchbanks", date(1948, 3, 14), "E8 1DY", "9434765919", KNOWN_ID)


@pytest.mark.parametrize(
    ("given", "family", "dob", "postcode", "nhs", "kind", "method"),
    [
        ("Winnie", "Smith", None, None, "9434765919", "same", "nhs_number"),  # NHS number wins over names
        ("Winifred", "Marchbanks", date(1948, 3, 14), "E8 1DY", None, "same", "demographics"),
        ("WINIFRED", "marchbanks", date(1948, 3, 14), None, None, "same", "demographics"),
        ("Winifred", "Marchbank", date(1948, 3, 14), "E8 1DY", None, "same", "demographics"),
        ("W", "Marchbanks", date(1948, 3, 14), "E8 1DZ", None, "uncertain", "demographics"),
        ("Winifred", "Marchbanks", None, None, None, "uncertain", "demographics"),  # a name alone: ask a person
        ("Winifred", "Marchbanks", date(1948, 14 - 11, 14), "E8 1DY", "4010232137", "new", "new"),  # NHS differs
        ("Winifred", "Marchbanks", date(1948, 3, 15), "E8 1DY", None, "uncertain", "demographics"),
        ("John", "Smith", date(1950, 1, 1), "E8 1DY", None, "new", "new"),
        ("Winifred", "Cartwright", date(1948, 3, 14), "E8 1DY", None, "new", "new"),  # another family name
    ],
)
def test_matching(given, family, dob, postcode, nhs, kind, method):
    result = match(key_for(given, family, dob, postcode, nhs), [KNOWN])
    assert (result.kind, result.method) == (kind, method)
    if kind != "new":
        assert result.person_id == KNOWN_ID and result.reasons


def test_day_and_month_swapped_is_recognised_but_checked_by_a_person():
    typo = key_for("Winifred", "Marchbanks", date(1948, 12, 3), "E8 1DY", None)
    other = key_for("Winifred", "Marchbanks", date(1948, 3, 12), None, None, KNOWN_ID)
    assert match(typo, [other]).kind == "uncertain"


def test_name_keys_ignore_case_accents_and_punctuation():
    assert name_key("O'Néill-Smith ") == "oneillsmith"
    assert name_key("  Zoë   ANNE ") == "zoe anne"
