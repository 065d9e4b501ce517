"""Schemathesis hooks for tests/e2e/test_openapi_fuzz.py: how to send the bodies that are text."""

from __future__ import annotations

import schemathesis


@schemathesis.serializer("text/csv", "application/yaml")
def as_text(ctx, value):
    return value if isinstance(value, bytes) else str(value).encode()
