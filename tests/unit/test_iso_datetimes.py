"""IsoDateTime (shared/platform/datetimes.py): what the API documents call a date-time, and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.platform.datetimes import IsoDateTime

ADAPTER = TypeAdapter(IsoDateTime)


def test_an_iso_8601_date_time_is_read_as_one():
    assert ADAPTER.validate_python("2026-12-05T09:00:00Z") == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    assert ADAPTER.validate_json('"2026-12-05T09:00:00+00:00"') == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", ["0.5", "1733389200", 0.5, 1733389200, "tomorrow"])
def test_a_bare_number_is_not_read_as_seconds_since_1970(value):
    with pytest.raises(ValidationError, match="a date-time in ISO 8601"):
        ADAPTER.validate_python(value)
