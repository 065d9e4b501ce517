"""Back-pressure on submissions: a rate per partner, one for everyone, and a bound on those in progress."""

from __future__ import annotations

from shared.platform.throttle import Admission, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_the_rate_and_the_wait_until_the_next_token():
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("gp") for _ in range(3)] == [None, None, None]
    assert buckets.take("gp") == 0.5  # one token a half second
    clock.now += 0.5
    assert buckets.take("gp") is None
    assert buckets.take("council") is None  # each key has its own bucket


def submit(admission: Admission, partner: str) -> int | None:
    """What the intake route does: enter, then admit the authenticated partner; leave when done."""
    wait = admission.enter()
    if wait is None:
        wait = admission.admit(partner)
    admission.leave()
    return wait


def test_a_partner_past_its_rate_waits_and_others_go_on():
    clock = Clock()
    admission = Admission(TokenBuckets(1.0, 2, clock=clock), TokenBuckets(100.0, 100, clock=clock), max_in_flight=10)
    assert submit(admission, "gp") is None and submit(admission, "gp") is None
    assert submit(admission, "gp") == 1
    assert submit(admission, "council") is None


def test_everyone_together_past_the_global_rate_wait_and_one_partners_excess_spends_nothing_of_theirs():
    clock = Clock()
    admission = Admission(TokenBuckets(1.0, 1, clock=clock), TokenBuckets(0.25, 2, clock=clock), max_in_flight=10)
    assert submit(admission, "gp") is None
    assert submit(admission, "gp") == 1  # gp's own rate; the global token it took is given back
    assert submit(admission, "council") is None
    assert submit(admission, "council-2") == 4  # everyone's two are spent: one comes back in four seconds
    clock.now += 4
    assert submit(admission, "council-2") is None


def test_no_more_than_the_bound_are_in_progress_at_once():
    clock = Clock()
    admission = Admission(TokenBuckets(100.0, 100, clock=clock), TokenBuckets(100.0, 100, clock=clock),
                          max_in_flight=2)
    assert admission.enter() is None and admission.enter() is None
    assert admission.enter() == 1
    admission.leave()  # the refused one leaves too
    admission.leave()  # and one that was in progress finishes
    assert admission.enter() is None
    assert admission.in_flight == 2


def test_the_public_form_is_limited_per_address_at_its_own_rate_apart_from_partners_and_staff():
    clock = Clock()
    admission = Admission(TokenBuckets(100.0, 100, clock=clock), TokenBuckets(100.0, 100, clock=clock),
                          max_in_flight=10, per_address=TokenBuckets(rate=1 / 60, burst=2, clock=clock))

    def form_from(address: str) -> int | None:
        wait = admission.enter()
        if wait is None:
            wait = admission.admit_address(address)
        admission.leave()
        return wait

    assert form_from("192.0.2.1") is None and form_from("192.0.2.1") is None
    assert form_from("192.0.2.1") == 60  # one form a minute past the burst of two
    assert form_from("192.0.2.2") is None  # another address has its own
    assert submit(admission, "192.0.2.1") is None  # a partner's rate is a different bucket, even if the key matched
    clock.now += 60
    assert form_from("192.0.2.1") is None
