"""Fellegi–Sunter record linkage of two people, field by field. No I/O.

Each field's comparison falls into one level. A level has an m probability (that two
records of the same person fall into it) and a u probability (that two records of
different people do); its agreement weight is log2(m / u), positive for evidence
that they are one person, negative against. The prior (how likely a candidate pair is
a match before comparing anything) plus the weights of the levels is the total
weight W, and the match probability is 2**W / (1 + 2**W).

The m and u values are set by judgement, not estimated (there is no labelled
production data to fit them to); tests/unit/intake/test_linkage_pairs.py measures
them on labelled pairs. A family name's exact agreement is adjusted by how common
the name is among known people (term frequency): Smith agreeing tells less than
Marchbanks agreeing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import JaroWinkler

# One candidate pair in about two thousand is the person: ~200 candidates, most referrals someone new.
PRIOR = 1 / 2000
JARO_WINKLER_HIGH = 0.92

# Family-name frequency: a floor so a unique name is not overwhelming evidence, and pseudo-counts
# so a nearly empty register does not make every name look common.
FAMILY_FREQUENCY_FLOOR = 0.001
FAMILY_FREQUENCY_DEFAULT = 0.005  # when nothing is known of the name
FAMILY_FREQUENCY_PSEUDO_PEOPLE = 500


@dataclass(frozen=True)
class Level:
    field: str
    name: str  # e.g. "exact", "transposed"
    m: float
    u: float
    words: str  # plain words for the reasons

    @property
    def weight(self) -> float:
        return math.log2(self.m / self.u)


def _levels(field: str, *rows: tuple[str, float, float, str]) -> dict[str, Level]:
    return {name: Level(field, name, m, u, words) for name, m, u, words in rows}


GIVEN = _levels(
    "given_name",
    ("exact", 0.88, 0.02, "given names agree"),
    ("similar", 0.04, 0.02, "given names nearly agree (a typing slip?)"),
    ("nickname", 0.03, 0.002, "one given name is a short form of the other"),
    ("initial", 0.03, 0.002, "one given name is an initial that agrees with the other"),
    ("differ", 0.02, 0.956, "given names differ"),
)
FAMILY = _levels(
    "family_name",
    ("exact", 0.90, FAMILY_FREQUENCY_DEFAULT, "family names agree"),
    ("similar", 0.05, 0.005, "family names nearly agree (a typing slip?)"),
    # A married name change is real but rare among our referrals; it links by NHS number or by a
    # person's review, never on demographics alone: m is set low on purpose.
    ("differ", 0.002, 0.99, "family names differ"),
)
DATE_OF_BIRTH = _levels(
    "date_of_birth",
    ("exact", 0.92, 0.002, "dates of birth agree"),
    ("transposed", 0.02, 0.0005, "dates of birth agree with day and month swapped"),
    ("one_part", 0.04, 0.02, "dates of birth differ in one part (day, month or year)"),
    ("differ", 0.02, 0.9775, "dates of birth differ"),
)
AGE = _levels(
    "age",
    ("within_1", 0.95, 0.08, "ages agree within a year"),
    ("within_3", 0.04, 0.15, "ages differ by one to three years"),
    ("differ", 0.01, 0.77, "ages differ by more than three years"),
)
POSTCODE = _levels(
    "postcode",
    ("exact", 0.80, 0.01, "postcodes agree"),
    ("sector", 0.05, 0.02, "postcodes are in the same sector"),
    ("district", 0.05, 0.07, "postcodes are in the same district"),
    ("differ", 0.10, 0.90, "postcodes differ"),
)


def family_name_frequency(count: int, total: int) -> float:
    """How common a family name is among `total` known people, `count` of whom have it, with a floor."""
    pseudo = FAMILY_FREQUENCY_PSEUDO_PEOPLE
    smoothed = (count + pseudo * FAMILY_FREQUENCY_DEFAULT) / (total + pseudo)
    return max(FAMILY_FREQUENCY_FLOOR, smoothed)


def family_exact(frequency: float | None) -> Level:
    """Exact family-name agreement, its u the name's frequency: a common name counts for less."""
    level = FAMILY["exact"]
    if frequency is None:
        return level
    u = min(max(frequency, FAMILY_FREQUENCY_FLOOR), level.m)
    words = f"family names agree (a name {_how_common(u)})"
    return Level(level.field, level.name, level.m, u, words)


def _how_common(u: float) -> str:
    if u >= 0.01:
        return f"common among known people, {u:.1%}"
    return f"shared by {u:.2%} of known people"


