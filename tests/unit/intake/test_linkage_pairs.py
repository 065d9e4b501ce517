"""Person matching measured on labelled record pairs.

The pairs are generated from written-down cases: each case says how a second referral is
made from a first, and whether by construction the two are the same person or two people.
The labels come from the case, never from the matcher. Run with -s to see the figures.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from services.intake.domain.matching import PersonKey, family_name_frequency, key_for, match

SAME, DIFFERENT = "same", "different"


@dataclasses.dataclass(frozen=True)
class Someone:
    given: str
    family: str
    born: date
    postcode: str
    partner: str  # a spouse's given name, chosen to be confusable where it can be (John and Joan)
    twin: str
    nickname: str | None = None


# Every date of birth has a day of twelve or less (and not its month), so day and month can be swapped.
PEOPLE = [
    Someone("John", "Smith", date(1952, 3, 7), "E8 1DY", "Joan", "James", "Jack"),
    Someone("Margaret", "Smith", date(1946, 11, 2), "E8 2AB", "Malcolm", "Marjorie", "Peggy"),
    Someone("William", "Smith", date(1939, 6, 9), "E9 5LN", "Winifred", "Walter", "Bill"),
    Someone("Elizabeth", "Smith", date(1950, 1, 4), "N16 7UX", "Edward", "Eileen", "Betty"),
    Someone("Robert", "Jones", date(1944, 8, 11), "E5 0PT", "Roberta", "Raymond", "Bob"),
    Someone("Dorothy", "Jones", date(1937, 2, 10), "E8 3QA", "Douglas", "Doreen", "Dot"),
    Someone("Frederick", "Williams", date(1948, 12, 5), "LE4 6AB", "Freda", "Francis", "Fred"),
    Someone("Patricia", "Brown", date(1955, 4, 8), "LE5 1AA", "Patrick", "Pauline", "Pat"),
    Someone("Winifred", "Marchbanks", date(1948, 3, 12), "E8 1DY", "Wilfred", "Wendy", "Winnie"),
    Someone("Anthony", "Okafor", date(1951, 9, 3), "E8 1AA", "Antonia", "Andrew", "Tony"),
    Someone("Louis", "Nguyen", date(1949, 7, 1), "E2 8HD", "Louise", "Lucas"),
    Someone("Daniel", "Kowalski", date(1953, 10, 6), "E17 4QP", "Danielle", "David"),
    Someone("Bernard", "O'Neill", date(1941, 5, 9), "SE15 3JT", "Bernadette", "Brendan"),
    Someone("Ada", "Achterberg", date(1940, 2, 3), "N1 9GU", "Alan", "Agnes"),
    Someone("Gertrude", "Featherstonehaugh", date(1936, 6, 2), "SW9 8HE", "Gerald", "Gwen", "Gert"),
    Someone("Kenneth", "Patel", date(1945, 1, 10), "LE2 0QS", "Kamala", "Kiran", "Ken"),
    Someone("Leonard", "Cohen", date(1943, 9, 12), "E1 6AN", "Lena", "Lionel", "Len"),
    Someone("Florence", "Adeyemi", date(1947, 11, 8), "SE5 7RS", "Felix", "Fiona", "Flo"),
    Someone("Henry", "Taylor", date(1938, 4, 1), "E8 4RU", "Hetty", "Harold", "Harry"),
    Someone("Helen", "Taylor", date(1942, 8, 6), "E8 4RU", "Hector", "Hilda", "Nell"),
    Someone("Mohammed", "Hussain", date(1950, 3, 11), "B11 1TX", "Maryam", "Mahmood"),
    Someone("Siobhan", "Murphy", date(1954, 12, 9), "NW6 2LS", "Sean", "Sinead"),
    Someone("Zoë", "Ellison-Brown", date(1956, 2, 7), "E9 6DF", "Zac", "Zara"),
    Someone("Thomas", "Evans", date(1939, 10, 4), "CF10 1EP", "Teresa", "Terence", "Tom"),
]
MOVED_TO = ["LE1 1AA", "N4 2HA", "SE1 7PB", "W3 6RS", "E14 5AB", "M1 1AE"]
MARRIED_NAMES = ["Abbott", "Fairweather", "Gallagher", "Lindqvist"]
FIRST_DAY = date(2023, 3, 1)


@dataclasses.dataclass(frozen=True)
class Record:
    given: str
    family: str
    born: date | None
    postcode: str | None
    day: date  # the day of the referral
    stated_age: int | None = None
    nhs_number: str | None = None

    def key(self, person_id: uuid.UUID | None = None) -> PersonKey:
        return key_for(self.given, self.family, self.born, self.postcode, self.nhs_number, person_id,
                       stated_age=self.stated_age, stated_age_on=self.day if self.stated_age is not None else None)


def age_on(day: date, born: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def stated(record: Record, true_birth: date) -> Record:
    """The record with no date of birth, only the age the referrer gave (right on its day)."""
    return dataclasses.replace(record, born=None, stated_age=age_on(record.day, true_birth))


def slip(word: str) -> str:
    """Two neighbouring letters typed the wrong way round, past the first two."""
    i = min(2, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def swap_day_month(d: date) -> date:
    return date(d.year, d.day, d.month)


def years_later(d: date, years: int) -> date:
    return date(d.year + years, d.month, d.day)


Case = Callable[[Someone, Record, int], Record | None]


def _later(first: Record, i: int, **changes) -> Record:
    return dataclasses.replace(first, day=first.day + timedelta(days=150 + 37 * (i % 9)), **changes)


# The written-down cases: (name, label, how the second referral is made from the first).
CASES: list[tuple[str, str, Case]] = [
    ("referred again, same details", SAME, lambda p, a, i: _later(a, i)),
    ("referred again, only an age stated", SAME, lambda p, a, i: stated(_later(a, i), p.born)),
    ("both only an age stated, a year apart", SAME, lambda p, a, i: None),  # built in pairs(): both records change
    ("typing slip in the given name", SAME, lambda p, a, i: _later(a, i, given=slip(p.given))),
    ("typing slip in the family name", SAME, lambda p, a, i: _later(a, i, family=slip(p.family))),
    ("day and month of birth transposed", SAME, lambda p, a, i: _later(a, i, born=swap_day_month(p.born))),
    ("moved to another postcode", SAME, lambda p, a, i: _later(a, i, postcode=MOVED_TO[i % len(MOVED_TO)])),
    ("known by a nickname", SAME, lambda p, a, i: _later(a, i, given=p.nickname) if p.nickname else None),
    ("written in capitals, accents dropped", SAME,
     lambda p, a, i: _later(a, i, given=p.given.upper(), family=p.family.upper().replace("Ë", "E"))),
    ("only an initial for the given name", SAME, lambda p, a, i: _later(a, i, given=p.given[0])),
    ("married name, same date of birth", SAME,
     lambda p, a, i: _later(a, i, family=MARRIED_NAMES[i % len(MARRIED_NAMES)]) if i % 2 else None),
    ("married name, same NHS number", SAME, lambda p, a, i: None),  # built in pairs(): both records carry it
    ("spouse at the same address", DIFFERENT,
     lambda p, a, i: _later(a, i, given=p.partner, born=p.born + timedelta(days=500 + 90 * (i % 5)))),
    ("spouse at the same address, ages only", DIFFERENT, lambda p, a, i: None),  # built in pairs()
    ("twin at the same address", DIFFERENT, lambda p, a, i: _later(a, i, given=p.twin)),
    ("parent and child with the same name at one address", DIFFERENT,
     lambda p, a, i: _later(a, i, born=years_later(p.born, 30 + i % 5))),
    ("sibling living elsewhere", DIFFERENT,
     lambda p, a, i: _later(a, i, given=p.twin, born=years_later(p.born, -2), postcode=MOVED_TO[i % 6])),
    ("namesake born another year, elsewhere", DIFFERENT,
     lambda p, a, i: _later(a, i, born=years_later(p.born, 4 + i % 7), postcode=MOVED_TO[(i + 1) % 6])),
    ("namesake, another NHS number", DIFFERENT, lambda p, a, i: None),  # built in pairs()
    ("someone else given this person's NHS number", DIFFERENT, lambda p, a, i: None),  # built in pairs()
]


def nhs_number(i: int) -> str:
    return f"{9000000000 + 7919 * i:010d}"  # distinct numbers; matching does not check the check digit


def pairs() -> Iterator[tuple[str, str, Record, Record]]:
    for i, p in enumerate(PEOPLE):
        first = Record(p.given, p.family, p.born, p.postcode, FIRST_DAY + timedelta(days=11 * i))
        for name, label, make in CASES:
            if name == "both only an age stated, a year apart":
                a = stated(first, p.born)
                yield name, label, a, stated(dataclasses.replace(a, day=a.day + timedelta(days=400)), p.born)
                continue
            if name == "married name, same NHS number":
                a = dataclasses.replace(first, nhs_number=nhs_number(i))
                yield name, label, a, _later(a, i, family=MARRIED_NAMES[i % 4], postcode=MOVED_TO[i % 6])
                continue
            if name == "spouse at the same address, ages only":
                a = stated(first, p.born)
                b = stated(_later(a, i, given=p.partner), p.born - timedelta(days=365 * (2 + i % 3)))
                yield name, label, a, b
                continue
            if name == "namesake, another NHS number":
                a = dataclasses.replace(first, nhs_number=nhs_number(i))
                yield name, label, a, _later(a, i, nhs_number=nhs_number(i + 100), postcode=MOVED_TO[i % 6])
                continue
            if name == "someone else given this person's NHS number":
                a = dataclasses.replace(first, nhs_number=nhs_number(i))
                yield name, label, a, _later(a, i, given=p.twin, born=years_later(p.born, 3 + i % 4),
                                             postcode=MOVED_TO[i % 6])
                continue
            second = make(p, first, i)
            if second is not None:
                yield name, label, first, second
    # Synthetic records told apart only by a number: Cohort14 Member and Cohort15 Member at one postcode.
    for n in range(1, 41):
        day = FIRST_DAY + timedelta(days=n)
        a = Record(f"Cohort{n}", "Member", None, "E8 1DY", day, stated_age=60 + n % 30)
        b = Record(f"Cohort{n + 1}", "Member", None, "E8 1DY", day + timedelta(days=1),
                   stated_age=60 + (n + 1 + 5 * (n % 2 == 0)) % 30)
        yield "synthetic CohortN Member names", DIFFERENT, a, b


def judged() -> list[tuple[str, str, str]]:
    """(case, label, the matcher's kind) for every pair; family names counted over all first records."""
    labelled = list(pairs())
    register = Counter(a.key().family_key for _, _, a, _ in labelled)
    total = sum(register.values())
    results = []
    for name, label, a, b in labelled:
        candidate = b.key()
        result = match(candidate, [a.key(uuid.uuid4())],
                       family_name_frequency(register[candidate.family_key], total))
        results.append((name, label, result.kind))
    return results


def _rates(results: list[tuple[str, str, str]], linked: set[str]) -> tuple[float, float, int]:
    true = sum(label == SAME and kind in linked for _, label, kind in results)
    claimed = sum(kind in linked for _, _, kind in results)
    actual = sum(label == SAME for _, label, _ in results)
    return (true / claimed if claimed else 1.0), true / actual, claimed - true


def test_matching_on_labelled_pairs_never_merges_two_people_and_links_most_of_the_same():
    results = judged()
    assert len(results) >= 300
    by_case: dict[str, Counter] = defaultdict(Counter)
    for name, label, kind in results:
        by_case[f"{label:9} {name}"][kind] += 1
    print(f"\n{len(results)} labelled pairs: {sum(label == SAME for _, label, _ in results)} same, "
          f"{sum(label == DIFFERENT for _, label, _ in results)} different")
    for case, kinds in sorted(by_case.items()):
        print(f"  {case:62} same {kinds['same']:3}  review {kinds['uncertain']:3}  new {kinds['new']:3}")
    auto_precision, auto_recall, wrong_merges = _rates(results, {"same"})
    any_precision, any_recall, wrong_links = _rates(results, {"same", "uncertain"})
    print(f"automatic links:      precision {auto_precision:.3f}  recall {auto_recall:.3f}  "
          f"different people merged {wrong_merges}")
    print(f"links and reviews:    precision {any_precision:.3f}  recall {any_recall:.3f}  "
          f"different people sent for review {wrong_links - wrong_merges}")

    # Held back by design (tests/unit/test_person_matching.py): a swapped day and month, or only an
    # initial, goes to a person; a married name without an NHS number is someone new.
    held_back = {"day and month of birth transposed", "only an initial for the given name",
                 "married name, same date of birth"}
    eligible = [(n, label, kind) for n, label, kind in results if n not in held_back]
    _, eligible_recall, _ = _rates(eligible, {"same"})
    print(f"automatic links where no rule holds them back: recall {eligible_recall:.3f}")

    assert wrong_merges == 0
    assert auto_recall >= 0.75
    assert eligible_recall >= 0.95
    assert any_recall >= 0.9


def test_the_cases_say_who_is_who_not_the_matcher():
    labels = {(name, label) for name, label, _, _ in pairs()}
    assert ("twin at the same address", DIFFERENT) in labels and ("referred again, same details", SAME) in labels
    assert len({name for name, _ in labels}) == len(CASES) + 1  # every written case made pairs, and the cohort
