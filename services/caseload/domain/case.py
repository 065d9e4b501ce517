"""The case aggregate: one person's support from opening to follow-up. No I/O.

Each method checks the rule that governs it against the case's state (folded from its
history, `CaseState`) and returns the event it causes, having applied it. Events wait in
`pending` until the unit of work stores them in the history and the outbox.

Free text about the person (reasons, goals, notes, MYCaW concerns) reaches the case already sealed by the
service layer, and goes into the sealed (version 2) events as it came: the case checks only that it is there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, get_args

from services.caseload.domain.consent import Consent
from services.caseload.domain.matching import CaseNeeds
from services.caseload.domain.model import (
    CaseState,
    CaseStatus,
    add_months,
    add_working_days,
    check_closure,
    check_contact,
    check_decline,
    check_goal,
    check_open,
    lead_role,
    require,
)
from shared.schemas.envelope import EventPayload
from shared.schemas.events import case as ev
from shared.schemas.events.case import ClosureReason, DeclineReason, WorkerRole
from shared.schemas.events.common import MeasureResponse, Timepoint
from shared.schemas.events.referral import CorrectedNeed
from shared.schemas.events.triage import TriageDecided


@dataclass(frozen=True)
class Pending:
    """An event the case caused; `in_history` is False for announcements that change no state."""

    payload: EventPayload
    actor: str | None
    at: datetime
    in_history: bool = True


@dataclass(frozen=True)
class Contact:
    id: uuid.UUID
    kind: str
    minutes: int
    occurred_at: datetime
    recorded_by: str


# Fields of the aggregate that are not stored as columns of its row.
DERIVED_FIELDS = frozenset({"state", "pending", "new_contacts"})


@dataclass
class Case:
    id: uuid.UUID
    referral_id: uuid.UUID
    person_id: uuid.UUID
    programme_id: str
    priority: int
    expected_weekly_hours: Decimal
    lead_role: str
    opened_at: datetime
    correlation_id: uuid.UUID
    pathway: str | None = None
    needs: dict[str, Any] = field(default_factory=dict)
    previous_referral_id: uuid.UUID | None = None
    traceparent: str | None = None
    waiting_since: datetime | None = None
    assigned_at: datetime | None = None
    first_contact_due_at: datetime | None = None
    first_contact_at: datetime | None = None
    review_due_at: datetime | None = None
    budget_ends_at: datetime | None = None
    closed_at: datetime | None = None
    closure_reason: str | None = None
    measures: list[dict[str, Any]] | None = None
    follow_up_due_at: datetime | None = None
    follow_up_requested_at: datetime | None = None
    # The person's consent and contact wishes: as the referral gave them, and as they stand now.
    consent_at_referral: dict[str, Any] | None = None
    consent: dict[str, Any] | None = None
    state: CaseState = field(default_factory=CaseState)
    pending: list[Pending] = field(default_factory=list, repr=False)
    new_contacts: list[Contact] = field(default_factory=list, repr=False)

    # --- what the case is ------------------------------------------------------------------------

    @property
    def status(self) -> CaseStatus:
        return self.state.status

    @property
    def worker_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.state.worker_id) if self.state.worker_id else None

    @property
    def hours(self) -> Decimal:
        return Decimal(self.expected_weekly_hours)

    @property
    def holds_capacity(self) -> bool:
        """An assigned case holds its worker's hours and slot; on hold it gave them back."""
        return self.status == CaseStatus.ASSIGNED

    @property
    def wishes(self) -> Consent:
        return Consent.of(self.consent)

    def matching_needs(self, exclude: frozenset[str]) -> CaseNeeds:
        n = self.needs or {}
        return CaseNeeds(role=self.lead_role, hours=self.hours, language=n.get("language"),
                         interpreter_needed=bool(n.get("interpreter_needed")),
                         gender_preference=n.get("gender_preference"),
                         home_visit_needed=bool(n.get("home_visit_needed")),
                         postcode_district=n.get("postcode_district"), needs=tuple(n.get("needs") or ()),
                         previous_worker_id=n.get("previous_worker_id"), exclude=exclude)

    def snapshot(self) -> dict[str, Any]:
        """The case's own fields with its status and worker, as staff see them."""
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in DERIVED_FIELDS}
        return {**own, "status": self.status.value, "worker_id": self.worker_id}

    def _refs(self, at: datetime, actor: str | None = None) -> dict[str, Any]:
        return {"case_id": self.id, "referral_id": self.referral_id, "programme_id": self.programme_id,
                "at": at, "actor": actor}

    def _record(self, payload: EventPayload, at: datetime, actor: str | None = None) -> EventPayload:
        self.state = self.state.apply(payload.event_type, payload.model_dump(mode="json"))
        self.pending.append(Pending(payload, actor, at))
        return payload

    def take_pending(self) -> list[Pending]:
        pending, self.pending = self.pending, []
        return pending

    # --- opening, offering, assigning ---------------------------------------------------------------

    @classmethod
    def open(cls, decision: TriageDecided, *, now: datetime, correlation_id: uuid.UUID, traceparent: str | None,
             previous_worker_id: str | None, budget_weeks: int, budget_sessions: int) -> Case:
        """An accepted referral becomes a case, waiting until a worker takes it."""
        case = cls(
            id=uuid.uuid4(), referral_id=decision.referral_id, person_id=decision.person_id,
            programme_id=decision.programme_id, priority=decision.priority or 3,
            expected_weekly_hours=Decimal(str(decision.expected_weekly_hours or 0)),
            lead_role=lead_role(decision.pathway).value,
            pathway=decision.pathway.value if decision.pathway else None, opened_at=now, waiting_since=now,
            correlation_id=correlation_id, traceparent=traceparent,
            previous_referral_id=decision.previous_referral_id,
            needs={"language": decision.language, "interpreter_needed": decision.interpreter_needed,
                   "gender_preference": decision.worker_gender_preference,
                   "home_visit_needed": decision.home_visit_needed,
                   "postcode_district": decision.postcode_district, "needs": decision.needs,
                   "previous_worker_id": previous_worker_id,
                   # Not matched on, but shown on the offer: how complex triage judged it, and what prompted it.
                   "complexity": decision.complexity.value if decision.complexity else None,
                   "trigger_groups": list(decision.trigger_groups)},
            state=CaseState(budget_weeks=budget_weeks, budget_sessions=budget_sessions),
        )
        consent = Consent(to_contact=decision.to_contact, to_data_sharing=decision.to_data_sharing,
                          do_not_contact_by=tuple(decision.do_not_contact_by),
                          preferred_contact=decision.preferred_contact).to_json()
        case.consent_at_referral, case.consent = consent, dict(consent)
        case._record(ev.CaseOpened(**case._refs(now), person_id=case.person_id, priority=case.priority,
                                   expected_weekly_hours=float(case.hours), pathway=case.pathway or "connector"), now)
        return case

    def offer(self, *, offer_id: uuid.UUID, worker_id: uuid.UUID, rank: int, score: float, reasons: list[str],
              now: datetime, expires_at: datetime) -> ev.CaseOffered:
        return self._record(ev.CaseOffered(**self._refs(now), offer_id=offer_id, worker_id=worker_id,
                                           expires_at=expires_at, rank=rank, match_score=score,
                                           match_reasons=reasons), now)

    def waitlist(self, *, now: datetime, estimated_wait_days: int) -> ev.CaseWaitlisted:
        if self.waiting_since is None:
            self.waiting_since = now
        return self._record(ev.CaseWaitlisted(
            case_id=self.id, referral_id=self.referral_id, person_id=self.person_id, programme_id=self.programme_id,
            priority=self.priority, expected_weekly_hours=float(self.hours), waitlisted_at=now,
            estimated_wait_days=estimated_wait_days), now)

    def assign(self, *, worker_id: uuid.UUID, worker_role: str, now: datetime, actor: str | None,
               settings: dict[str, Any]) -> ev.CaseAssigned:
        """The offered worker takes the case: the clocks for first contact, review and budget start."""
        event = self._record(ev.CaseAssigned(
            case_id=self.id, referral_id=self.referral_id, person_id=self.person_id, programme_id=self.programme_id,
            worker_id=worker_id, worker_role=WorkerRole(worker_role), expected_weekly_hours=float(self.hours),
            assigned_at=now), now, actor)
        self.assigned_at, self.waiting_since = now, None
        self.first_contact_due_at = add_working_days(now, settings["first_contact_working_days"])
        self.review_due_at = now + timedelta(weeks=settings["review_weeks"])
        self.budget_ends_at = now + timedelta(weeks=settings["budget_weeks"])
        return event

    def offer_declined(self, *, offer_id: uuid.UUID, worker_id: uuid.UUID, reason_code: DeclineReason | None,
                       reason: str | None, now: datetime, actor: str | None) -> ev.CaseOfferDeclined:
        check_decline(reason_code, reason)
        return self._record(ev.CaseOfferDeclinedV3(**self._refs(now, actor), offer_id=offer_id, worker_id=worker_id,
                                                   reason_code=reason_code, reason=reason or None), now, actor)

    def offer_expired(self, *, offer_id: uuid.UUID, worker_id: uuid.UUID, now: datetime) -> ev.CaseOfferExpired:
        return self._record(ev.CaseOfferExpired(**self._refs(now), offer_id=offer_id, worker_id=worker_id), now)

    # --- casework -----------------------------------------------------------------------------------

    def record_contact(self, *, kind: str, minutes: int, travel_minutes: int, successful: bool,
                       occurred_at: datetime, recorded_by: str, initiated_by: str = "worker",
                       note: str | None = None) -> list[EventPayload]:
        """A contact or attempt; refused, with the instruction to follow, if it goes against the person's wishes
        (an attempt by a declined method is still a contact the person did not want)."""
        check_contact(self.state)
        refusal = self.wishes.contact_refusal(kind, initiated_by)
        require(refusal is None, refusal or "")
        contact_id = uuid.uuid4()
        events: list[EventPayload] = [self._record(ev.CaseContactRecordedV2(
            **self._refs(occurred_at, recorded_by), contact_id=contact_id, kind=kind, successful=successful,
            minutes=minutes, travel_minutes=travel_minutes, worker_id=self.worker_id, initiated_by=initiated_by,
            note=note),
            occurred_at, recorded_by)]
        if successful:
            self.new_contacts.append(Contact(contact_id, kind, minutes, occurred_at, recorded_by))
            if self.state.contacts == 1:
                self.first_contact_at = occurred_at
                made = ev.CaseFirstContactMade(
                    case_id=self.id, referral_id=self.referral_id, person_id=self.person_id,
                    programme_id=self.programme_id, worker_id=self.worker_id, contact_kind=kind,
                    contacted_at=occurred_at)
                # Announced for the referrer and outcomes; the contact itself is already in the history.
                self.pending.append(Pending(made, None, occurred_at, in_history=False))
                events.append(made)
        return events

    def change_consent(self, wishes: Consent, *, reported_by: str, reported_at: datetime, now: datetime,
                       actor: str) -> ev.CaseConsentChanged:
        """The person changed or withdrew consent, at any point of the case (after closure too: data sharing)."""
        problem = wishes.problem()
        require(problem is None, problem or "")
        event = self._record(ev.CaseConsentChanged(
            **self._refs(now, actor), person_id=self.person_id, to_contact=wishes.to_contact,
            to_data_sharing=wishes.to_data_sharing, do_not_contact_by=list(wishes.do_not_contact_by),
            preferred_contact=wishes.preferred_contact, reported_by=reported_by, reported_at=reported_at), now, actor)
        self.consent = wishes.to_json()
        return event

    def correct_details(self, corrected: dict[str, Any], changed: list[str], *, now: datetime,
                        actor: str | None = None) -> ev.CaseDetailsCorrected:
        """The person's language, interpreter need or postcode district as intake's registry now has them (their
        contact details were corrected). At any point of the case: it keeps its worker, and what is matched or
        counted from now on (offers after a transfer or a return to the waiting list, unmet needs) uses them."""
        values = {name: corrected.get(name) for name in get_args(CorrectedNeed)}
        values["interpreter_needed"] = bool(values["interpreter_needed"])
        event = self._record(ev.CaseDetailsCorrected(**self._refs(now, actor), **values, changed=changed), now, actor)
        self.needs = {**(self.needs or {}), **values}
        return event

    def set_goal(self, description: str, *, now: datetime, actor: str) -> ev.CaseGoalSet:
        check_goal(self.state)
        return self._record(ev.CaseGoalSetV2(**self._refs(now, actor), goal_id=uuid.uuid4(),
                                             description=description), now, actor)

    def progress_goal(self, goal_id: uuid.UUID, progress: str, *, now: datetime,
                      actor: str) -> ev.CaseGoalProgressed:
        require(str(goal_id) in self.state.goals, "no such goal on this case")
        return self._record(ev.CaseGoalProgressed(**self._refs(now, actor), goal_id=goal_id, progress=progress),
                            now, actor)

    def signpost(self, destination: str, category: str | None, *, now: datetime, actor: str,
                 note: str | None = None) -> ev.CaseSignposted:
        check_open(self.state, "signpost from")
        return self._record(ev.CaseSignpostedV2(**self._refs(now, actor), signpost_id=uuid.uuid4(),
                                                destination=destination, category=category, note=note), now, actor)

    def record_take_up(self, signpost_id: uuid.UUID, taken_up: bool, *, now: datetime,
                       actor: str) -> ev.CaseSignpostTakeUpRecorded:
        require(str(signpost_id) in self.state.signposts, "no such signpost on this case")
        return self._record(ev.CaseSignpostTakeUpRecorded(**self._refs(now, actor), signpost_id=signpost_id,
                                                          taken_up=taken_up), now, actor)

    def record_unmet_need(self, need: str, *, now: datetime, actor: str,
                          detail: str | None = None) -> ev.CaseUnmetNeedRecorded:
        return self._record(ev.CaseUnmetNeedRecordedV2(
            **self._refs(now, actor), need=need, postcode_district=(self.needs or {}).get("postcode_district"),
            detail=detail), now, actor)

    def review(self, outcome: str, *, now: datetime, actor: str) -> ev.CaseReviewed:
        check_open(self.state, "review")
        return self._record(ev.CaseReviewed(**self._refs(now, actor), outcome=outcome), now, actor)

    def extend(self, extra_weeks: int, extra_sessions: int, reason: str, *, now: datetime,
               actor: str) -> ev.CaseExtended:
        check_open(self.state, "extend")
        require(bool(reason), "an extension needs a reason")
        event = self._record(ev.CaseExtendedV2(**self._refs(now, actor), extra_weeks=extra_weeks,
                                               extra_sessions=extra_sessions, reason=reason), now, actor)
        self.budget_ends_at = (self.budget_ends_at or now) + timedelta(weeks=extra_weeks)
        return event

    def put_on_hold(self, reason: str, *, now: datetime, actor: str) -> ev.CasePutOnHold:
        """The worker keeps the case; the caller gives its hours back for someone waiting."""
        require(self.status == CaseStatus.ASSIGNED, f"cannot put a {self.status} case on hold")
        return self._record(ev.CasePutOnHoldV2(**self._refs(now, actor), reason=reason), now, actor)

    def check_can_resume(self) -> None:
        require(self.status == CaseStatus.ON_HOLD, f"cannot resume a {self.status} case")

    def resume(self, *, worker_has_room: bool, now: datetime, actor: str) -> ev.CaseResumed:
        self.check_can_resume()
        require(worker_has_room, "the worker has no room now: transfer the case to someone who has")
        return self._record(ev.CaseResumed(**self._refs(now, actor)), now, actor)

    def check_transfer(self, to_worker_id: uuid.UUID, target_programme_id: str | None) -> None:
        check_open(self.state, "transfer")
        require(str(to_worker_id) != str(self.worker_id), "the case is already with that worker")
        require(target_programme_id == self.programme_id, "no such worker on this programme")

    def transfer(self, to_worker_id: uuid.UUID, reason: str, *, target_programme_id: str | None,
                 target_has_room: bool, now: datetime, actor: str) -> ev.CaseTransferred:
        self.check_transfer(to_worker_id, target_programme_id)
        require(target_has_room or not self.holds_capacity, "that worker has no room for this case")
        return self._record(ev.CaseTransferredV2(**self._refs(now, actor), from_worker_id=self.worker_id,
                                                 to_worker_id=to_worker_id, reason=reason), now, actor)

    # --- measures, closure, follow-up -------------------------------------------------------------------

    def record_measure(self, measure: MeasureResponse, *, worker_role: str | None, now: datetime,
                       actor: str | None) -> ev.CaseMeasureRecorded:
        """Baseline at the first meeting, end at closure, follow-up about three months after."""
        if measure.timepoint == Timepoint.FOLLOW_UP:
            require(self.status == CaseStatus.CLOSED, "a follow-up measure is taken after the case has closed")
        else:
            check_open(self.state, "record a measure on")
        return self._measure(measure, worker_role, now, actor)

    def _measure(self, measure: MeasureResponse, worker_role: str | None, now: datetime,
                 actor: str | None) -> ev.CaseMeasureRecorded:
        return self._record(ev.CaseMeasureRecordedV2(**self._refs(now, actor), person_id=self.person_id,
                                                     worker_id=self.worker_id, worker_role=worker_role,
                                                     measure=measure.model_dump()), now, actor)

    def close(self, reason: ClosureReason, measures: list[MeasureResponse], *, worker_role: str, now: datetime,
              actor: str | None, follow_up_months: int) -> ev.CaseClosed:
        """Closure measures are recorded first, then the closure; a follow-up falls due some months on."""
        check_closure(self.state, reason)
        for measure in measures:
            self._measure(measure, worker_role, now, actor)
        event = self._record(ev.CaseClosedV2(
            case_id=self.id, referral_id=self.referral_id, person_id=self.person_id, programme_id=self.programme_id,
            worker_id=self.worker_id, worker_role=WorkerRole(worker_role), reason=reason,
            contact_count=self.state.contacts, measures=[m.model_dump() for m in measures], opened_at=self.opened_at,
            closed_at=now),
            now, actor)
        self.closed_at, self.closure_reason = now, reason.value
        self.measures = [m.model_dump(mode="json") for m in measures]
        self.follow_up_due_at = add_months(now, follow_up_months)
        return event

    def miss_first_contact_deadline(self, now: datetime) -> ev.CaseFirstContactDeadlineMissed:
        return self._record(ev.CaseFirstContactDeadlineMissed(**self._refs(now), worker_id=self.worker_id,
                                                              due_at=self.first_contact_due_at), now)

    def request_follow_up(self, now: datetime) -> ev.CaseFollowUpRequested:
        self.follow_up_requested_at = now
        return self._record(ev.CaseFollowUpRequested(**self._refs(now), due_at=self.follow_up_due_at), now)
