"""Referral search: what a coordinator may look a referral up by, and the normal form each is compared in.

Name, NHS number and postcode are personal data: they are never stored in clear to be searched, only as
keyed blind indexes (shared/platform/blind_index.py) of the normal forms below, so a search finds an exact
match on the normalised value (any case, spacing or accents; not a part of a name). A name is also found by
how it sounds: each word of the person's names has a phonetic key (name_sounds.py), kept only as a blind
index too, and a typed name whose every word sounds like one of them finds the referral after the exact
matches, marked as sounding alike. The reference, partner and status are not personal data and are compared
as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.intake.domain import normalise
from services.intake.domain.matching import name_key
from services.intake.domain.name_sounds import sounds_of, sounds_to_search
from services.intake.domain.status import FOR_REFERRER, ReferralStatus

# Limits on what a search may ask: long enough for any real value, short enough to refuse junk.
REFERENCE_MAX = 100
NAME_MAX = 200
NHS_NUMBER_MAX = 20
POSTCODE_MAX = 12
PARTNER_MAX = 100
PAGE_SIZE_MAX = 50
PAGE_SIZE_DEFAULT = 20
OFFSET_MAX = 1000

# What the audit trail records was read for each referral shown, and why.
SHOWN_FIELDS = ("given_name", "family_name", "preferred_name")
PURPOSE = "referral search"

# Blind indexes are keyed per field; every form of a name is indexed as this one field, so a name
# typed as given, family, preferred or full name finds the same referral.
NAME, NHS_NUMBER, POSTCODE = "name", "nhs_number", "postcode"
# The phonetic keys of every name word are indexed as their own field, so they never equal an exact name's.
NAME_SOUND = "name_sound"

# How a referral found by name matched: its name exactly (normalised), or by how every word typed sounds.
BY_NAME, SOUNDS_LIKE = "name", "sounds_like"


class InvalidSearch(ValueError):
    """A search that cannot be run: `problems` name each field and what is wrong with it, never its value."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("the search is not valid")
        self.problems = problems


@dataclass(frozen=True)
class SearchKeys:
    """What a referral can be found by, in normal form: the adapter stores only their blind indexes."""

    names: tuple[str, ...]
    nhs_number: str | None
    postcode: str | None
    # The phonetic key of each word of the given, family and preferred names; None only for keys stored before
    # they were kept (intake_0013), which index_earlier_referrals gives them.
    sounds: tuple[str, ...] | None = ()


def _postcode(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalise.postcode(value)
    except ValueError:
        return " ".join(value.upper().split())  # kept as it came (from before postcodes were checked)


def name_forms(given: str | None, family: str | None, preferred: str | None) -> tuple[str, ...]:
    """Each name a coordinator might type for the person, in one normal form: given, family, preferred, and
    the full names 'given family' and 'preferred family'."""
    given_k, family_k, preferred_k = (name_key(v) if v else "" for v in (given, family, preferred))
    forms = [given_k, family_k, preferred_k,
             f"{given_k} {family_k}".strip() if given_k and family_k else "",
             f"{preferred_k} {family_k}".strip() if preferred_k and family_k else ""]
    return tuple(dict.fromkeys(f for f in forms if f))


def keys_of(person: dict[str, Any]) -> SearchKeys:
    """The search keys of a referral's person details (as the registry keeps them)."""
    nhs = "".join((person.get("nhs_number") or "").split()) or None
    return SearchKeys(names=name_forms(person.get("given_name"), person.get("family_name"),
                                       person.get("preferred_name")),
                      nhs_number=nhs, postcode=_postcode(person.get("postcode")),
                      sounds=sounds_of(person.get("given_name"), person.get("family_name"),
                                       person.get("preferred_name")))


@dataclass(frozen=True)
class ReferralSearch:
    """A coordinator's search, every term in normal form; at least one term is given."""

    reference: str | None = None
    referral_id: uuid.UUID | None = None  # the reference, when it is a referral's own id
    name: str | None = None
    name_sounds: tuple[str, ...] = ()  # what each word of the name sounds like; () finds exact names only
    nhs_number: str | None = None
    postcode: str | None = None
    partner_id: str | None = None
    status: ReferralStatus | None = None
    limit: int = PAGE_SIZE_DEFAULT
    offset: int = 0

    @classmethod
    def parse(cls, *, reference: str | None = None, name: str | None = None, nhs_number: str | None = None,
              postcode: str | None = None, partner_id: str | None = None, status: str | None = None,
              limit: int = PAGE_SIZE_DEFAULT, offset: int = 0) -> ReferralSearch:
        """The search as typed, checked and normalised; InvalidSearch names every problem at once."""
        problems: list[dict[str, str]] = []

        def clean(field: str, value: str | None, most: int) -> str | None:
            value = " ".join((value or "").split())
            if len(value) > most:
                problems.append({"field": field, "problem": f"must be {most} characters or fewer"})
                return None
            if not value.isprintable():  # a NUL the database cannot hold, or other control characters
                problems.append({"field": field, "problem": "must not contain control characters"})
                return None
            return value or None

        reference = clean("reference", reference, REFERENCE_MAX)
        name = clean("name", name, NAME_MAX)
        nhs_number = clean("nhs_number", nhs_number, NHS_NUMBER_MAX)
        postcode = clean("postcode", postcode, POSTCODE_MAX)
        partner_id = clean("partner_id", partner_id, PARTNER_MAX)
        status = clean("status", status, 40)
        name_normal = name_key(name) if name else None
        if name and not name_normal:
            problems.append({"field": "name", "problem": "must contain letters or digits"})
        if nhs_number:
            try:
                nhs_number = normalise.nhs_number(nhs_number)
            except ValueError as exc:
                problems.append({"field": "nhs_number", "problem": str(exc)})
        if postcode:
            try:
                postcode = normalise.postcode(postcode)
            except ValueError as exc:
                problems.append({"field": "postcode", "problem": str(exc)})
        chosen = None
        if status:
            try:
                chosen = ReferralStatus(status)
            except ValueError:
                problems.append({"field": "status", "problem": "not a referral status"})
        if not 1 <= limit <= PAGE_SIZE_MAX:
            problems.append({"field": "limit", "problem": f"must be between 1 and {PAGE_SIZE_MAX}"})
        if not 0 <= offset <= OFFSET_MAX:
            problems.append({"field": "offset", "problem": f"must be between 0 and {OFFSET_MAX}"})
        if not problems and not any((reference, name, nhs_number, postcode, partner_id, status)):
            problems.append({"field": "", "problem": "give at least one thing to search by"})
        if problems:
            raise InvalidSearch(problems)
        try:
            referral_id = uuid.UUID(reference) if reference else None
        except ValueError:
            referral_id = None
        return cls(reference=reference, referral_id=referral_id, name=name_normal,
                   name_sounds=sounds_to_search(name_normal) if name_normal else (), nhs_number=nhs_number,
                   postcode=postcode, partner_id=partner_id, status=chosen, limit=limit, offset=offset)


def status_in_words(status: str) -> str:
    """A referral's status as staff read it (the words its referrer reads too)."""
    try:
        return FOR_REFERRER[ReferralStatus(status)]
    except ValueError:
        return status
