"""Is this the same person as someone referred before? No I/O.

Each known candidate is compared with the referral by Fellegi–Sunter linkage (`linkage`):
field by field, a weight for each comparison level, a prior, a match probability. Above
SAME the referral is filed under the known person; between REVIEW and SAME a person
decides; below, a new person. Rules then hold back what the weights alone would link:

- NHS numbers: different numbers are always different people; the same number links unless
  the given name or date of birth clearly contradicts it, then a person checks.
- Household: the same postcode and family name with a different given name is another person
  in the household (a spouse, a twin); with the same name but born 30 or more years apart, a
  parent and child; with a different date of birth or age, at most a person's review.
- Evidence: an automatic link needs the given name (not only an initial) and the date of
  birth to agree, or the stated ages when there is no date of birth. A name alone never links.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.intake.domain import linkage
from services.intake.domain.linkage import Level

SAME = 0.92
REVIEW = 0.75
HELD_BACK = 0.9  # the most confidence a link held back for a person's review is given
PARENT_AND_CHILD_YEARS = 30

# What a rule allows at most.
LINK, ASK, APART = "link", "ask", "apart"


@dataclass(frozen=True)
class PersonKey:
    given_key: str
    family_key: str
    date_of_birth: date | None = None
    postcode: str | None = None
    nhs_number: str | None = None
    person_id: uuid.UUID | None = None
    stated_age: int | None = None
    stated_age_on: date | None = None  # the day the stated age was true

    @property
    def born(self) -> float | None:
        return linkage.birth_estimate(self.date_of_birth, self.stated_age, self.stated_age_on)


@dataclass(frozen=True)
class MatchResult:
    kind: str  # "new" | "same" | "uncertain"
    confidence: float
    method: str  # "new" | "nhs_number" | "demographics"
    person_id: uuid.UUID | None = None
    reasons: list[str] = field(default_factory=list)


def name_key(name: str) -> str:
    """Lower case, accents and punctuation removed, digits kept: 'O'Néill' -> 'oneill', 'Cohort14' -> 'cohort14'."""
    decomposed = unicodedata.normalize("NFKD", name)
    kept = "".join(c for c in decomposed if c.isalnum() or c.isspace())
    return " ".join(kept.lower().split())


def key_for(given_name: str, family_name: str, date_of_birth: date | None, postcode: str | None,
            nhs_number: str | None, person_id: uuid.UUID | None = None, *, stated_age: int | None = None,
            stated_age_on: date | None = None) -> PersonKey:
    return PersonKey(name_key(given_name), name_key(family_name), date_of_birth, postcode, nhs_number, person_id,
                     stated_age if stated_age_on else None, stated_age_on if stated_age is not None else None)


family_name_frequency = linkage.family_name_frequency


@dataclass(frozen=True)
class Assessment:
    """One candidate compared: the linkage's probability, what the rules allow, and why."""

    probability: float
    allows: str  # LINK | ASK | APART
    nhs_agrees: bool
    reasons: list[str]

    @property
    def confidence(self) -> float:
        if self.allows == APART:
            return 0.0
        if self.allows == ASK:
            return min(self.probability, HELD_BACK)
        return self.probability


def compare(a: PersonKey, b: PersonKey, family_frequency: float | None = None) -> tuple[dict[str, Level], float]:
    """The comparison level of each field both records have, and the total weight (prior included)."""
    levels = {"given_name": linkage.compare_given(a.given_key, b.given_key),
              "family_name": linkage.compare_family(a.family_key, b.family_key, family_frequency)}
    if a.date_of_birth and b.date_of_birth:
        levels["date_of_birth"] = linkage.compare_date_of_birth(a.date_of_birth, b.date_of_birth)
    elif a.born is not None and b.born is not None:
        levels["age"] = linkage.compare_age(a.born, b.born)
    if a.postcode and b.postcode:
        levels["postcode"] = linkage.compare_postcode(a.postcode, b.postcode)
    return levels, linkage.prior_weight() + sum(level.weight for level in levels.values())


