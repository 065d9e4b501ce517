"""Failed credential attempts, counted so a guessing loop is slowed, then locked out.

A failure counts only where a credential was presented and was wrong (a missing one is
a plain 401): per client address and, where there is one, per key id or account. After
`max_failures` within `window_s`, every attempt by that address or key is refused with
429 and Retry-After until `lockout_s` has passed; a success does not lift a lockout.

Held in each process's memory: with several replicas behind a balancer each counts on its
own, so an attacker gets at most `max_failures` per replica per window. Bounded in size:
the oldest keys are forgotten first.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Key = tuple[str, str]
MAX_KEYS = 50_000


@dataclass
class FailedAttempts:
    max_failures: int = 10
    window_s: float = 60.0
    lockout_s: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _failures: OrderedDict[Key, deque[float]] = field(default_factory=OrderedDict)
    _locked_until: dict[Key, float] = field(default_factory=dict)

    def retry_after(self, keys: Iterable[Key]) -> int | None:
        """Seconds until these keys may try again, or None if none of them is locked out."""
        now = self.clock()
        waits = [until - now for key in keys if (until := self._locked_until.get(key)) and until > now]
        return math.ceil(max(waits)) if waits else None

    def failed(self, keys: Iterable[Key]) -> int | None:
        """Count a failure; the Retry-After seconds if it locked a key out."""
        now = self.clock()
        for key in keys:
            times = self._failures.pop(key, None) or deque()
            times.append(now)
            while times and times[0] <= now - self.window_s:
                times.popleft()
            self._failures[key] = times  # most recently used last
            if len(times) >= self.max_failures:
                self._locked_until[key] = now + self.lockout_s
        while len(self._failures) > MAX_KEYS:
            oldest, _ = self._failures.popitem(last=False)
            self._locked_until.pop(oldest, None)
        return self.retry_after(keys)
