"""A person erased from the registry (produced by intake, topic intake.erasures).

Intake destroys the person's data key and registry row; every other service that keeps anything about
the person (free text staff wrote, sealed under the service's own data key for the person) destroys its
own key for them on this event, so what it sealed, in its tables, outbox, topics and backups, is gone too.
The event carries pseudonymous ids only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from ..envelope import EventPayload


class PersonErased(EventPayload):
    event_type: ClassVar[str] = "person.erased"
    schema_version: ClassVar[int] = 1

    person_id: uuid.UUID = Field(description="the pseudonymous person id the other events carried")
    referral_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000,
                                          description="the person's referrals, for services keyed by referral")
    basis: Literal["request", "retention"] = Field(
        description="an erasure request (admin or `referrals erase`), or the retention period having passed")
    erased_at: datetime
