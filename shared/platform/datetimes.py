"""A date-time as the API documents say it is: an ISO 8601 string.

Pydantic would also read a bare number (`?since=0.5`, or `0.5` in a JSON body) as seconds since 1970: a
request the document calls invalid would then be answered as if it meant 1 January 1970. Routes take
`IsoDateTime` in place of `datetime` so such a request is the 422 the document promises.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError("a date-time in ISO 8601, e.g. 2026-12-05T09:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
