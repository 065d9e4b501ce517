"""Opening what a running service sealed, as the service would: with its key-encryption key and the
wrapped data keys in its own `data_keys` table (read, never written: a test never mints a key)."""

from __future__ import annotations

import json
from typing import Any

from services.intake.service_layer import sealed
from shared.platform.sealing import KeyDestroyed, LocalKeyEncryptionKey, Sealer


class _ReadOnlyKeys:
    def __init__(self, system, schema: str) -> None:
        self._system, self._schema = system, schema

    async def get(self, subject: str) -> bytes | None:
        rows = await self._system.sql(f'SELECT wrapped_key FROM "{self._schema}".data_keys WHERE subject = $1', subject)
        return rows[0]["wrapped_key"] if rows else None

    async def add(self, subject: str, wrapped: bytes) -> bytes:
        raise AssertionError(f"a test never makes a data key ({subject})")

    async def destroy(self, subject: str) -> bool:
        raise AssertionError("a test never destroys a data key")

    async def destroyed(self, subject: str) -> bool:
        rows = await self._system.sql(f'SELECT destroyed_at FROM "{self._schema}".data_keys WHERE subject = $1',
                                      subject)
        return bool(rows) and rows[0]["destroyed_at"] is not None


def sealer_of(system, service: str = "intake") -> Sealer:
    return Sealer(LocalKeyEncryptionKey.from_setting(system.data_encryption_keys[service]),
                  _ReadOnlyKeys(system, service))


async def opened_json(system, stored: str, context: str) -> Any:
    """A sealed JSON column (asyncpg gives jsonb as text) opened; KeyDestroyed once its key is gone."""
    value = json.loads(stored)
    return json.loads(await sealer_of(system).open(value, context=context))


async def opened_bytes(system, stored: bytes, context: str) -> bytes:
    return await sealer_of(system).open_bytes(stored.decode(), context=context)


__all__ = ["KeyDestroyed", "opened_bytes", "opened_json", "sealed", "sealer_of"]
