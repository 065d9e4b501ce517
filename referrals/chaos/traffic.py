"""A steady stream of referrals through every way in, and casework on the cases they become.

Each submission is written down (the ledger) with the fault that was in the air when it was
sent, so the audit can say, per kind of fault, what became of every one. Senders behave as
real ones do: a partner retries with the same reference until it is answered (the channels
with a reference are idempotent); a person on the self-referral form, who has no reference,
sends again only when the first attempt never reached the service, or after an error page,
and the service recognises them as the same person.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.platform.auth import issue_staff_token

PROGRAMME = "demo"
PARTNER = "chaos-gp"
CSV_PARTNER = "chaos-council"
KAFKA_PARTNER = "chaos-stream"
FHIR_PARTNER = "chaos-fhir"
CHANNELS = ("partner_api", "fhir", "csv_batch", "partner_kafka", "self_referral_form", "phone")
POSTCODES = ("E8 1DY", "E8 2AY", "N16 7UX", "E5 0LL", "E9 6EG", "LE4 6AB", "LE5 1AA", "E8 4QT")
SYLLABLES = ("ash", "bel", "cor", "dun", "el", "fen", "gar", "hol", "ing", "jas", "kel", "lom", "mar", "nor",
             "ost", "pem", "quin", "ros", "sal", "tor", "ul", "ven", "wil", "yar", "zen")
RETRY_FOR_S = 180  # a partner gives up on an unanswered submission after this long (and the audit counts it)
FIXTURE = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "fhir" / "service_request_contained_patient.json"


@dataclass
class Submission:
    number: int
    channel: str
    fault: str  # the fault whose window it was sent in
    family_name: str
    partner_id: str | None
    reference: str | None  # the partner's reference; None on the self-referral form
    expect_refusal: bool = False
    answer: str = "pending"  # accepted | refused | unanswered
    reason: str | None = None  # a refusal's reason as the sender was told it


def family_name(number: int, seed: int) -> str:
    """Distinct-looking names, so person matching does not (rightly) take two people for one."""
    digest = hashlib.sha256(f"{seed}:{number}".encode()).digest()
    return "".join(SYLLABLES[b % len(SYLLABLES)] for b in digest[:3]).capitalize() + \
        "".join(SYLLABLES[b % len(SYLLABLES)] for b in digest[3:5])


@dataclass
class Traffic:
    intake_urls: list[str]
    caseload_urls: list[str]
    bootstrap_servers: str
    partner_submissions_topic: str
    partner_dead_letter_topic: str
    auth_secret: str
    seed: int
    fault: str = "none"  # set by the fault injector as each fault begins
    ledger: list[Submission] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # partner -> API key
    kafka_refusals: dict[str, str] = field(default_factory=dict)  # reference -> reason, from the dead letters
    closed_cases: int = 0
    contacts_logged: int = 0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.admin = {"Authorization": f"Bearer {issue_staff_token(self.auth_secret, 'chaos-admin', ['admin'])}"}
        self.coordinator = {"Authorization": "Bearer " + issue_staff_token(self.auth_secret, "chaos-coordinator",
                                                                            ["coordinator"])}
        self.phone_staff = {"Authorization": "Bearer " + issue_staff_token(self.auth_secret, "chaos-phone",
                                                                            ["connector"])}

    # --- setting up ---------------------------------------------------------------------------

    async def set_up(self, workers: int, hours: str) -> None:
        async with httpx.AsyncClient(base_url=self.intake_urls[0], timeout=30) as http:
            await http.put(f"/v1/programmes/{PROGRAMME}", headers=self.admin, json={"name": "Chaos programme"})
            for partner in (PARTNER, CSV_PARTNER, KAFKA_PARTNER, FHIR_PARTNER):
                created = await http.post("/v1/partners", headers=self.admin, json={
                    "id": partner, "name": partner, "allowed_programmes": [PROGRAMME]})
                created.raise_for_status()
                key = await http.post(f"/v1/partners/{partner}/api-keys", headers=self.admin)
                key.raise_for_status()
                self.keys[partner] = key.json()["api_key"]
            mapping = await http.put(f"/v1/partners/{CSV_PARTNER}/csv-mapping", headers=self.admin, json={
                "columns": {"person.given_name": "Forename", "person.family_name": "Surname",
                            "person.date_of_birth": "DOB", "person.postcode": "Postcode",
                            "consent.to_referral": "Consented"},
                "reference_column": "Ref",
                "defaults": {"programme_id": PROGRAMME, "referrer.source_category": "statutory",
                             "referrer.source_subcategory": "social_services"}})
            mapping.raise_for_status()
        async with httpx.AsyncClient(base_url=self.caseload_urls[0], timeout=30) as http:
            for n in range(workers):
                worker = await http.post("/v1/workers", headers=self.coordinator, json={
                    "name": f"Chaos connector {n}", "role": "connector", "programme_id": PROGRAMME,
                    "capacity_hours": hours, "auto_accept_offers": True})
                worker.raise_for_status()

    # --- the stream ---------------------------------------------------------------------------

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, per_second: float) -> None:
        """Sends submissions at about `per_second`, each on its own task, until stopped; then waits for them."""
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers, acks="all",
                                    request_timeout_ms=10000, retry_backoff_ms=500)
        await producer.start()
        tasks: set[asyncio.Task] = set()
        casework = asyncio.create_task(self._casework())
        refusals = asyncio.create_task(self._watch_refusals())
        try:
            number = 0
            while not self._stopping.is_set():
                number += 1
                task = asyncio.create_task(self._send(number, producer))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.rng.expovariate(per_second))
                except TimeoutError:
                    pass
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            casework.cancel()
            refusals.cancel()
            await asyncio.gather(casework, refusals, return_exceptions=True)
            await producer.stop()

    async def _send(self, number: int, producer: AIOKafkaProducer) -> None:
        channel = CHANNELS[number % len(CHANNELS)]
        # One in ten partner API and Kafka submissions is wrong (a postcode that is not one): refused, with a reason.
        bad = channel in ("partner_api", "partner_kafka", "csv_batch") and self.rng.random() < 0.1
        partner = {"partner_api": PARTNER, "fhir": FHIR_PARTNER, "csv_batch": CSV_PARTNER,
                   "partner_kafka": KAFKA_PARTNER, "phone": "staff-phone"}.get(channel)
        name = family_name(number, self.seed)
        reference = None if channel == "self_referral_form" else f"CH-{self.seed}-{number}"
        if channel == "fhir":
            reference = f"FHIR-{self.seed}-{number}"
        submission = Submission(number, channel, self.fault, name, partner, reference, expect_refusal=bad)
        self.ledger.append(submission)
        born = f"19{self.rng.randint(25, 60)}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        postcode = "NOT A POSTCODE" if bad else self.rng.choice(POSTCODES)
        person = {"given_name": self.rng.choice(("Ada", "Bert", "Cora", "Dev", "Esi", "Finn", "Gita", "Hal")),
                  "family_name": name, "date_of_birth": born, "postcode": postcode}
        body = {"programme_id": PROGRAMME, "person": person, "consent": {"to_referral": True}}
        try:
            if channel == "partner_api":
                await self._post(submission, "/v1/referrals", json={**body, "partner_referral_id": reference},
                                 headers={"X-API-Key": self.keys[PARTNER]})
            elif channel == "phone":
                await self._post(submission, "/v1/phone-referrals", headers=self.phone_staff, json={
                    **body, "partner_referral_id": reference,
                    "referrer": {"source_category": "self", "source_subcategory": "phone"}})
            elif channel == "fhir":
                await self._post(submission, "/fhir/ServiceRequest", content=self._service_request(submission, born),
                                 headers={"X-API-Key": self.keys[FHIR_PARTNER],
                                          "Content-Type": "application/fhir+json"})
            elif channel == "csv_batch":
                day, month, year = born[8:], born[5:7], born[:4]
                content = ("Ref,Forename,Surname,DOB,Postcode,Consented\r\n"
                           f"{reference},{person['given_name']},{name},{day}/{month}/{year},{postcode},Yes\r\n")
                await self._post(submission, "/v1/referral-batches", content=content.encode(),
                                 headers={"X-API-Key": self.keys[CSV_PARTNER], "Content-Type": "text/csv"})
            elif channel == "partner_kafka":
                await self._produce(submission, producer, json.dumps({**body, "partner_referral_id": reference}))
            else:
                await self._self_refer(submission, person, born)
        except Exception as exc:  # noqa: BLE001 - written down, never silently dropped
            submission.answer, submission.reason = "unanswered", f"sender failed: {type(exc).__name__}"

    def _service_request(self, submission: Submission, born: str) -> bytes:
        resource = json.loads(FIXTURE.read_text())
        patient = resource["contained"][0]
        patient.pop("identifier")  # no NHS number: each is a different person
        patient["name"][0]["family"] = submission.family_name
        patient["birthDate"] = born
        patient["telecom"] = patient["telecom"][:1]
        resource["id"] = str(uuid.uuid4())
        resource["identifier"][0]["value"] = submission.reference
        resource["performer"] = [{"identifier": {"system": "https://referrals.example/programme",
                                                 "value": PROGRAMME}}]
        return json.dumps(resource).encode()

    async def _post(self, submission: Submission, path: str, **request) -> None:
        """A partner's sending: the same request again until the service answers it (it is idempotent)."""
        deadline = time.monotonic() + RETRY_FOR_S
        attempt = 0
        while True:
            url = self.intake_urls[attempt % len(self.intake_urls)] + path
            attempt += 1
            try:
                async with httpx.AsyncClient(timeout=20) as http:
                    response = await http.post(url, **request)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code < 500 and response.status_code != 429:
                self._answered(submission, response)
                return
            if time.monotonic() > deadline:
                submission.answer = "unanswered"
                return
            # Past intake's rate limit, wait the time it names; otherwise back off.
            retry_after = response.headers.get("Retry-After") if response is not None else None
            await asyncio.sleep(float(retry_after) if retry_after else min(0.5 * attempt, 3))

    def _answered(self, submission: Submission, response: httpx.Response) -> None:
        if submission.channel == "csv_batch" and response.status_code in (200, 201):
            [row] = response.json()["rows"]
            if row["outcome"] == "rejected":
                submission.answer, submission.reason = "refused", json.dumps(row.get("errors"))
            else:
                submission.answer = "accepted"
        elif response.status_code in (200, 201, 202, 303):
            submission.answer = "accepted"
        else:
            submission.answer = "refused"
            submission.reason = f"HTTP {response.status_code}: {response.text[:300]}"

    async def _produce(self, submission: Submission, producer: AIOKafkaProducer, body: str) -> None:
        """A partner on Kafka keeps its submission until intake answers it: a referral it can look up by its
        reference, or a dead letter with the reason. Until then it sends it again (the same key: idempotent),
        as it must, since a broker that restarts with empty memory forgets what it had not yet delivered."""
        deadline = time.monotonic() + RETRY_FOR_S
        headers = [("partner-id", KAFKA_PARTNER.encode()), ("api-key", self.keys[KAFKA_PARTNER].encode())]
        lookup = {"headers": {"X-API-Key": self.keys[KAFKA_PARTNER]},
                  "params": {"partner_referral_id": submission.reference}}
        while time.monotonic() < deadline:
            try:
                await asyncio.wait_for(producer.send_and_wait(
                    self.partner_submissions_topic, body.encode(), key=submission.reference.encode(),
                    headers=headers), 15)
            except Exception:  # noqa: BLE001 - the broker may be restarting: send again
                await asyncio.sleep(1)
                continue
            answer_by = time.monotonic() + 20
            while time.monotonic() < answer_by:
                await asyncio.sleep(1)
                if submission.reference in self.kafka_refusals:
                    submission.answer, submission.reason = "refused", self.kafka_refusals[submission.reference]
                    return
                try:
                    async with httpx.AsyncClient(timeout=10) as http:
                        found = await http.get(f"{self.rng.choice(self.intake_urls)}/v1/referrals", **lookup)
                except httpx.HTTPError:
                    continue
                if found.status_code == 200:
                    submission.answer = "accepted"
                    return
        submission.answer = "unanswered"

    async def _watch_refusals(self) -> None:
        """The partner reads the dead letters of its submissions: each says which reference was refused and why."""
        while True:
            consumer = AIOKafkaConsumer(self.partner_dead_letter_topic, bootstrap_servers=self.bootstrap_servers,
                                        group_id=None, auto_offset_reset="earliest", enable_auto_commit=False)
            try:
                await consumer.start()
                async for record in consumer:
                    reason = dict(record.headers).get("dlt.reason", b"").decode()
                    if record.key:
                        self.kafka_refusals[record.key.decode()] = reason
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the broker restarted: read again from its beginning
                await asyncio.sleep(1)
            finally:
                await consumer.stop()

    async def _self_refer(self, submission: Submission, person: dict, born: str) -> None:
        # A person who saw the page fail sends the form again; intake knows them for the same person (their
        # second referral is marked a duplicate of the first), so the form is sent as a partner sends.
        year, month, day = born.split("-")
        form = {"filled_by": "myself", "given_name": person["given_name"], "family_name": person["family_name"],
                "dob_day": str(int(day)), "dob_month": str(int(month)), "dob_year": year,
                "postcode": person["postcode"], "phone": "07911 123456", "contact_preferred": "phone",
                "consent_to_referral": "yes"}
        await self._post(submission, f"/self-referral/{PROGRAMME}", data=form)

    # --- casework -----------------------------------------------------------------------------

    async def _casework(self) -> None:
        """Workers contact and close assigned cases, freeing room for people on the waiting list."""
        while True:
            await asyncio.sleep(self.rng.uniform(1, 3))
            url = self.rng.choice(self.caseload_urls)
            try:
                async with httpx.AsyncClient(base_url=url, timeout=20) as http:
                    listed = await http.get("/v1/cases", headers=self.coordinator, params={"status": "assigned"})
                    if listed.status_code != 200:
                        continue
                    cases = [c for c in listed.json() if c.get("status") == "assigned"]
                    for case in self.rng.sample(cases, min(len(cases), 2)):
                        contact = await http.post(f"/v1/cases/{case['id']}/contacts", headers=self.coordinator,
                                                  json={"kind": "phone", "minutes": 15})
                        if contact.status_code == 201:
                            self.contacts_logged += 1
                        closed = await http.post(f"/v1/cases/{case['id']}/close", headers=self.coordinator,
                                                 json={"reason": "planned_end"})
                        if closed.status_code == 200:
                            self.closed_cases += 1
            except (httpx.HTTPError, ValueError, KeyError):
                continue
