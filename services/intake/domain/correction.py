"""A connector's correction of how to reach the person: a JSON merge patch (RFC 7396) of the contact fields,
checked and normalised as the referral channels check them (submission.py), applied to the registry's
details and contact record. No I/O.

What the person wants about being contacted at all (their preferred method, the methods never to use) is
not corrected here: it is consent, recorded on the case in caseload and told to intake by its event, and the
connector's view takes it from the consent history (contact_record.connector_view).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, StrictBool, field_validator, model_validator

from services.intake.domain import normalise
from services.intake.domain.submission import Mobility, Reachable, _Model

# Where each correctable field lives: the person's details (what the referral said of them) or the contact
# record (how to reach them). The names are what the audit trail records, never the values.
DETAILS_FIELDS = ("phone", "email", "address", "postcode", "safe_contact_instructions")
CONTACT_FIELDS = ("best_times", "language", "interpreter_needed", "access_needs")
CORRECTABLE = DETAILS_FIELDS + CONTACT_FIELDS


class AddressCorrection(_Model):
    """The lines of the address to change; a line sent as null is removed."""

    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    town: str | None = Field(default=None, max_length=100)
    postcode: str | None = Field(default=None, max_length=12)

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return normalise.postcode(value) if value else None


class AccessNeedsCorrection(_Model):
    mobility: Mobility | None = None


class ContactCorrection(Reachable):
    """A merge patch: a field left out stays as it is; a field sent as null is removed."""

    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    address: AddressCorrection | None = None
    postcode: str | None = Field(default=None, max_length=12)
    best_times: str | None = Field(default=None, max_length=200)
    safe_contact_instructions: str | None = Field(default=None, max_length=1000)
    access_needs: AccessNeedsCorrection | None = None
    language: str | None = Field(default=None, max_length=50, description="main language, e.g. 'en', 'gu', 'so'")
    interpreter_needed: StrictBool | None = None

    @field_validator("best_times", "safe_contact_instructions", "language")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None  # an emptied box removes what it held

    @model_validator(mode="after")
    def _one_postcode(self) -> ContactCorrection:
        sent = self.model_fields_set
        if "postcode" in sent and self.address is not None and "postcode" in self.address.model_fields_set \
                and self.address.postcode != self.postcode:
            raise ValueError("postcode and address.postcode differ: send one of them")
        return self


@dataclass(frozen=True)
class Corrected:
    details: dict[str, Any]
    contact: dict[str, Any]
    changed: tuple[str, ...]  # the names of the fields whose value changed, in CORRECTABLE's order
    matched_on: dict[str, Any]  # what caseload matches workers on, coded, after the correction (matched_on())
    matched_on_changed: tuple[str, ...]  # which of those the correction changed: caseload is told of these


def corrected(details: dict[str, Any], contact: dict[str, Any] | None, correction: ContactCorrection) -> Corrected:
    """The details and contact record with the correction applied, and which fields it changed."""
    sent = correction.model_dump(mode="json", exclude_unset=True)
    new_details, new_contact = dict(details), dict(contact or {})
    for name, value in sent.items():
        target = new_details if name in DETAILS_FIELDS else new_contact
        if name in ("address", "access_needs") and value is not None:
            value = _merged(target.get(name) or {}, value)
        target[name] = value
    # The postcode is kept both on its own and in the address (as a referral keeps them): in step.
    address = new_details.get("address")
    if "postcode" in sent and address:
        new_details["address"] = {**address, "postcode": sent["postcode"]}
    elif "postcode" in (sent.get("address") or {}):
        new_details["postcode"] = sent["address"]["postcode"]
    if new_contact.get("access_needs") is None and "access_needs" in new_contact:
        new_contact["access_needs"] = {}
    changed = tuple(name for name in CORRECTABLE if _value(new_details, new_contact, name) !=
                    _value(details, contact or {}, name))
    before, after = matched_on(details, contact or {}), matched_on(new_details, new_contact)
    return Corrected(new_details, new_contact, changed, after,
                     tuple(name for name in MATCHED_ON if after[name] != before[name]))


# Coded values derived from correctable fields that caseload keeps on the case (referral.received's profile
# gave them at first): a worker who speaks the language, covers the district, works with interpreters.
MATCHED_ON = ("language", "interpreter_needed", "postcode_district")


def matched_on(details: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    postcode = details.get("postcode") or (details.get("address") or {}).get("postcode")
    return {"language": contact.get("language") or None,
            "interpreter_needed": bool(contact.get("interpreter_needed")),
            "postcode_district": normalise.postcode_district(postcode) if postcode else None}


def _merged(was: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any] | None:
    merged = {**was, **patch}
    merged = {k: v for k, v in merged.items() if v is not None}
    return merged or None


def _value(details: dict[str, Any], contact: dict[str, Any], name: str) -> Any:
    # Compared as shown: an empty box, an empty line and no value at all are the same.
    value = (details if name in DETAILS_FIELDS else contact).get(name)
    if isinstance(value, dict):
        value = {k: v for k, v in value.items() if v not in (None, "")}
    return value if isinstance(value, bool) else (value or None)
