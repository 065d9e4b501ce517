"""What the use cases need from the outside: each service's API, as one person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Api(Protocol):
    async def get(self, path: str, **params: Any) -> Any: ...

    async def post(self, path: str, body: Any = None) -> Any: ...

    async def request(self, method: str, path: str, *, json: Any = None,
                      params: dict[str, Any] | None = None) -> Any: ...


class Apis(Protocol):
    """The five services' APIs, each called with the same person's token (or none, to sign in)."""

    identity: Api
    intake: Api
    triage: Api
    caseload: Api
    outcomes: Api


#: Who calls: a token (None before signing in) -> the services' APIs as that person.
Connect = Callable[[str | None], Apis]
