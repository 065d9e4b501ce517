"""Is this the same person as someone referred before? No I/O.

Exact on NHS number. Otherwise a weighted agreement of name (Jaro-Winkler),
date of birth and postcode, with a confidence. Above SAME the referral is filed
under the known person; between REVIEW and SAME a person decides; below, a new
person. Different NHS numbers always mean different people.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz.distance import JaroWinkler

SAME = 0.92
REVIEW = 0.75
WEIGHTS = {"name": 0.45, "date_of_birth": 0.35, "postcode": 0.20}
NAME_ONLY_CAP = 0.80  # a name alone is never enough to file two referrals under one person
NAME_FLOOR = 0.80  # below this the names differ: no agreement of address or birthday makes them one person


@dataclass(frozen=True)
class PersonKey:
    given_key: str
    family_key: str
    date_of_birth: date | None = None
    postcode: str | None = None
    nhs_number: str | None = None
    person_id: uuid.UUID | None = None


@dataclass(frozen=True)
class MatchResult:
    kind: str  # "new" | "same" | "uncertain"
    confidence: float
    method: str  # "new" | "nhs_number" | "demographics"
    person_id: uuid.UUID | None = None
    reasons: list[str] = field(default_factory=list)


def name_key(name: str) -> str:
    """Lower case, accents and punctuation removed: 'O'Néill' -> 'oneill'."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if c.isalpha() or c.isspace())
    return " ".join(letters.lower().split())


def key_for(given_name: str, family_name: str, date_of_birth: date | None, postcode: str | None,
            nhs_number: str | None, person_id: uuid.UUID | None = None) -> PersonKey:
    return PersonKey(name_key(given_name), name_key(family_name), date_of_birth, postcode, nhs_number, person_id)


def _given_similarity(a: str, b: str) -> float:
    first_a, first_b = (a.split() or [""])[0], (b.split() or [""])[0]
    if len(first_a) == 1 or len(first_b) == 1:  # an initial agrees with a name that starts with it
        return 0.85 if first_a[:1] == first_b[:1] else 0.0
    return JaroWinkler.similarity(first_a, first_b)


def _dob_agreement(a: date, b: date) -> float:
    if a == b:
        return 1.0
    if (a.year, a.month, a.day) == (b.year, b.day, b.month):
        return 0.7  # day and month swapped: a common typing slip
    same_parts = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    return 0.4 if same_parts == 2 else 0.0


def _postcode_agreement(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if a[:-2] == b[:-2]:
        return 0.7  # same sector: a neighbour's postcode, or a move next door
    if a.split(" ")[0] == b.split(" ")[0]:
        return 0.4
    return 0.0


def score(a: PersonKey, b: PersonKey) -> tuple[float, list[str]]:
    if a.nhs_number and b.nhs_number and a.nhs_number != b.nhs_number:
        return 0.0, ["different NHS numbers"]
    name = 0.4 * _given_similarity(a.given_key, b.given_key) + 0.6 * JaroWinkler.similarity(a.family_key, b.family_key)
    if name < NAME_FLOOR:
        return round(name * 0.5, 3), [f"names differ (similarity {name:.2f})"]
    parts = {"name": name}
    reasons = [f"name similarity {name:.2f}"]
    if a.date_of_birth and b.date_of_birth:
        parts["date_of_birth"] = _dob_agreement(a.date_of_birth, b.date_of_birth)
        reasons.append(f"date of birth agreement {parts['date_of_birth']:.2f}")
    if a.postcode and b.postcode:
        parts["postcode"] = _postcode_agreement(a.postcode, b.postcode)
        reasons.append(f"postcode agreement {parts['postcode']:.2f}")
    total_weight = sum(WEIGHTS[k] for k in parts)
    confidence = sum(WEIGHTS[k] * v for k, v in parts.items()) / total_weight
    if len(parts) == 1:
        confidence = min(confidence, NAME_ONLY_CAP)
        reasons.append("name only: no date of birth or postcode to compare")
    return round(confidence, 3), reasons


def match(candidate: PersonKey, known: Iterable[PersonKey]) -> MatchResult:
    known = list(known)
    if candidate.nhs_number:
        for person in known:
            if person.nhs_number == candidate.nhs_number:
                return MatchResult("same", 1.0, "nhs_number", person.person_id, ["same NHS number"])
    best: tuple[float, list[str], PersonKey] | None = None
    for person in known:
        confidence, reasons = score(candidate, person)
        if best is None or confidence > best[0]:
            best = (confidence, reasons, person)
    if best is None or best[0] < REVIEW:
        return MatchResult("new", 1.0 if best is None else round(1 - best[0], 3), "new")
    confidence, reasons, person = best
    kind = "same" if confidence >= SAME else "uncertain"
    return MatchResult(kind, confidence, "demographics", person.person_id, reasons)
