"""Events about cases (produced by caseload, topic caseload.cases)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from ..envelope import EventPayload
from .common import MeasureResponse


class WorkerRole(StrEnum):
    CONNECTOR = "connector"
    VOLUNTEER = "volunteer"


class ClosureReason(StrEnum):
    """Closure reasons as coded in the British Red Cross delivery data."""

    PLANNED_END = "planned_end"
    SERVICE_USER_CHOICE = "service_user_choice"
    NEED_INTENSIFIED = "need_intensified"
    WENT_INTO_HOSPITAL = "went_into_hospital"
    DIED = "died"
    LOST_CONTACT = "lost_contact"
    CONTACT_FAILED = "contact_failed"
    OTHER = "other"


class CaseAssigned(EventPayload):
    event_type: ClassVar[str] = "case.assigned"
    schema_version: ClassVar[int] = 1

    case_id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: str
    worker_id: uuid.UUID
    worker_role: WorkerRole
    expected_weekly_hours: float = Field(ge=0)
    assigned_at: datetime


class CaseWaitlisted(EventPayload):
    event_type: ClassVar[str] = "case.waitlisted"
    schema_version: ClassVar[int] = 1

    case_id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: str
    priority: int = Field(ge=1, le=5)
    expected_weekly_hours: float = Field(ge=0)
    waitlisted_at: datetime
    estimated_wait_days: int | None = Field(default=None, ge=0)


class CaseFirstContactMade(EventPayload):
    event_type: ClassVar[str] = "case.first_contact_made"
    schema_version: ClassVar[int] = 1

    case_id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: str
    worker_id: uuid.UUID
    contact_kind: str
    contacted_at: datetime


class CaseClosed(EventPayload):
    event_type: ClassVar[str] = "case.closed"
    schema_version: ClassVar[int] = 1

    case_id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: str
    worker_id: uuid.UUID
    worker_role: WorkerRole
    reason: ClosureReason
    contact_count: int = Field(ge=0)
    measures: list[MeasureResponse] = Field(default_factory=list)
    opened_at: datetime
    closed_at: datetime
