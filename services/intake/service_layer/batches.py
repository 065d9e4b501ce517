"""Council batch files: every row accepted or rejected on its own, the file kept, a per-row report."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from typing import Any

from pydantic import ValidationError

from services.intake.domain.csv_rows import CsvMapping, RowError, column_for, row_to_submission
from services.intake.domain.partner import Partner
from services.intake.service_layer import commands as c
from services.intake.service_layer import referrals, sealed
from services.intake.service_layer.errors import BatchRejected, SubmissionRejected
from services.intake.service_layer.unit_of_work import IntakeUnitOfWork


async def process_batch(cmd: c.ProcessBatch, uow: IntakeUnitOfWork) -> dict[str, Any]:
    partner, filename, content = cmd.partner, cmd.filename, cmd.content
    batch_id = uuid.uuid4()
    sha = hashlib.sha256(content).hexdigest()
    async with uow:  # the file is kept before anything is read from it
        # Sealed under the batch's own key: the file holds many people, and erasing any one of them destroys
        # it (each row is also kept as a sealed submission of its own, so nothing of the others is lost).
        await uow.batches.add(batch_id=batch_id, partner_id=partner.id, filename=filename, sha256=sha,
                              content=await sealed.seal_bytes(uow.sealer, batch_id, content, context=sealed.BATCH))
        mapping = await uow.partners.csv_mapping(partner.id)
        await uow.commit()

    report: dict[str, Any] = {"batch_id": str(batch_id), "sha256": sha, "filename": filename, "rows": []}
    try:
        if mapping is None:
            raise BatchRejected("no CSV column mapping is configured for this partner")
        csv_mapping = CsvMapping.model_validate(mapping)
        text = _decode(content)
        reader = csv.DictReader(io.StringIO(text))
        missing = sorted(csv_mapping.headers() - set(reader.fieldnames or []))
        if missing:
            raise BatchRejected(f"the file lacks the mapped columns: {', '.join(missing)}")
        for line_number, row in enumerate(reader, start=2):
            report["rows"].append(
                await _row(uow, cmd, csv_mapping, row, line_number, sha, batch_id)
            )
    except BatchRejected as rejected:
        report["error"] = rejected.problem
    except (csv.Error, ValidationError) as exc:
        report["error"] = f"the file could not be read: {exc}"
    rows = report["rows"]
    report["summary"] = {
        outcome: sum(1 for r in rows if r["outcome"] == outcome)
        for outcome in ("accepted", "duplicate", "already_received", "rejected")
    }
    async with uow:
        await uow.batches.set_report(batch_id, report)
        await uow.commit()
    if "error" in report:
        raise BatchRejected(report["error"])
    return report


async def _row(uow: IntakeUnitOfWork, cmd: c.ProcessBatch, mapping: CsvMapping, row: dict[str, str],
               line_number: int, sha: str, batch_id: uuid.UUID) -> dict[str, Any]:
    partner: Partner = cmd.partner
    body = json.dumps(row, ensure_ascii=False).encode()
    entry: dict[str, Any] = {"line": line_number}
    try:
        data = row_to_submission(row, mapping)
    except RowError as error:
        await referrals.record_rejected(c.RecordRejectedSubmission(
            cmd.actor, partner.id, "csv_batch", body, [{"field": error.column, "problem": error.problem}],
            cmd.correlation_id, batch_id=batch_id), uow)
        return entry | {"outcome": "rejected", "errors": [{"column": error.column, "problem": error.problem}]}
    try:
        outcome = await referrals.submit(c.SubmitReferral(
            cmd.actor, partner_id=partner.id, partner=partner, channel="csv_batch",
            body=body, data=data, reference=f"batch:{sha[:16]}:{line_number}", correlation_id=cmd.correlation_id,
            batch_id=batch_id), uow)
    except SubmissionRejected as rejected:
        errors = [{"column": _column(e["field"], mapping), "problem": e["problem"]} for e in rejected.errors]
        return entry | {"outcome": "rejected", "errors": errors}
    kind = "duplicate" if outcome.duplicate_of else ("accepted" if outcome.created else "already_received")
    return entry | {"outcome": kind, "referral_id": str(outcome.referral.id),
                    **({"linked_to_referral_id": str(outcome.linked_to_referral_id)}
                       if outcome.linked_to_referral_id else {})}


def _column(field: str, mapping: CsvMapping) -> str:
    return column_for(tuple(field.split(".")), mapping)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")  # spreadsheets exported on Windows
