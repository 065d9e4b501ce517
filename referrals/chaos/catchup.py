"""How long the system takes to catch up after each restart of the (memory-only) broker: measured, printed.

    .venv/bin/python -m referrals.chaos.catchup [--referrals 40] [--restarts 4] [--between 10]

Starts the chaos stack (embedded PostgreSQL and broker, one of each service, under the supervisor), sends
`--referrals` referrals over HTTP and waits until each is decided and placed, then restarts the broker with
empty memory `--restarts` times without restarting the services (recreating the topics, as the chaos suite's
operator does), sending `--between` more referrals before each. After each restart it sends one referral on Kafka and one over HTTP, and prints:

- kafka_s: seconds from the restart until the Kafka submission is a referral in intake;
- placed_s: seconds until the HTTP one is placed (intake -> triage -> caseload -> intake: every relay and
  consumer on the way);
- republished: outbox rows the relays published again after the epoch changed (logged by each relay);
- intake_skipped: events intake's consumers had already handled and skipped (the republished backlog it
  read through);
- unplaced: this run's referrals not placed once `--patience` is spent after the restart (stranded).

Then it restarts every service (as docs/recovery.md says to) and prints how many are still unplaced.

A figure, not a verdict: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from referrals.chaos.stack import ChaosStack
from referrals.chaos.traffic import family_name
from referrals.launcher import SERVICES
from shared.platform.auth import issue_staff_token

PARTNER = "catchup-gp"
PLACED = ("assigned", "waitlisted", "offered")


def referral(number: int, reference: str) -> dict:
    return {"programme_id": "demo", "partner_referral_id": reference, "consent": {"to_referral": True},
            "person": {"given_name": "Test", "family_name": family_name(number, 7), "date_of_birth": "1950-06-01",
                       "postcode": "E8 1DY"}}


class Measure:
    def __init__(self, stack: ChaosStack) -> None:
        self.stack = stack
        secret = stack.env["AUTH_SECRET"]
        self.admin = {"Authorization": f"Bearer {issue_staff_token(secret, 'catchup-admin', ['admin'])}"}
        self.coordinator = {"Authorization": f"Bearer {issue_staff_token(secret, 'catchup-co', ['coordinator'])}"}
        self.api_key = ""
        self.sent = 0

    async def sql(self, query: str, *args):
        conn = await asyncpg.connect(self.stack.database_url)
        try:
            return await conn.fetch(query, *args)
        finally:
            await conn.close()

    async def set_up(self) -> None:
        async with httpx.AsyncClient(base_url=self.stack.url("intake"), timeout=30) as http:
            await http.put("/v1/programmes/demo", headers=self.admin, json={"name": "Demo"})
            await http.post("/v1/partners", headers=self.admin,
                            json={"id": PARTNER, "name": "Catch-up GP", "allowed_programmes": ["demo"]})
            self.api_key = (await http.post(f"/v1/partners/{PARTNER}/api-keys", headers=self.admin)).json()["api_key"]
        async with httpx.AsyncClient(base_url=self.stack.url("caseload"), timeout=30) as http:
            for n in range(3):
                await http.post("/v1/workers", headers=self.coordinator, json={
                    "name": f"connector {n}", "role": "connector", "programme_id": "demo", "capacity_hours": "40",
                    "auto_accept_offers": True})

    async def post(self, count: int) -> list[str]:
        references = []
        async with httpx.AsyncClient(base_url=self.stack.url("intake"), timeout=30) as http:
            for _ in range(count):
                self.sent += 1
                reference = f"CU-{self.sent}"
                while True:  # a partner retries until answered (idempotent on its reference)
                    try:
                        answer = await http.post("/v1/referrals", headers={"X-API-Key": self.api_key},
                                                 json=referral(self.sent, reference))
                        if answer.status_code in (200, 201):
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.5)
                references.append(reference)
        return references

    async def until(self, query: str, *args, limit_s: float = 600) -> float | None:
        started = time.monotonic()
        while time.monotonic() - started < limit_s:
            if await self.sql(query, *args):
                return time.monotonic() - started
            await asyncio.sleep(0.25)
        return None

    async def produce(self, reference: str) -> None:
        body = json.dumps(referral(self.sent + 100000, reference)).encode()
        headers = [("partner-id", PARTNER.encode()), ("api-key", self.api_key.encode())]
        while True:
            producer = AIOKafkaProducer(bootstrap_servers=self.stack.bootstrap_servers)
            try:
                await producer.start()
                await asyncio.wait_for(producer.send_and_wait(
                    self.stack.topics.partner_submissions, body, key=reference.encode(), headers=headers), 15)
                return
            except Exception:  # noqa: BLE001 - the broker is coming back: send again
                await asyncio.sleep(0.5)
            finally:
                await producer.stop()

    def log_counts(self) -> tuple[int, int]:
        logs = self.stack.data_dir / "logs"
        republished = skipped = 0
        for path in logs.glob("*.log"):
            for line in path.read_text(errors="replace").splitlines():
                if '"outbox_republishing_after_broker_epoch_change"' in line:
                    republished += json.loads(line).get("rows", 0)
                elif path.name.startswith("intake") and '"event_already_handled"' in line:
                    skipped += 1
        return republished, skipped

    async def unplaced_by_status(self) -> str:
        """Where the unplaced referrals stopped, by intake's status (the stage a stranded event was for)."""
        rows = await self.sql("SELECT status, count(*) AS n FROM intake.referrals WHERE partner_id = $1 AND "
                              "status <> ALL($2) GROUP BY status ORDER BY status", PARTNER, [*PLACED, "duplicate"])
        return ", ".join(f"{row['status']} {row['n']}" for row in rows)

    async def unpublished(self) -> str:
        """Outbox rows each relay has not published yet: a stranded event still in a relay's hands, not a consumer's."""
        counts = []
        for schema in ("intake", "triage", "caseload"):
            [row] = await self.sql(f"SELECT count(*) AS n FROM {schema}.outbox WHERE published_at IS NULL")
            counts.append(f"{schema} {row['n']}")
        return ", ".join(counts)

    async def unplaced(self) -> int:
        [row] = await self.sql("SELECT count(*) AS n FROM intake.referrals WHERE partner_id = $1 AND status <> ALL($2)",
                               PARTNER, [*PLACED, "duplicate"])
        return row["n"]

    async def run(self, referrals: int, restarts: int, between: int, patience_s: float) -> None:
        await self.set_up()
        references = await self.post(referrals)
        waited = await self.until("SELECT 1 FROM intake.referrals WHERE partner_referral_id = $1 AND status = ANY($2)",
                                  references[-1], list(PLACED))
        print(f"{referrals} referrals placed before the first restart ({waited:.1f} s for the last)", flush=True)
        print("restart  outbox_rows  kafka_s  placed_s  republished  intake_skipped  unplaced", flush=True)
        for restart in range(1, restarts + 1):
            if between:
                await self.post(between)
            [outbox] = await self.sql("SELECT (SELECT count(*) FROM intake.outbox) + (SELECT count(*) FROM triage.outbox)"
                                      " + (SELECT count(*) FROM caseload.outbox) AS n")
            before = self.log_counts()
            started = time.monotonic()
            await asyncio.to_thread(self.stack.restart_broker)
            kafka_ref = f"CK-{restart}-{uuid.uuid4().hex[:6]}"
            await self.produce(kafka_ref)
            [http_ref] = await self.post(1)
            kafka = await self.until("SELECT 1 FROM intake.referrals WHERE partner_referral_id = $1", kafka_ref,
                                     limit_s=patience_s)
            kafka = None if kafka is None else time.monotonic() - started
            placed = await self.until("SELECT 1 FROM intake.referrals WHERE partner_referral_id = $1 AND "
                                      "status = ANY($2)", http_ref, list(PLACED), limit_s=patience_s)
            placed = None if placed is None else time.monotonic() - started
            after = self.log_counts()
            show = lambda seconds: "never" if seconds is None else f"{seconds:.1f}"  # noqa: E731
            # Referrals sent so far that are still not placed once the patience is spent: stranded.
            print(f"{restart:>7}  {outbox['n']:>11}  {show(kafka):>7}  {show(placed):>8}  "
                  f"{after[0] - before[0]:>11}  {after[1] - before[1]:>14}  {await self.unplaced():>8}", flush=True)
            if stopped := await self.unplaced_by_status():
                print(f"         unplaced by intake's status: {stopped}; unpublished outbox rows: "
                      f"{await self.unpublished()}", flush=True)
        # What docs/recovery.md says to do after such a restart: restart every service (the supervisor does).
        started = time.monotonic()
        for key in list(self.stack.processes):
            self.stack.signal(key, signal.SIGTERM)
        while time.monotonic() - started < patience_s * 3 and await self.unplaced():
            await asyncio.sleep(0.5)
        print(f"every service restarted: {await self.unplaced()} unplaced after {time.monotonic() - started:.1f} s",
              flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=40)
    parser.add_argument("--restarts", type=int, default=4)
    parser.add_argument("--between", type=int, default=10)
    parser.add_argument("--patience", type=float, default=90, help="seconds to wait for each referral after a restart")
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="referrals-catchup-"))
    stack = ChaosStack(data_dir, {name: 1 for name in SERVICES}, say=lambda text: print(text, flush=True))
    try:
        stack.start()
        asyncio.run(Measure(stack).run(args.referrals, args.restarts, args.between, args.patience))
    finally:
        stack.stop()
    print(f"logs: {data_dir / 'logs'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
