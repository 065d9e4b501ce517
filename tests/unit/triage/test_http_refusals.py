"""The HTTP API turns each kind of refusal into its status code, keeping the service layer's message."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from services.triage.entrypoints.http import STATUS_OF
from services.triage.service_layer.errors import Conflict, IncompleteDecision, NotFound
from shared.platform.http import refusals_as_http


@pytest.mark.parametrize(("refusal", "status"), [(NotFound, 404), (Conflict, 409), (IncompleteDecision, 422)])
def test_each_refusal_has_its_status(refusal, status):
    with pytest.raises(HTTPException) as raised, refusals_as_http(STATUS_OF):
        raise refusal("why not")
    assert (raised.value.status_code, raised.value.detail) == (status, "why not")


def test_other_errors_pass_through():
    with pytest.raises(KeyError), refusals_as_http(STATUS_OF):
        raise KeyError("a bug, not a refusal")
