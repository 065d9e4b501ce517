"""Whom a referral is about: filed under a person already known, or a new one. No I/O."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from services.intake.domain import matching
from services.intake.domain.matching import MatchResult, PersonKey
from services.intake.domain.submission import Person as SubmittedPerson


@dataclass(frozen=True)
class PersonFiling:
    """Where a referral is filed: the person's id, whether they were known, and how sure the match is."""

    person_id: uuid.UUID
    key: PersonKey
    match: MatchResult

    @property
    def known(self) -> bool:
        return self.match.kind == "same"

    @property
    def needs_review(self) -> bool:
        """Between the thresholds a person decides; the referral is filed under a new person meanwhile."""
        return self.match.kind == "uncertain"


class Person:
    """Someone intake has been referred, known by what matching compares (never their full details)."""

    @staticmethod
    def key_of(person: SubmittedPerson, today: date) -> PersonKey:
        """What matching compares; a stated age is kept with the day it was stated (`today`)."""
        return matching.key_for(person.given_name, person.family_name, person.date_of_birth, person.postcode,
                                person.nhs_number, stated_age=person.age_years, stated_age_on=today)

    @staticmethod
    def file(key: PersonKey, candidates: list[PersonKey], family_frequency: float | None = None) -> PersonFiling:
        """Under the same person as a candidate (NHS number, or demographics with confidence), else someone new.

        `family_frequency`: how common the family name is among known people (a common name counts for less)."""
        result = matching.match(key, candidates, family_frequency)
        person_id = result.person_id if result.kind == "same" else uuid.uuid4()
        return PersonFiling(person_id, key, result)
