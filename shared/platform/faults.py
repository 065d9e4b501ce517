"""Named fault points for fault-injection tests.

`REFERRALS_FAULTS=name1,name2` makes the process die at once (as if killed with
SIGKILL) when it reaches one of those points. `REFERRALS_DELAYS=name=seconds,...`
makes it pause there, to hold work in flight. `REFERRALS_FAILURES=name,...` makes the code there
raise `InjectedFailure` (a bug, until the process is restarted without it). All are unset in normal running,
where a fault point costs one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import os

_KILLS = frozenset(filter(None, os.environ.get("REFERRALS_FAULTS", "").split(",")))
_FAILURES = frozenset(filter(None, os.environ.get("REFERRALS_FAILURES", "").split(",")))
_DELAYS = {
    name: float(seconds)
    for name, _, seconds in (item.partition("=") for item in os.environ.get("REFERRALS_DELAYS", "").split(","))
    if name and seconds
}


def fault_point(name: str) -> None:
    if name in _KILLS:
        os._exit(137)


async def delay_point(name: str) -> None:
    if name in _DELAYS:
        await asyncio.sleep(_DELAYS[name])


class InjectedFailure(RuntimeError):
    """Raised at a failure point named in REFERRALS_FAILURES."""


def failure_point(name: str) -> None:
    if name in _FAILURES:
        raise InjectedFailure(f"injected failure at {name}")
