"""Events about cases (produced by caseload, topic caseload.cases)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from ..envelope import EventPayload
from .common import MeasureResponse
from .referral import CorrectedNeed


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


class DeclineReason(StrEnum):
    """Why a worker turns an offer down, coded so coordinators can count it (short of interpreters, of workers in
    an area, of room): the workspace's decline form offers these; `other` comes with the worker's note."""

    NO_CAPACITY = "no_capacity"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    LANGUAGE = "language"
    TOO_FAR = "too_far"
    SKILLS = "skills"
    AWAY = "away"
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


# --- the case lifecycle: every change is an event (topic caseload.cases, keyed by case id) ----------


class _CaseEvent(EventPayload):
    case_id: uuid.UUID
    referral_id: uuid.UUID
    programme_id: str
    at: datetime
    actor: str | None = Field(default=None, description="the staff member who made the change, if a person did")


class CaseOpened(_CaseEvent):
    event_type: ClassVar[str] = "case.opened"
    schema_version: ClassVar[int] = 1
    person_id: uuid.UUID
    priority: int = Field(ge=1, le=5)
    expected_weekly_hours: float = Field(ge=0)
    pathway: str


class CaseOffered(_CaseEvent):
    """Also published on caseload.offers keyed by the worker id, so each worker can follow their offers."""

    event_type: ClassVar[str] = "case.offered"
    schema_version: ClassVar[int] = 1
    offer_id: uuid.UUID
    worker_id: uuid.UUID
    expires_at: datetime
    rank: int = Field(ge=1)
    match_score: float
    match_reasons: list[str] = Field(default_factory=list)


class CaseOfferDeclined(_CaseEvent):
    event_type: ClassVar[str] = "case.offer_declined"
    schema_version: ClassVar[int] = 1
    offer_id: uuid.UUID
    worker_id: uuid.UUID
    reason: str


class CaseOfferExpired(_CaseEvent):
    event_type: ClassVar[str] = "case.offer_expired"
    schema_version: ClassVar[int] = 1
    offer_id: uuid.UUID
    worker_id: uuid.UUID


class CaseContactRecorded(_CaseEvent):
    event_type: ClassVar[str] = "case.contact_recorded"
    schema_version: ClassVar[int] = 1
    contact_id: uuid.UUID
    kind: str
    successful: bool = Field(description="false for an attempt that did not reach the person")
    minutes: int = Field(ge=0)
    travel_minutes: int = Field(default=0, ge=0)
    worker_id: uuid.UUID
    initiated_by: str = Field(default="worker", description="worker | person: a contact the person started")


class CaseFirstContactDeadlineMissed(_CaseEvent):
    event_type: ClassVar[str] = "case.first_contact_deadline_missed"
    schema_version: ClassVar[int] = 1
    worker_id: uuid.UUID | None = None
    due_at: datetime


class CaseGoalSet(_CaseEvent):
    event_type: ClassVar[str] = "case.goal_set"
    schema_version: ClassVar[int] = 1
    goal_id: uuid.UUID
    description: str


class CaseGoalProgressed(_CaseEvent):
    event_type: ClassVar[str] = "case.goal_progressed"
    schema_version: ClassVar[int] = 1
    goal_id: uuid.UUID
    progress: str = Field(description="not_started | some_progress | achieved | dropped")


class CaseSignposted(_CaseEvent):
    event_type: ClassVar[str] = "case.signposted"
    schema_version: ClassVar[int] = 1
    signpost_id: uuid.UUID
    destination: str
    category: str | None = None


class CaseSignpostTakeUpRecorded(_CaseEvent):
    event_type: ClassVar[str] = "case.signpost_take_up_recorded"
    schema_version: ClassVar[int] = 1
    signpost_id: uuid.UUID
    taken_up: bool


class CaseUnmetNeedRecorded(_CaseEvent):
    event_type: ClassVar[str] = "case.unmet_need_recorded"
    schema_version: ClassVar[int] = 1
    need: str
    postcode_district: str | None = None


class CaseDetailsCorrected(_CaseEvent):
    """The person's language, interpreter need or postcode district changed (their contact details were
    corrected in intake's registry): offers and unmet needs from now on use these. Coded values only."""

    event_type: ClassVar[str] = "case.details_corrected"
    schema_version: ClassVar[int] = 1
    language: str | None = Field(default=None, max_length=50)
    interpreter_needed: bool = False
    postcode_district: str | None = Field(default=None, max_length=8)
    changed: list[CorrectedNeed] = Field(min_length=1, max_length=3, description="which of the three changed")


class CaseReviewed(_CaseEvent):
    event_type: ClassVar[str] = "case.reviewed"
    schema_version: ClassVar[int] = 1
    outcome: str = Field(description="continue | extend | close_soon")


class CaseExtended(_CaseEvent):
    event_type: ClassVar[str] = "case.extended"
    schema_version: ClassVar[int] = 1
    extra_weeks: int = Field(ge=1, le=26)
    extra_sessions: int = Field(ge=0, le=26)
    reason: str


class CasePutOnHold(_CaseEvent):
    event_type: ClassVar[str] = "case.put_on_hold"
    schema_version: ClassVar[int] = 1
    reason: str


