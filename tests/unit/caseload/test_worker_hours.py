"""A worker's weekly hours (services/caseload/entrypoints/http.py): the request takes exactly what its
document allows, a number or decimal text from 0.01 to 60, and refuses the rest (the issue's example: an
empty capacity_hours passed the document and was refused)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.caseload.entrypoints.http import NewWorker, WorkerFields

WORKER = {"name": "Sam", "role": "connector", "programme_id": "demo"}


def documented(value) -> bool:
    """Whether the OpenAPI schema of capacity_hours admits the value (read from the schema, not the code)."""
    [number, text] = NewWorker.model_json_schema()["properties"]["capacity_hours"]["anyOf"]
    if isinstance(value, str):
        return re.fullmatch(text["pattern"], value) is not None
    return number["minimum"] <= value <= number["maximum"]


@pytest.mark.parametrize("value, hours", [("21", "21"), ("7.5", "7.5"), (".5", "0.5"), ("60.00", "60.00"),
                                          ("0.01", "0.01"), (21, "21"), (7.25, "7.25"), (60, "60")])
def test_hours_the_document_allows_are_taken(value, hours):
    assert documented(value)
    assert NewWorker(**WORKER, capacity_hours=value).capacity_hours == Decimal(hours)


@pytest.mark.parametrize("value", ["", "abc", "0", "99", "60.01", "0.001", "05", "1e1", " 7", 0.001, 0, 61])
def test_hours_the_document_refuses_are_refused(value):
    assert not documented(value)
    with pytest.raises(ValidationError):
        NewWorker(**WORKER, capacity_hours=value)
    with pytest.raises(ValidationError):
        WorkerFields(capacity_hours=value)
