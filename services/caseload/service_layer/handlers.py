"""Caseload's use cases: one handler per command, found by the command's type.

Opening a case is the handler of an event (an accepted triage decision), not a
command; it is `assignment.open_case`, subscribed in `entrypoints/consumers.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.caseload.service_layer import assignment, casework
from services.caseload.service_layer import commands as c
from services.caseload.service_layer.unit_of_work import CaseloadUnitOfWork

HANDLERS: dict[type[c.Command], Callable[[Any, CaseloadUnitOfWork], Awaitable[Any]]] = {
    c.AddWorker: assignment.add_worker,
    c.UpdateWorker: assignment.update_worker,
    c.SetProgrammeSettings: assignment.set_programme_settings,
    c.AcceptOffer: assignment.accept_offer,
    c.DeclineOffer: assignment.decline_offer,
    c.RecordContact: casework.record_contact,
    c.ChangeConsent: casework.change_consent,
    c.SetGoal: casework.set_goal,
    c.ProgressGoal: casework.progress_goal,
    c.Signpost: casework.signpost,
    c.RecordTakeUp: casework.record_take_up,
    c.RecordUnmetNeed: casework.record_unmet_need,
    c.ReviewCase: casework.review,
    c.ExtendCase: casework.extend,
    c.PutOnHold: casework.put_on_hold,
    c.ResumeCase: casework.resume,
    c.TransferCase: casework.transfer,
    c.RecordMeasure: casework.record_measure,
    c.CloseCase: casework.close,
}


async def handle(command: c.Command, uow: CaseloadUnitOfWork) -> Any:
    return await HANDLERS[type(command)](command, uow)