# Short forms of given names, both ways; a prefix of three letters or more counts too (Chris, Christopher).
_NICKNAMES = {
    "william": {"bill", "billy", "will", "willie", "liam"}, "robert": {"bob", "bobby", "rob", "robbie", "bert"},
    "richard": {"dick", "rick", "ricky", "rich"}, "margaret": {"maggie", "peggy", "meg", "madge", "rita"},
    "elizabeth": {"liz", "lizzie", "beth", "betty", "bess", "eliza", "libby"}, "edward": {"ted", "teddy", "ed", "eddie", "ned"},
    "james": {"jim", "jimmy", "jamie"}, "john": {"jack", "johnny"}, "catherine": {"kate", "kath", "cathy", "kitty"},
    "katherine": {"kate", "kath", "kathy", "kitty"}, "dorothy": {"dot", "dolly", "dottie"},
    "henry": {"harry", "hal"}, "winifred": {"winnie", "freda"}, "patricia": {"pat", "patsy", "trish"},
    "anthony": {"tony"}, "frederick": {"fred", "freddie"}, "alfred": {"alf", "alfie", "fred"},
    "mary": {"molly", "polly", "mae"}, "susan": {"sue", "susie"}, "joseph": {"joe", "joey"},
    "charles": {"charlie", "chas", "chuck"}, "thomas": {"tom", "tommy"}, "ann": {"annie", "nan", "nancy"},
    "anne": {"annie", "nan", "nancy"}, "helen": {"nell", "nellie"}, "eleanor": {"nell", "nellie", "ellie"},
    "barbara": {"babs", "barbie"}, "kenneth": {"ken", "kenny"}, "leonard": {"len", "lenny"},
    "albert": {"bert", "bertie", "al"}, "florence": {"flo", "florrie"}, "gertrude": {"gert", "trudy"},
}
_SHORT_FORMS = {(long, short) for long, shorts in _NICKNAMES.items() for short in shorts}


def _first(name: str) -> str:
    return (name.split() or [""])[0]


def _digits(name: str) -> str:
    return "".join(c for c in name if c.isdigit())


def compare_given(a: str, b: str) -> Level:
    first_a, first_b = _first(a), _first(b)
    if _digits(first_a) != _digits(first_b):
        return GIVEN["differ"]  # names told apart only by a number (synthetic records) are different people
    if first_a == first_b:
        return GIVEN["exact"]
    if len(first_a) == 1 or len(first_b) == 1:
        return GIVEN["initial"] if first_a[:1] == first_b[:1] else GIVEN["differ"]
    if JaroWinkler.similarity(first_a, first_b) >= JARO_WINKLER_HIGH:
        return GIVEN["similar"]
    shorter, longer = sorted((first_a, first_b), key=len)
    if (longer, shorter) in _SHORT_FORMS or (len(shorter) >= 3 and longer.startswith(shorter)):
        return GIVEN["nickname"]
    return GIVEN["differ"]


def compare_family(a: str, b: str, frequency: float | None) -> Level:
    if _digits(a) != _digits(b):
        return FAMILY["differ"]
    if a == b:
        return family_exact(frequency)
    if JaroWinkler.similarity(a, b) >= JARO_WINKLER_HIGH:
        return FAMILY["similar"]
    return FAMILY["differ"]


def compare_date_of_birth(a: date, b: date) -> Level:
    if a == b:
        return DATE_OF_BIRTH["exact"]
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return DATE_OF_BIRTH["transposed"]
    if (a.year == b.year) + (a.month == b.month) + (a.day == b.day) == 2:
        return DATE_OF_BIRTH["one_part"]
    return DATE_OF_BIRTH["differ"]


def birth_estimate(date_of_birth: date | None, stated_age: int | None, stated_on: date | None) -> float | None:
    """When someone was born, in fractional years: the date itself, or the middle of the year a stated age allows."""
    if date_of_birth is not None:
        return date_of_birth.year + (date_of_birth.timetuple().tm_yday - 1) / 365.25
    if stated_age is None or stated_on is None:
        return None
    return stated_on.year + (stated_on.timetuple().tm_yday - 1) / 365.25 - stated_age - 0.5


def compare_age(born_a: float, born_b: float) -> Level:
    apart = abs(born_a - born_b)
    if apart <= 1.0:
        return AGE["within_1"]
    if apart <= 3.0:
        return AGE["within_3"]
    return AGE["differ"]


def compare_postcode(a: str, b: str) -> Level:
    if a == b:
        return POSTCODE["exact"]
    if a[:-2] == b[:-2]:
        return POSTCODE["sector"]  # a neighbour's postcode, or a move next door
    if a.split(" ")[0] == b.split(" ")[0]:
        return POSTCODE["district"]
    return POSTCODE["differ"]


def prior_weight() -> float:
    return math.log2(PRIOR / (1 - PRIOR))


def probability(total_weight: float) -> float:
    """The match probability of a total weight (prior included)."""
    if total_weight > 60:
        return 1.0
    odds = 2.0 ** total_weight
    return odds / (1 + odds)