class CaseResumed(_CaseEvent):
    event_type: ClassVar[str] = "case.resumed"
    schema_version: ClassVar[int] = 1


class CaseTransferred(_CaseEvent):
    event_type: ClassVar[str] = "case.transferred"
    schema_version: ClassVar[int] = 1
    from_worker_id: uuid.UUID
    to_worker_id: uuid.UUID
    reason: str


class CaseMeasureRecorded(_CaseEvent):
    event_type: ClassVar[str] = "case.measure_recorded"
    schema_version: ClassVar[int] = 1
    person_id: uuid.UUID
    worker_id: uuid.UUID | None = None
    worker_role: WorkerRole | None = None
    measure: MeasureResponse


class CaseConsentChanged(_CaseEvent):
    """The person changed or withdrew their consent; the values are their wishes from now on, whole.

    Intake keeps the person's consent history from these; a partner is told nothing of them."""

    event_type: ClassVar[str] = "case.consent_changed"
    schema_version: ClassVar[int] = 1
    person_id: uuid.UUID
    to_contact: bool | None = Field(default=None, description="false: the service must not contact the person")
    to_data_sharing: bool | None = Field(
        default=None, description="false: nothing about the person individually leaves the scheme")
    do_not_contact_by: list[str] = Field(default_factory=list,
                                         description="methods declined: phone, text, email, post, home_visit")
    preferred_contact: str | None = None
    reported_by: str = Field(description="who told the service: person | representative | referrer | staff")
    reported_at: datetime = Field(description="when they told the service")


class CaseFollowUpRequested(_CaseEvent):
    event_type: ClassVar[str] = "case.follow_up_requested"
    schema_version: ClassVar[int] = 1
    due_at: datetime


# --- version 2: free text about the person travels sealed ---------------------------------------------
# Everything a member of staff writes about a person (and the person's own words, MYCaW concerns) is sealed
# by caseload under its data key for the person (shared/platform/sealing.py), so erasing the person
# (person.erased: caseload destroys that key) leaves every copy on the topic, in dead letters and in
# consumers' stores unreadable. Only caseload can open them; coded values stay clear. Each v2 is its v1
# with the text fields sealed, so a consumer of the v1 reads a v2 the same way.

SealedText = Annotated[str, Field(
    pattern=r"^sealed:v1:[A-Za-z0-9._-]{1,100}:[A-Za-z0-9_-]+={0,2}$", max_length=20_000,
    description="sealed by caseload for the person (shared/platform/sealing.py); unreadable once they are erased")]


class SealedMeasureResponse(MeasureResponse):
    """A measure as v2 events carry it: the MYCaW concerns, the person's words, sealed one by one."""

    concerns: list[SealedText] | None = Field(default=None, max_length=10,
                                              description="MYCaW: the concerns, sealed one by one")


class CaseOfferDeclinedV2(CaseOfferDeclined):
    schema_version: ClassVar[int] = 2
    reason: SealedText


class CaseOfferDeclinedV3(CaseOfferDeclined):
    """A decline with its reason coded (counted in caseload's report) and the worker's note, if any, sealed.
    Declines from clients that send only a note have no code; a code needs no note except `other`."""

    schema_version: ClassVar[int] = 3
    reason_code: DeclineReason | None = Field(default=None, description="null: declined with a note and no code")
    reason: SealedText | None = None  # type: ignore[assignment]  # v3 makes the note optional


class CaseContactRecordedV2(CaseContactRecorded):
    """A contact with what the worker noted of it, sealed."""

    schema_version: ClassVar[int] = 2
    note: SealedText | None = None


class CaseGoalSetV2(CaseGoalSet):
    schema_version: ClassVar[int] = 2
    description: SealedText


class CaseSignpostedV2(CaseSignposted):
    """The destination names a service or activity (counted in reports); what the worker noted is sealed."""

    schema_version: ClassVar[int] = 2
    note: SealedText | None = None


class CaseUnmetNeedRecordedV2(CaseUnmetNeedRecorded):
    """The need names a kind of need (counted in reports); the detail about the person is sealed."""

    schema_version: ClassVar[int] = 2
    detail: SealedText | None = None


class CaseExtendedV2(CaseExtended):
    schema_version: ClassVar[int] = 2
    reason: SealedText


class CasePutOnHoldV2(CasePutOnHold):
    schema_version: ClassVar[int] = 2
    reason: SealedText


class CaseTransferredV2(CaseTransferred):
    schema_version: ClassVar[int] = 2
    reason: SealedText


class CaseMeasureRecordedV2(CaseMeasureRecorded):
    schema_version: ClassVar[int] = 2
    measure: SealedMeasureResponse


class CaseClosedV2(CaseClosed):
    schema_version: ClassVar[int] = 2
    measures: list[SealedMeasureResponse] = Field(default_factory=list)


SEALED_VERSIONS: tuple[type[EventPayload], ...] = (
    CaseOfferDeclinedV2, CaseOfferDeclinedV3, CaseContactRecordedV2, CaseGoalSetV2, CaseSignpostedV2,
    CaseUnmetNeedRecordedV2, CaseExtendedV2, CasePutOnHoldV2, CaseTransferredV2, CaseMeasureRecordedV2, CaseClosedV2)
