"""Erasure over the wire: `referrals erase` against the running system removes a person's identifying and
contact data from the registry while the outcome report keeps its counts; the retention job erases a
person once their programme's retention period has passed since their last case closed."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_personal_data_stays_in_the_registry import all_topics

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

DISTINCT = {"given_name": "Philippa", "family_name": "Zwolinska-Oduya", "date_of_birth": "1939-07-14",
            "nhs_number": "943 476 5919", "phone": "07700 900 873", "email": "p.zwolinska@example.org",
            "postcode": "E9 7QT", "address": {"line1": "14 Quarrendon Mews", "postcode": "E9 7QT"}}
SAFE_CONTACT, REASON = "Ring twice then hang up; she calls back", "Widowed in June, stopped going to chapel"


def values() -> list[str]:
    found = [DISTINCT["given_name"], DISTINCT["family_name"], "1939-07-14", "9434765919", "7700900873",
             DISTINCT["email"], "E9 7QT", "E97QT", "Quarrendon", SAFE_CONTACT, REASON]
    return [v.lower() for v in found]


async def intake_rows_holding_the_person(system) -> list[str]:
    tables = await system.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'intake' "
                              "AND table_type = 'BASE TABLE'")
    found = []
    for table in (t["table_name"] for t in tables):
        rows = await system.sql(f'SELECT t::text AS row FROM intake."{table}" t')
        for row in rows:
            text = row["row"].lower().replace(" ", "")
            # bytea columns come out as hex: the raw submissions are read as text below too.
            hits = [v for v in values() if v.replace(" ", "") in text]
            if hits:
                found.append(f"intake.{table}: {hits}")
    for row in await system.sql("SELECT convert_from(body, 'UTF8') AS body FROM intake.submissions"):
        hits = [v for v in values() if v.replace(" ", "") in row["body"].lower().replace(" ", "")]
        if hits:
            found.append(f"intake.submissions body: {hits}")
    return found


def hits(text: str) -> list[str]:
    squeezed = text.lower().replace(" ", "")
    return [v for v in values() if v.replace(" ", "") in squeezed]


async def anywhere_else_holding_the_person(system) -> list[str]:
    """Every table of every other schema, every topic of the system (dead letters included), every log line."""
    found = []
    tables = await system.sql("SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = "
                              "'BASE TABLE' AND table_schema NOT IN ('intake', 'pg_catalog', 'information_schema')")
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        for row in await system.sql(f"SELECT t::text AS row FROM {name} t"):
            found += [f"{name}: {h}" for h in hits(row["row"])]
    topics = await all_topics(system)
    assert any(t.endswith(".dead-letter") for t in topics) and system.topics.referrals in topics
    for topic in topics:
        for record in await system.read_topic(topic):
            text = (record.value or b"").decode(errors="replace") + (record.key or b"").decode(errors="replace")
            text += "".join(v.decode(errors="replace") for _, v in record.headers or ())
            found += [f"topic {topic}: {h}" for h in hits(text)]
    for service in system.processes:
        for line in system.log_lines(service):
            found += [f"{service} log: {h}" for h in hits(line)]
    return found


async def closed_case(system, http, key, reference: str, person: dict) -> tuple[str, dict]:
    sent = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
        "partner_referral_id": reference, "programme_id": "demo", "person": person,
        "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
        "contact_preferences": {"safe_contact_instructions": SAFE_CONTACT}, "reason": REASON})
    assert sent.status_code == 201, sent.text
    referral_id = sent.json()["referral_id"]
    [case] = await system.wait_for("SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 "
                                   "AND status = 'assigned'", referral_id)
    connector = system.staff_headers("connector", worker_id=str(case["worker_id"]))
    case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"
    assert (await http.post(f"{case_url}/contacts", headers=connector,
                            json={"kind": "home_visit", "minutes": 60})).status_code == 201
    closed = await http.post(f"{case_url}/close", headers=connector, json={"reason": "planned_end", "measures": [
        {"instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 3]},
        {"instrument": "ucla3", "timepoint": "end", "items": [1, 2, 1]}]})
    assert closed.status_code == 200, closed.text
    await system.wait_for("SELECT 1 FROM intake.case_holders WHERE case_id = $1 AND NOT open", case["id"])
    await system.wait_for("SELECT 1 FROM outcomes.measures WHERE case_id = $1 AND timepoint = 'end'", case["id"])
    return referral_id, case


async def test_referrals_erase_leaves_nothing_of_the_person_in_the_registry_and_the_counts_as_they_were(
        system, tmp_path):
    system.start(extra_env={"INTAKE_RETENTION_INTERVAL_S": "0.5"})
    key = await system.setup_partner(partner_id="erasure-gp")
    await system.add_worker("connector", "21")
    manager = system.staff_headers("manager")
    async with httpx.AsyncClient(timeout=20) as http:
        referral_id, case = await closed_case(system, http, key, "ER-1", DISTINCT)
        assert await intake_rows_holding_the_person(system)  # the registry held them, as it should
        report = f"{system.url('outcomes')}/v1/reports/loneliness"
        before = (await http.get(report, params={"programme_id": "demo"}, headers=manager)).json()
        assert before["paired"] >= 1

        data_dir = tmp_path / "data"
        data_dir.mkdir()
        (data_dir / "running.json").write_text(json.dumps({"services": {"intake": system.url("intake")}}))
        (data_dir / "auth_secret").write_text(system.secret)
        erased = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "referrals.cli", "erase", "--referral", referral_id, "--reason", "SAR-2026-17",
            "--data-dir", str(data_dir), "--yes"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert erased.returncode == 0, erased.stdout + erased.stderr
        assert "Erased person" in erased.stdout

        assert await intake_rows_holding_the_person(system) == []
        assert await anywhere_else_holding_the_person(system) == []
        person = await http.get(f"{system.url('intake')}/v1/cases/{case['id']}/person", headers=manager | {})
        assert person.status_code == 403  # a manager never reads the registry; the holder now finds nothing:
        holder = system.staff_headers("coordinator", subject="coord")
        gone = await http.get(f"{system.url('intake')}/v1/cases/{case['id']}/person", headers=holder)
        assert gone.status_code == 404 and "erased" in gone.text
        after = (await http.get(report, params={"programme_id": "demo"}, headers=manager)).json()
        assert after == before
        trail = (await http.get(f"{system.url('intake')}/v1/audit-trail", headers=system.staff_headers("auditor"),
                                params={"actor": "referrals-cli"})).json()
        assert [(e["action"], e["purpose"]) for e in trail] == [("erase", "SAR-2026-17")]
        again = await asyncio.to_thread(subprocess.run, [
            sys.executable, "-m", "referrals.cli", "erase", "--person", str(case["id"]), "--data-dir", str(data_dir),
            "--yes"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and "404" in again.stderr  # nobody by that id


async def test_the_retention_job_erases_people_past_their_programmes_period(system):
    system.start(extra_env={"INTAKE_RETENTION_INTERVAL_S": "0.5"})
    key = await system.setup_partner(partner_id="retention-gp")
    await system.add_worker("connector", "21")
    admin = system.staff_headers("admin")
    async with httpx.AsyncClient(timeout=20) as http:
        put = await http.put(f"{system.url('intake')}/v1/programmes/demo", headers=admin,
                             json={"name": "Demo", "self_referral_open": True, "retention_days": 30})
        assert put.status_code == 200, put.text
        referral_id, case = await closed_case(system, http, key, "RT-1", DISTINCT)
        [row] = await system.sql("SELECT person_id FROM intake.referrals WHERE id = $1", referral_id)
        # Thirty days and a little more since the case closed: past the programme's period.
        await system.sql("UPDATE intake.case_holders SET updated_at = now() - interval '31 days' WHERE case_id = $1",
                         case["id"])
        await system.wait_for("SELECT 1 FROM intake.audit_trail WHERE person_id = $1 AND action = 'erase' "
                              "AND actor = 'retention'", row["person_id"])
        assert await intake_rows_holding_the_person(system) == []
