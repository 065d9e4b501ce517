"""Named fault points for fault-injection tests.

`REFERRALS_FAULTS=name1,name2` makes the process die at once (as if killed with
SIGKILL) when it reaches one of those points. Unset in normal running, where a
fault point costs one set lookup.
"""

from __future__ import annotations

import os

_ACTIVE = frozenset(filter(None, os.environ.get("REFERRALS_FAULTS", "").split(",")))


def fault_point(name: str) -> None:
    if name in _ACTIVE:
        os._exit(137)
