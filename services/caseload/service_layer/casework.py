"""A case's life once a worker has it: contacts, goals, signposts, reviews, holds, transfers,
measures and closure. One handler per command; the case checks its own rules."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.caseload.domain.case import Case
from services.caseload.domain.consent import Consent
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.assignment import assign_waiting
from services.caseload.service_layer.errors import CaseNotFound
from services.caseload.service_layer.notes import opened, seal, seal_measure
from services.caseload.service_layer.ownership import Viewer, require_at_site, require_sees_case
from services.caseload.service_layer.recording import store
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork


async def _case(uow: CaseloadUnitOfWork, cmd: c.CaseCommand) -> Case:
    case = await uow.cases.get(cmd.case_id)
    if case is None:
        raise CaseNotFound(cmd.case_id)
    await require_sees_case(Viewer.of(cmd), uow, case)
    return case


def _result(case: Case, **extra: Any) -> dict[str, Any]:
    return {"case_id": str(case.id), "status": case.status.value, **extra}


async def _worker_role(uow: CaseloadUnitOfWork, case: Case) -> str | None:
    return (await uow.workers.get(case.worker_id))["role"] if case.worker_id else None


async def record_contact(cmd: c.RecordContact, uow: CaseloadUnitOfWork) -> int:
    async with uow:
        case = await _case(uow, cmd)
        case.record_contact(kind=cmd.kind, minutes=cmd.minutes, travel_minutes=cmd.travel_minutes,
                            successful=cmd.successful, occurred_at=cmd.occurred_at, recorded_by=cmd.actor,
                            initiated_by=cmd.initiated_by, note=await seal(uow, case, "note", cmd.note, by=cmd.actor))
        await store(uow, case)
        await uow.commit()
        return case.state.contacts


async def _on_case(uow: CaseloadUnitOfWork, cmd: c.CaseCommand, act: Callable[[Case, datetime], object]) -> dict[str, Any]:
    """Load the case, make one change to it (the case checks its rule), store what it caused.

    A change that returns a dict adds it to the result (the id of what it created)."""
    async with uow:
        case = await _case(uow, cmd)
        result = act(case, datetime.now(UTC))
        if inspect.isawaitable(result):  # a change that seals text first
            result = await result
        extra = result if isinstance(result, dict) else {}
        await store(uow, case)
        await uow.commit()
        return _result(case, **extra)


async def change_consent(cmd: c.ChangeConsent, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    def act(case: Case, now: datetime) -> dict[str, Any]:
        was = case.wishes
        preferred = None if cmd.clear_preferred_contact else (cmd.preferred_contact or was.preferred_contact)
        wishes = Consent(
            to_contact=was.to_contact if cmd.to_contact is None else cmd.to_contact,
            to_data_sharing=was.to_data_sharing if cmd.to_data_sharing is None else cmd.to_data_sharing,
            do_not_contact_by=was.do_not_contact_by if cmd.do_not_contact_by is None else tuple(cmd.do_not_contact_by),
            preferred_contact=preferred)
        case.change_consent(wishes, reported_by=cmd.reported_by, reported_at=cmd.reported_at, now=now,
                            actor=cmd.actor)
        return {"consent": case.consent}
    return await _on_case(uow, cmd, act)


async def set_goal(cmd: c.SetGoal, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async def act(case: Case, now: datetime) -> dict[str, Any]:
        description = await seal(uow, case, "description", cmd.description, by=cmd.actor)
        return {"goal_id": str(case.set_goal(description, now=now, actor=cmd.actor).goal_id)}
    return await _on_case(uow, cmd, act)


async def progress_goal(cmd: c.ProgressGoal, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    return await _on_case(uow, cmd,
                         lambda case, now: case.progress_goal(cmd.goal_id, cmd.progress, now=now, actor=cmd.actor))


async def signpost(cmd: c.Signpost, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async def act(case: Case, now: datetime) -> dict[str, Any]:
        event = case.signpost(cmd.destination, cmd.category, now=now, actor=cmd.actor,
                              note=await seal(uow, case, "note", cmd.note, by=cmd.actor))
        return {"signpost_id": str(event.signpost_id)}
    return await _on_case(uow, cmd, act)


async def record_take_up(cmd: c.RecordTakeUp, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    return await _on_case(uow, cmd,
                         lambda case, now: case.record_take_up(cmd.signpost_id, cmd.taken_up, now=now,
                                                               actor=cmd.actor))


async def record_unmet_need(cmd: c.RecordUnmetNeed, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async def act(case: Case, now: datetime) -> None:
        case.record_unmet_need(cmd.need, now=now, actor=cmd.actor, detail=await seal(uow, case, "detail", cmd.detail, by=cmd.actor))
    return await _on_case(uow, cmd, act)


async def review(cmd: c.ReviewCase, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    return await _on_case(uow, cmd,
                         lambda case, now: case.review(cmd.outcome, now=now, actor=cmd.actor))


async def extend(cmd: c.ExtendCase, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async def act(case: Case, now: datetime) -> None:
        case.extend(cmd.extra_weeks, cmd.extra_sessions, await seal(uow, case, "reason", cmd.reason, by=cmd.actor), now=now,
                    actor=cmd.actor)
    return await _on_case(uow, cmd, act)


async def put_on_hold(cmd: c.PutOnHold, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        case = await _case(uow, cmd)
        now = datetime.now(UTC)
        case.put_on_hold(await seal(uow, case, "reason", cmd.reason, by=cmd.actor), now=now, actor=cmd.actor)
        await store(uow, case)
        # A case on hold frees its hours for someone waiting; the worker keeps the case.
        await uow.workers.release(case.worker_id, case.hours)
        await assign_waiting(uow, case.programme_id, now)
        await uow.commit()
        return _result(case)


async def resume(cmd: c.ResumeCase, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        case = await _case(uow, cmd)
        case.check_can_resume()
        has_room = await uow.workers.reserve(case.worker_id, case.hours)
        case.resume(worker_has_room=has_room, now=datetime.now(UTC), actor=cmd.actor)
        await store(uow, case)
        await uow.commit()
        return _result(case)


async def transfer(cmd: c.TransferCase, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        case = await _case(uow, cmd)
        target = await uow.workers.get(cmd.to_worker_id)
        if target is not None:
            require_at_site(cmd, target["site"], "worker")  # a site's coordinator moves cases within their sites
        target_programme = target["programme_id"] if target else None
        case.check_transfer(cmd.to_worker_id, target_programme)
        from_worker, moves_hours = case.worker_id, case.holds_capacity
        has_room = await uow.workers.reserve(cmd.to_worker_id, case.hours) if moves_hours else True
        case.transfer(cmd.to_worker_id, await seal(uow, case, "reason", cmd.reason, by=cmd.actor), target_programme_id=target_programme, target_has_room=has_room,
                      now=datetime.now(UTC), actor=cmd.actor)
        if moves_hours:
            await uow.workers.release(from_worker, case.hours)
        await store(uow, case)
        await uow.commit()
        return _result(case)


async def record_measure(cmd: c.RecordMeasure, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        case = await _case(uow, cmd)
        case.record_measure(await seal_measure(uow, case, cmd.measure, by=cmd.actor), worker_role=await _worker_role(uow, case), now=datetime.now(UTC),
                            actor=cmd.actor)
        await store(uow, case)
        await uow.commit()
        return {"case_id": str(case.id), "instrument": cmd.measure.instrument.value,
                "timepoint": cmd.measure.timepoint.value}


async def close(cmd: c.CloseCase, uow: CaseloadUnitOfWork) -> dict[str, Any]:
    async with uow:
        case = await _case(uow, cmd)
        now = datetime.now(UTC)
        settings = await uow.settings.get(case.programme_id)
        gave_back_hours = not case.holds_capacity  # a case on hold already gave its hours and slot back
        measures = [await seal_measure(uow, case, m, by=cmd.actor) for m in cmd.measures]
        case.close(cmd.reason, measures, worker_role=await _worker_role(uow, case), now=now, actor=cmd.actor,
                   follow_up_months=settings["follow_up_months"])
        await store(uow, case)
        if not gave_back_hours:
            await uow.workers.release(case.worker_id, case.hours)
        await assign_waiting(uow, case.programme_id, now)
        shown = await opened(uow, case.snapshot(), Viewer.of(cmd), case.id)  # its entry in this same transaction
        await uow.commit()
        return {**shown, "contact_count": case.state.contacts}
