"""The person's consent to contact and to data sharing, as it stands on their case. No I/O.

Intake records how the person may be contacted by method (`phone`, `text`, `email`, `post`,
`home_visit`, intake's `ContactMethod`); a worker records contacts by kind. A kind that reaches
the person by one of those methods is refused when the person declined that method, and every
contact the service starts is refused once the person has said not to be contacted at all.

A contact the person started themselves (they rang the worker, came to a group) is always
recorded: refusing it would only lose the record of support they asked for, and nothing in it
went against their wishes. The worker says so (`initiated_by: "person"`) and the history keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The method each contact kind uses to reach the person. Kinds that are not here (meetings in the
# community, groups, journeys the person agreed to when they were arranged, video) use no method the
# person can decline; they are still refused when the person asked not to be contacted at all.
METHOD_OF_KIND = {"phone": "phone", "text": "text", "email": "email", "letter": "post", "home_visit": "home_visit"}
# The methods as intake records them, in the person's words for the refusal message.
METHOD_WORDS = {"phone": "phone", "text": "text message", "email": "email", "post": "letter",
                "home_visit": "home visit"}
METHODS = tuple(METHOD_WORDS)


@dataclass(frozen=True)
class Consent:
    """None means not known (a case opened before consent travelled with the decision): no restriction."""

    to_contact: bool | None = None
    to_data_sharing: bool | None = None
    do_not_contact_by: tuple[str, ...] = ()
    preferred_contact: str | None = None

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Consent:
        data = data or {}
        return cls(to_contact=data.get("to_contact"), to_data_sharing=data.get("to_data_sharing"),
                   do_not_contact_by=tuple(data.get("do_not_contact_by") or ()),
                   preferred_contact=data.get("preferred_contact"))

    def to_json(self) -> dict[str, Any]:
        return {"to_contact": self.to_contact, "to_data_sharing": self.to_data_sharing,
                "do_not_contact_by": list(self.do_not_contact_by), "preferred_contact": self.preferred_contact}

    def problem(self) -> str | None:
        """Why these wishes cannot stand together, if they cannot."""
        unknown = [m for m in (*self.do_not_contact_by, self.preferred_contact) if m is not None and m not in METHODS]
        if unknown:
            return f"unknown contact method {unknown[0]!r}: one of {', '.join(METHODS)}"
        if self.preferred_contact is not None and self.preferred_contact in self.do_not_contact_by:
            return "the preferred contact method is also one the person declined"
        return None

    @property
    def may_contact(self) -> bool:
        return self.to_contact is not False

    def contact_refusal(self, kind: str, initiated_by: str = "worker") -> str | None:
        """Why the service may not record this contact (the instruction to follow instead), or None."""
        if initiated_by == "person":
            return None
        if not self.may_contact:
            return ("the person asked not to be contacted by the service: do not contact them; record only "
                    "contacts they start themselves (initiated_by 'person')")
        method = METHOD_OF_KIND.get(kind)
        if method in self.do_not_contact_by:
            return f"the person asked not to be contacted by {METHOD_WORDS[method]}; {self._instead()}"
        return None

    def _instead(self) -> str:
        if self.preferred_contact:
            return f"they prefer {METHOD_WORDS.get(self.preferred_contact, self.preferred_contact)}"
        allowed = [METHOD_WORDS[m] for m in METHODS if m not in self.do_not_contact_by]
        return f"use a way they have not declined ({', '.join(allowed)})" if allowed else "meet them in person"
