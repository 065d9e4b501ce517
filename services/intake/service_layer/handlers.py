"""Intake's use cases: one handler per command, found by the command's type.

Status changes from triage and caseload are handlers of events, not commands: they
are in `status.py`, subscribed in `entrypoints/consumers.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from services.intake.service_layer import batches, erasure, outreach, partners, persons, referrals
from services.intake.service_layer import commands as c
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork

HANDLERS: dict[type[c.Command], Callable[[Any, IntakeUnitOfWork], Awaitable[Any]]] = {
    c.SubmitReferral: referrals.submit,
    c.RecordRejectedSubmission: referrals.record_rejected,
    c.ProcessBatch: batches.process_batch,
    c.LogOutreachContact: outreach.log_contact,
    c.CompleteOutreachReferral: outreach.complete,
    c.DecideMatchReview: persons.decide_match_review,
    c.RegisterPartner: partners.register_partner,
    c.IssuePartnerKey: partners.issue_partner_key,
    c.ConfigureWebhook: partners.configure_webhook,
    c.SetCsvMapping: partners.set_csv_mapping,
    c.SetPartnerProgrammes: partners.set_partner_programmes,
    c.PutProgramme: partners.put_programme,
    c.ErasePerson: erasure.erase_person,
}


async def handle(command: c.Command, uow: IntakeUnitOfWork) -> Any:
    return await HANDLERS[type(command)](command, uow)
