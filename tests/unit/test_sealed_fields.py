"""Sealing a field for a person and opening every sealed field of a record: opened for a reader, or shown as
erased once the person's key is destroyed; a value sealed as one field never opens as another."""

from __future__ import annotations

import os

import pytest

from shared.platform.sealed_fields import open_fields, seal_field
from shared.platform.sealing import InMemoryDataKeyStore, LocalKeyEncryptionKey, Sealer, SealingError, is_sealed

PERSON, OTHER = "3f1c0a8e-0000-4000-8000-000000000001", "3f1c0a8e-0000-4000-8000-000000000002"


@pytest.fixture
def sealer() -> Sealer:
    return Sealer(LocalKeyEncryptionKey(os.urandom(32)), InMemoryDataKeyStore())


async def test_a_record_reads_opened_and_after_erasure_as_erased(sealer):
    record = {"event_type": "case.goal_set", "data": {
        "description": await seal_field(sealer, "caseload", PERSON, "description", "Walk to the market"),
        "measure": {"concerns": [await seal_field(sealer, "caseload", PERSON, "concerns", "my knees")]},
        "someone_else": {"description": await seal_field(sealer, "caseload", OTHER, "description", "Their goal")},
        "progress": "achieved"}}
    assert is_sealed(record["data"]["description"])
    assert await open_fields(sealer, "caseload", record) == {"event_type": "case.goal_set", "data": {
        "description": "Walk to the market", "measure": {"concerns": ["my knees"]},
        "someone_else": {"description": "Their goal"}, "progress": "achieved"}}

    await sealer.shred(PERSON)
    assert await open_fields(sealer, "caseload", record) == {"event_type": "case.goal_set", "data": {
        "description": None, "measure": {"concerns": [None], "erased_fields": ["concerns"]},
        "someone_else": {"description": "Their goal"}, "progress": "achieved", "erased_fields": ["description"]}}


async def test_nothing_to_seal_stays_as_it_is(sealer):
    assert await seal_field(sealer, "caseload", PERSON, "note", None) is None
    assert await seal_field(sealer, "caseload", PERSON, "note", "") == ""


async def test_a_value_sealed_as_one_field_does_not_open_as_another(sealer):
    sealed = await seal_field(sealer, "caseload", PERSON, "reason", "on leave")
    with pytest.raises(SealingError):
        await open_fields(sealer, "caseload", {"description": sealed})
    with pytest.raises(SealingError):
        await open_fields(sealer, "triage", {"reason": sealed})
