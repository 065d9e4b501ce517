"""A flood of submissions: refused with 429 and Retry-After past the limits, never a 5xx, intake's memory
flat, and every submission its sender retried accepted once and sent on."""

from __future__ import annotations

import asyncio
import string
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

LIMITS = {"SUBMISSIONS_PER_SECOND_PER_PARTNER": "8", "SUBMISSION_BURST_PER_PARTNER": "10",
          "SUBMISSIONS_PER_SECOND": "15", "SUBMISSION_BURST": "20", "SUBMISSIONS_IN_FLIGHT": "6"}
PARTNERS, PER_PARTNER, CONCURRENCY = 3, 100, 60
# How much intake's resident memory may grow over the flood. A process that queued the flood would hold
# every refused body and its task; the figure printed shows what it really grew.
RSS_GROWTH_BOUND_MB = 40


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def name_from(n: int) -> str:
    letters = string.ascii_lowercase
    text = ""
    while True:
        n, r = divmod(n, 26)
        text += letters[r]
        if n == 0:
            return text.capitalize()


def submission(reference: str, n: int) -> dict:
    return {"partner_referral_id": reference, "programme_id": "demo",
            "person": {"given_name": "Flood", "family_name": f"Ex{name_from(n * 7919).lower()}",
                       "age_years": 60 + n % 30},
            "consent": {"to_referral": True}}


async def test_a_flood_is_refused_with_429_not_queued_and_nothing_accepted_is_lost(system):
    system.start("intake", extra_env=LIMITS)
    keys = {f"flood-{i}": await system.setup_partner(partner_id=f"flood-{i}") for i in range(PARTNERS)}
    pid = system.processes["intake"].process.pid
    work = [(partner, f"F-{partner}-{n}", submission(f"F-{partner}-{n}", i * PER_PARTNER + n))
            for i, partner in enumerate(keys) for n in range(PER_PARTNER)]

    statuses: list[int] = []
    retry_afters: list[str] = []
    accepted: dict[str, str] = {}  # reference -> referral id
    limiter = asyncio.Semaphore(CONCURRENCY)

    async def send(http: httpx.AsyncClient, partner: str, reference: str, body: dict, *, retry: bool) -> None:
        while True:
            async with limiter:
                response = await http.post("/v1/referrals", headers={"X-API-Key": keys[partner]}, json=body)
            statuses.append(response.status_code)
            if response.status_code in (200, 201):
                accepted[reference] = response.json()["referral_id"]
                return
            assert response.status_code == 429, response.text
            retry_afters.append(response.headers.get("Retry-After", ""))
            if not retry:
                return
            await asyncio.sleep(int(response.headers["Retry-After"]))  # what a well-behaved sender does

    async with httpx.AsyncClient(base_url=system.url("intake"), timeout=60,
                                 # Idle connections are let go before the server's keep-alive (5 s) ends
                                 # them: a sender waiting out Retry-After would otherwise race the close.
                                 limits=httpx.Limits(max_connections=CONCURRENCY, keepalive_expiry=2)) as http:
        # Warm: the process has served submissions before its memory is measured.
        for partner, reference, body in work[:5]:
            await send(http, partner, reference, body, retry=True)
        before = rss_mb(pid)
        # The flood: everything at once, as fast as the connections allow, no one waiting.
        await asyncio.gather(*(send(http, p, r, b, retry=False) for p, r, b in work[5:]))
        after_flood = rss_mb(pid)
        flood_statuses = statuses[5:]
        # Then each sender retries what was refused, after the Retry-After it was given.
        await asyncio.gather(*(send(http, p, r, b, retry=True) for p, r, b in work if r not in accepted))

    print(f"\nflood: {len(flood_statuses)} requests, {flood_statuses.count(201)} accepted, "
          f"{flood_statuses.count(429)} refused 429; intake RSS {before:.1f} MB before, {after_flood:.1f} MB after "
          f"(+{after_flood - before:.1f} MB, bound {RSS_GROWTH_BOUND_MB} MB)")
    assert not [s for s in statuses if s >= 500]
    assert flood_statuses.count(429) > len(flood_statuses) / 2  # the limits held the flood back
    assert retry_afters and all(value.isdigit() and int(value) >= 1 for value in retry_afters)
    assert after_flood - before < RSS_GROWTH_BOUND_MB

    # Every submission was accepted once in the end, and its referral.received is on its way to triage.
    assert set(accepted) == {r for _, r, _ in work}
    ids = [uuid.UUID(v) for v in accepted.values()]
    assert len(set(ids)) == len(work)
    stored = await system.sql("SELECT id FROM intake.referrals WHERE partner_id LIKE 'flood-%'")
    assert {r["id"] for r in stored} == set(ids)
    await system.wait_for(
        "SELECT count(*) AS n FROM intake.outbox WHERE event_type = 'referral.received' AND published_at IS NOT NULL",
        predicate=lambda rows: rows[0]["n"] == len(work), timeout_s=120)