def _nhs_rule(levels: dict[str, Level]) -> tuple[str, str]:
    contradicted = [words for name, words in (("given_name", "given names"), ("date_of_birth", "dates of birth"),
                                               ("age", "ages"))
                    if name in levels and levels[name].name == "differ"]
    if contradicted:
        return ASK, f"same NHS number, but the {' and '.join(contradicted)} differ: a person checks"
    return LINK, "same NHS number"


def _household_rule(a: PersonKey, b: PersonKey, levels: dict[str, Level]) -> tuple[str, str] | None:
    postcode, family, given = levels.get("postcode"), levels["family_name"], levels["given_name"]
    if postcode is None or postcode.name != "exact" or family.name == "differ":
        return None
    if given.name == "differ":
        return APART, "same address and family name, different given names: another person in the household"
    # (a day's tolerance: birth estimates are fractional years, and leap years shift them)
    if a.born is not None and b.born is not None and abs(a.born - b.born) >= PARENT_AND_CHILD_YEARS - 1 / 365:
        return APART, f"same name at one address, born {PARENT_AND_CHILD_YEARS} or more years apart: parent and child"
    birth = levels.get("date_of_birth") or levels.get("age")
    if birth is not None and birth.name not in ("exact", "within_1"):
        return ASK, "same address and family name, but the dates of birth or ages differ: a person checks"
    return None


def _evidence_rule(levels: dict[str, Level]) -> tuple[str, str] | None:
    if levels["given_name"].name not in ("exact", "similar", "nickname"):
        return ASK, "the given names do not agree well enough to link without a person"
    dob, age = levels.get("date_of_birth"), levels.get("age")
    if dob is None and age is None:
        return ASK, "no date of birth or age to compare: a name alone never links"
    if (dob or age).name not in ("exact", "within_1"):
        return ASK, "the dates of birth do not agree exactly: a person checks"
    return None


def assess(candidate: PersonKey, known: PersonKey, family_frequency: float | None = None) -> Assessment:
    levels, weight = compare(candidate, known, family_frequency)
    probability = linkage.probability(weight)
    reasons = [f"{level.words} ({level.weight:+.1f})" for level in levels.values()]
    reasons.append(f"match probability {probability:.3f}")
    if candidate.nhs_number and known.nhs_number:
        if candidate.nhs_number != known.nhs_number:
            return Assessment(0.0, APART, False, ["different NHS numbers"])
        allows, why = _nhs_rule(levels)
        return Assessment(1.0 if allows == LINK else probability, allows, True, [why, *reasons])
    allows = LINK
    for rule in (_household_rule(candidate, known, levels), _evidence_rule(levels)):
        if rule is not None and (rule[0] == APART or allows == LINK):
            allows = rule[0]
            reasons.append(rule[1])
    return Assessment(probability, allows, False, reasons)


def match(candidate: PersonKey, known: Iterable[PersonKey], family_frequency: float | None = None) -> MatchResult:
    """The best of the known people for this referral: the same person, a person's review, or someone new.

    `family_frequency` is how common the referral's family name is among known people
    (`family_name_frequency`); without it, a typical name's frequency is assumed.
    """
    assessed = [(assess(candidate, person, family_frequency), person) for person in known]
    by_nhs = [(a, p) for a, p in assessed if a.nhs_agrees]
    if by_nhs:  # the same NHS number: that person, or a review if the demographics contradict it
        linked = next(((a, p) for a, p in by_nhs if a.allows == LINK), None)
        if linked is not None:
            return MatchResult("same", 1.0, "nhs_number", linked[1].person_id, linked[0].reasons)
        best, person = max(by_nhs, key=lambda found: found[0].probability)
        return MatchResult("uncertain", round(max(REVIEW, best.confidence), 3), "nhs_number", person.person_id,
                           best.reasons)
    if not assessed:
        return MatchResult("new", 1.0, "new")
    best, person = max(assessed, key=lambda found: found[0].confidence)
    confidence = round(best.confidence, 3)
    if confidence < REVIEW:
        return MatchResult("new", round(1 - confidence, 3), "new")
    kind = "same" if confidence >= SAME and best.allows == LINK else "uncertain"
    return MatchResult(kind, min(confidence, HELD_BACK) if kind == "uncertain" else confidence, "demographics",
                       person.person_id, best.reasons)
