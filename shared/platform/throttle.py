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


@dataclass
class TokenBuckets:
    """A rate per key: `rate` a second on average, in bursts of up to `burst`; bounded in size like above.

    Written here rather than taken from a rate-limit library: those in reach answer yes or no, and a 429
    should say when to come back (the seconds until the next token), which is one line of this.
    """

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)  # key -> (tokens, at)

    def take(self, key: str) -> float | None:
        """Take a token: None if there was one, else the seconds until there is."""
        now = self.clock()
        tokens, at = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            wait = None
        else:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) / self.rate
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return wait

    def give_back(self, key: str) -> None:
        """Return a token taken for work that was then refused for another reason."""
        if key in self._buckets:
            tokens, at = self._buckets[key]
            self._buckets[key] = (min(self.burst, tokens + 1), at)


@dataclass
class Admission:
    """Who may submit now: a bound on the submissions in progress (each holds a request body and, while it
    is authenticated and stored, a database connection: this is the in-memory queue), a rate for everyone
    together, and a rate per submitter: a partner or a member of staff by who they are, an anonymous
    sender of the public form by the address they send from (a rate of its own, far lower).

    `enter` (before the submitter is known: costs no database work) and then `admit(submitter)` or
    `admit_address(address)` answer None or the seconds to wait, for Retry-After; `leave` once for every
    `enter`, whatever the answers were. Held in each process's memory: with several replicas each admits
    its own share.
    """

    per_submitter: TokenBuckets
    everyone: TokenBuckets
    max_in_flight: int
    per_address: TokenBuckets | None = None
    in_flight: int = 0

    GLOBAL = "*"

    def enter(self) -> int | None:
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            return 1  # a submission finishes in well under a second
        return _seconds(self.everyone.take(self.GLOBAL))

    def admit(self, submitter: str) -> int | None:
        return self._within(self.per_submitter, submitter)

    def admit_address(self, address: str) -> int | None:
        return self._within(self.per_address or self.per_submitter, address)

    def _within(self, buckets: TokenBuckets, key: str) -> int | None:
        wait = _seconds(buckets.take(key))
        if wait is not None:
            self.everyone.give_back(self.GLOBAL)  # one submitter's excess does not spend everyone's share
        return wait

    def leave(self) -> None:
        self.in_flight -= 1


def _seconds(wait: float | None) -> int | None:
    return None if wait is None else max(1, math.ceil(wait))