PUBLIC_LIMITS = {"SELF_REFERRALS_PER_MINUTE_PER_ADDRESS": "0.5", "SELF_REFERRAL_BURST_PER_ADDRESS": "3",
                 "SUBMISSIONS_PER_SECOND_PER_PARTNER": "0.01", "SUBMISSION_BURST_PER_PARTNER": "3",
                 "AUTH_MAX_FAILURES": "4"}


def form(n: int) -> dict:
    return {"filled_by": "myself", "given_name": "Public", "family_name": f"Ex{name_from(n * 7919).lower()}",
            "dob_day": "9", "dob_month": "11", "dob_year": "1944", "postcode": "E8 2AA", "phone": "07911 123456",
            "contact_preferred": "phone", "consent_to_referral": "yes"}


def phoned(n: int) -> dict:
    return {"programme_id": "demo", "consent": {"to_referral": True},
            "person": {"given_name": "Phoned", "family_name": f"Ex{name_from(n * 104729).lower()}", "age_years": 70},
            "referrer": {"source_category": "self", "source_subcategory": "phone"}}


async def test_the_public_form_and_staff_channels_have_rates_of_their_own_and_guessing_references_is_refused(system):
    system.start("intake", extra_env=PUBLIC_LIMITS)
    admin = system.staff_headers("admin")
    base = system.url("intake")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        assert (await http.put("/v1/programmes/demo", headers=admin, json={"name": "Demo"})).status_code == 200

        # The public form: the address's burst of three is taken, the fourth gets a page saying when to try
        # again, with Retry-After, and nothing of it is kept.
        sent = [await http.post("/self-referral/demo", data=form(n)) for n in range(4)]
        assert [r.status_code for r in sent] == [303, 303, 303, 429]
        busy = sent[3]
        assert int(busy.headers["Retry-After"]) >= 1 and busy.headers["content-type"].startswith("text/html")
        assert "Please try again shortly" in busy.text and "Nothing you entered has been kept" in busy.text
        kept = await system.sql("SELECT outcome FROM intake.submissions WHERE channel = 'self_referral_form'")
        assert [r["outcome"] for r in kept] == ["accepted"] * 3

        # Staff channels: each member of staff has a submitter's rate; one past it does not stop another.
        first = system.staff_headers("connector", subject="connector-busy")
        phone = [await http.post("/v1/phone-referrals", headers=first, json=phoned(n)) for n in range(4)]
        assert [r.status_code for r in phone] == [201, 201, 201, 429], phone[-1].text
        assert int(phone[3].headers["Retry-After"]) >= 1
        outreach = await http.post("/v1/outreach-contacts", headers=first,
                                   json={"programme_id": "demo", "met_at": "market stall"})
        assert outreach.status_code == 429
        other = system.staff_headers("connector", subject="connector-calm")
        contact = await http.post("/v1/outreach-contacts", headers=other,
                                  json={"programme_id": "demo", "met_at": "market stall"})
        assert contact.status_code == 201, contact.text
        completed = await http.post(f"/v1/outreach-contacts/{contact.json()['outreach_contact_id']}/referral",
                                    headers=other, json=phoned(99))
        assert completed.status_code == 201, completed.text
        phoned_in = await system.sql("SELECT count(*) AS n FROM intake.referrals WHERE channel = 'phone'")
        assert phoned_in[0]["n"] == 3

        # The status page: references and postcodes that match nothing count as failed attempts from the
        # address; past the limit even a right one is refused for a while, with a page saying so.
        wrong = [await http.get("/self-referral/demo/status", params={"reference": f"SR-NOPE{n}", "postcode": "E8 2AA"})
                 for n in range(4)]
        assert [r.status_code for r in wrong] == [200, 200, 200, 429]
        assert "could not find" in wrong[0].text and "paused checking" in wrong[3].text
        [mine] = await system.sql("SELECT self_reference FROM intake.referrals WHERE channel = 'self_referral_form' "
                                  "LIMIT 1")
        right = await http.get("/self-referral/demo/status", params={"reference": mine["self_reference"],
                                                                     "postcode": "E8 2AA"})
        assert right.status_code == 429 and int(right.headers["Retry-After"]) >= 1
    # No address is written to the log with a throttled submission.
    throttled = [line for line in system.log_lines("intake") if "submission_throttled" in line]
    assert throttled and not [line for line in throttled if "127.0.0.1" in line]
