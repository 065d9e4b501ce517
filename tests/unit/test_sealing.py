"""Envelope encryption with a data key per person: sealing, opening, binding to a purpose, shredding."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import ValidationError

from shared.platform.sealing import (InMemoryDataKeyStore, KeyDestroyed, LocalKeyEncryptionKey, Sealer,
                                     SealingError, generate_key_encryption_key, is_sealed, sealed_subject)
from shared.platform.settings import PlatformSettings
from tests.support.event_keys import EVENT_KEYS


def sealer(store=None, kek=None) -> Sealer:
    return Sealer(kek or LocalKeyEncryptionKey(os.urandom(32)), store or InMemoryDataKeyStore())


async def test_a_sealed_value_opens_to_what_was_sealed_and_shows_none_of_it():
    s = sealer()
    sealed = await s.seal("person-1", "Ring after 6pm; Okonkwo answers", context="caseload.hold_reason")
    assert is_sealed(sealed) and sealed_subject(sealed) == "person-1"
    assert "Okonkwo" not in sealed and "6pm" not in sealed
    assert await s.open(sealed, context="caseload.hold_reason") == "Ring after 6pm; Okonkwo answers"


async def test_each_person_has_their_own_data_key_stored_only_wrapped():
    store = InMemoryDataKeyStore()
    s = sealer(store)
    await s.seal("person-1", "a", context="x")
    await s.seal("person-2", "b", context="x")
    await s.seal("person-1", "c", context="x")
    assert set(store.keys) == {"person-1", "person-2"}
    assert store.keys["person-1"] != store.keys["person-2"]
    assert all(len(wrapped) > 32 for wrapped in store.keys.values())  # fingerprint + nonce + key + tag


async def test_a_value_sealed_for_one_purpose_does_not_open_as_another():
    s = sealer()
    sealed = await s.seal("person-1", "goal", context="caseload.goal")
    with pytest.raises(SealingError):
        await s.open(sealed, context="caseload.transfer_reason")


async def test_a_tampered_value_is_refused():
    s = sealer()
    sealed = await s.seal("person-1", "goal", context="c")
    head, body = sealed.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(SealingError):
        await s.open(f"{head}:{base64.urlsafe_b64encode(bytes(raw)).decode()}", context="c")
    with pytest.raises(SealingError):
        await s.open("plain text", context="c")


async def test_shredding_makes_every_copy_unreadable_and_no_new_key_is_minted():
    store = InMemoryDataKeyStore()
    s = sealer(store)
    sealed = await s.seal("person-1", "07700 900123", context="c")
    copy_elsewhere = str(sealed)  # as in a topic, a dead letter or a backup
    other = await s.seal("person-2", "kept", context="c")
    assert await s.shred("person-1") is True
    with pytest.raises(KeyDestroyed):
        await s.open(copy_elsewhere, context="c")
    assert await s.open_or_none(copy_elsewhere, context="c") is None
    # A late event about the erased person cannot store their details readable again.
    with pytest.raises(KeyDestroyed):
        await s.seal("person-1", "07700 900123", context="c")
    assert await s.open(other, context="c") == "kept"


async def test_a_data_key_wrapped_under_another_key_encryption_key_is_refused_clearly():
    store = InMemoryDataKeyStore()
    sealed = await sealer(store).seal("person-1", "x", context="c")
    with pytest.raises(SealingError, match="another key-encryption key"):
        await sealer(store).open(sealed, context="c")


async def test_subjects_are_ids_not_text():
    with pytest.raises(SealingError):
        await sealer().seal("Ada Lovelace", "x", context="c")


def _settings(**overrides):
    env = {"DATABASE_URL": "postgresql://u:5f9c1e2a7b3d8e0f4a6c@db/x", "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
           "AUTH_SECRET": "a8f3c9e1b7d24f6a0c5e9b3d7f1a2c4e6b8d0f2a", **EVENT_KEYS} | overrides
    return PlatformSettings(**{k: v for k, v in env.items() if v is not None})


def test_the_setting_takes_a_generated_key_and_never_shows_it():
    key = generate_key_encryption_key()
    settings = _settings(DATA_ENCRYPTION_KEY=key)
    assert LocalKeyEncryptionKey.from_setting(settings.data_encryption_key).fingerprint
    assert key not in repr(settings)


@pytest.mark.parametrize("value, says", [
    (None, "DATA_ENCRYPTION_KEY"),
    ("CHANGE_ME_TO_INTAKE_DATA_ENCRYPTION_KEY", "DATA_ENCRYPTION_KEY is a placeholder"),
    (base64.b64encode(b"k" * 32).decode(), "32 random bytes"),
    (base64.b64encode(os.urandom(16)).decode(), "32 random bytes"),
])
def test_a_missing_placeholder_or_malformed_key_refuses_the_start_without_quoting_it(value, says):
    with pytest.raises(ValidationError) as refused:
        _settings(DATA_ENCRYPTION_KEY=value)
    assert says in str(refused.value)
    if value:
        assert value not in str(refused.value)
