"""Erasure over the wire: `referrals erase` against the running system removes a person's identifying and
contact data from the registry while the outcome report keeps its counts; the retention job erases a
person once their programme's retention period has passed since their last case closed."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from shared.platform.sealing import SealingError
from tests.e2e.test_intake_channels import FIXTURES
from tests.e2e.test_personal_data_stays_in_the_registry import all_topics
from tests.support.sealed import KeyDestroyed, opened_bytes, sealed, sealer_of

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
        if topic == system.topics.partner_submissions:
            continue  # the partners' own plaintext, as they wrote it (deploy/README.md: a short retention.ms)
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
    await meet_and_close(system, http, case)
    return referral_id, case


async def meet_and_close(system, http, case) -> None:
    """The case's connector meets the person and closes the case with start and end measures."""
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


SEALED = re.compile(r"sealed:v1:[A-Za-z0-9._-]{1,100}:[A-Za-z0-9_-]+={0,2}")
CONTEXTS = (sealed.PERSON, sealed.PERSON_KEY, sealed.CONTACT, sealed.SUBMISSION, sealed.BATCH, sealed.OUTREACH,
            sealed.DEAD_LETTER)
CSV_MAPPING = {
    "columns": {"person.given_name": "Forename", "person.family_name": "Surname", "person.date_of_birth": "DOB",
                "person.postcode": "Postcode", "person.phone": "Telephone", "person.email": "Email",
                "consent.to_referral": "Consented", "reason": "Reason"},
    "reference_column": "ASC Ref",
    "defaults": {"programme_id": "demo", "referrer.source_category": "statutory",
                 "referrer.source_subcategory": "social_services"}}


async def database_dump(system) -> list[tuple[str, str]]:
    """Every row of every table of every schema, as a backup holds it: (table, the row's values as text,
    bytes decoded as they would be read from the dump)."""
    tables = await system.sql("SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = "
                              "'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')")
    dump = []
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        for row in await system.sql(f"SELECT * FROM {name}"):
            text = " ".join(v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in row.values())
            dump.append((f'{table["table_schema"]}.{table["table_name"]}', text))
    return dump


async def what_opens(system, text: str) -> tuple[list[str], set[str]]:
    """Every sealed value in `text` opened with intake's key as things are now: (what opened, the subjects
    whose key is destroyed). A value none of intake's purposes opens is a failure of the test itself."""
    sealer, opened, destroyed = sealer_of(system), [], set()
    for token in SEALED.findall(text):
        for context in CONTEXTS:
            try:
                opened.append((await sealer.open_bytes(token, context=context)).decode(errors="replace"))
                break
            except KeyDestroyed as gone:
                destroyed.add(gone.subject)
                break
            except SealingError:
                continue
        else:
            raise AssertionError(f"a sealed value intake cannot open for any purpose: {token[:60]}")
    return opened, destroyed


async def every_channel(system, http, key: str) -> dict[str, str]:
    """The person comes in by every channel intake has; one submission is rejected, one dead-lettered.
    Their first referral has a case by then, so the rest are linked to it. The referrals' ids, by channel."""
    intake = system.url("intake")
    api = {"X-API-Key": key}
    referrals = {}
    person = {**DISTINCT}
    common = {"programme_id": "demo", "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
              "contact_preferences": {"safe_contact_instructions": SAFE_CONTACT}, "reason": REASON}

    # FHIR, from the GP's system: the fixture's patient made into this person.
    bundle = json.loads((FIXTURES / "gp_referral_message_bundle.json").read_bytes().replace(b"hackney-connect", b"demo"))
    for entry in bundle["entry"]:
        patient = entry["resource"]
        if patient["resourceType"] == "Patient":
            patient["name"] = [{"use": "official", "family": DISTINCT["family_name"], "given": [DISTINCT["given_name"]]}]
            patient["telecom"] = [{"system": "phone", "value": DISTINCT["phone"], "use": "mobile"},
                                  {"system": "email", "value": DISTINCT["email"]}]
            patient["birthDate"] = DISTINCT["date_of_birth"]
            patient["address"] = [{"use": "home", "line": [DISTINCT["address"]["line1"]], "postalCode": "E9 7QT"}]
    fhir = await http.post(f"{intake}/fhir/Bundle", content=json.dumps(bundle).encode(),
                           headers={**api, "Content-Type": "application/fhir+json"})
    assert fhir.status_code == 201, fhir.text
    referrals["fhir"] = fhir.json()["id"]

    # A council's CSV batch, the person's row beside someone else's.
    assert (await http.put(f"{intake}/v1/partners/erasure-gp/csv-mapping", headers=system.staff_headers("admin"),
                           json=CSV_MAPPING)).status_code == 200
    content = ("ASC Ref,Forename,Surname,DOB,Postcode,Telephone,Email,Consented,Reason\r\n"
               f"ER-CSV,Philippa,Zwolinska-Oduya,14/07/1939,E9 7QT,07700 900 873,{DISTINCT['email']},Yes,\"{REASON}\"\r\n"
               "ER-CSV-2,Albert,Quennell,09/09/1937,LE2 0AA,,,Yes,\r\n").encode()
    batch = await http.post(f"{intake}/v1/referral-batches", content=content,
                            headers={**api, "Content-Type": "text/csv", "X-Filename": "asc.csv"})
    assert batch.status_code == 201, batch.text
    referrals["csv_batch"] = batch.json()["rows"][0]["referral_id"]

    # Over Kafka: one accepted, one that cannot be read as a referral and is dead-lettered.
    kafka_headers = [("partner-id", b"erasure-gp"), ("api-key", key.encode())]
    await system.produce_raw(system.topics.partner_submissions, json.dumps({**common, "person": person}).encode(),
                             key=b"K-ER-1", headers=kafka_headers)
    unreadable = {**common, "person": {**person, "date_of_birth": "14th July 1939"}}
    await system.produce_raw(system.topics.partner_submissions, json.dumps(unreadable).encode(), key=b"K-ER-2",
                             headers=kafka_headers)

    # The self-referral form, filled in by the person.
    form = {"filled_by": "myself", "given_name": DISTINCT["given_name"], "family_name": DISTINCT["family_name"],
            "dob_day": "14", "dob_month": "7", "dob_year": "1939", "postcode": "E9 7QT",
            "address_line1": DISTINCT["address"]["line1"], "phone": DISTINCT["phone"], "email": DISTINCT["email"],
            "contact_preferred": "phone", "safe_contact_instructions": SAFE_CONTACT, "concerns": REASON,
            "consent_to_referral": "yes"}
    sent = await http.post(f"{intake}/self-referral/demo", data=form)
    assert sent.status_code == 303, sent.text
    reference = sent.headers["location"].split("reference=")[1]

    # Staff taking a referral by phone.
    phone = await http.post(f"{intake}/v1/phone-referrals", headers=system.staff_headers("connector", subject="c-er"),
                            json={**common, "person": person,
                                  "referrer": {"source_category": "self", "source_subcategory": "phone"}})
    assert phone.status_code == 201, phone.text
    referrals["phone"] = phone.json()["referral_id"]

    # And one the JSON API refuses: kept as sent, never a referral.
    refused = await http.post(f"{intake}/v1/referrals", headers=api, json={
        **common, "partner_referral_id": "ER-BAD", "person": {**person, "date_of_birth": "1939-02-30"}})
    assert refused.status_code == 422, refused.text

    [kafka] = await system.wait_for("SELECT id FROM intake.referrals WHERE partner_referral_id = 'K-ER-1'")
    referrals["partner_kafka"] = str(kafka["id"])
    [form_row] = await system.sql("SELECT id FROM intake.referrals WHERE self_reference = $1", reference)
    referrals["self_referral_form"] = str(form_row["id"])
    await system.read_topic(system.topics.dead_letter("intake.intake.partner-submissions"), min_records=1)
    return referrals


async def test_referrals_erase_leaves_nothing_of_the_person_readable_anywhere_and_the_counts_as_they_were(
        system, tmp_path):
    system.start(extra_env={"INTAKE_RETENTION_INTERVAL_S": "0.5"})
    key = await system.setup_partner(partner_id="erasure-gp")
    await system.add_worker("connector", "21")
    manager = system.staff_headers("manager")
    async with httpx.AsyncClient(timeout=30) as http:
        # The partner's JSON API first: the person's case is open when the other channels bring them again.
        sent = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json={
            "partner_referral_id": "ER-1", "programme_id": "demo", "person": DISTINCT,
            "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
            "contact_preferences": {"safe_contact_instructions": SAFE_CONTACT}, "reason": REASON})
        assert sent.status_code == 201, sent.text
        referral_id = sent.json()["referral_id"]
        [case] = await system.wait_for("SELECT id, worker_id FROM caseload.cases WHERE referral_id = $1 "
                                       "AND status = 'assigned'", referral_id)
        channels = {"partner_api": referral_id, **await every_channel(system, http, key)}
        rows = await system.sql("SELECT id, person_id, status FROM intake.referrals WHERE id = ANY($1::uuid[])",
                                [uuid.UUID(r) for r in channels.values()])
        assert len(rows) == len(channels) == 6 and len({r["person_id"] for r in rows}) == 1  # one person
        person_id = rows[0]["person_id"]

        # The connector reads whom to call, meets them, and closes the case with measures.
        connector = system.staff_headers("connector", worker_id=str(case["worker_id"]))
        seen = await http.get(f"{system.url('intake')}/v1/cases/{case['id']}/person", headers=connector)
        assert seen.status_code == 200 and seen.json()["family_name"] == DISTINCT["family_name"]
        await meet_and_close(system, http, case)

        # Intake kept all of it, sealed: nothing is in clear even now, and it opens with intake's key.
        assert await intake_rows_holding_the_person(system) == []
        backup = await database_dump(system)
        opened, _ = await what_opens(system, " ".join(text for _, text in backup))
        assert set(values()) <= set(hits(" ".join(opened)))
        # An admin reading the dead letter's payload sees the partner's record opened (and the read is logged).
        admin = system.staff_headers("admin", subject="dead-letter-admin")
        letters = (await http.get(f"{system.url('intake')}/v1/dead-letters", headers=admin)).json()
        [letter] = [d for d in letters if d["consumer_group"] == "intake.intake.partner-submissions"]
        payload_url = f"{system.url('intake')}/v1/dead-letters/{letter['id']}/payload"
        payload = await http.get(payload_url, headers=admin)
        assert payload.status_code == 200 and DISTINCT["family_name"] in json.dumps(payload.json()["payload"])
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
        # The rejected and dead-lettered submissions named nobody intake could find: their keys go once they
        # have been kept long enough (30 days here, as by default). Make them that old, and wait.
        await system.sql("UPDATE intake.submissions SET received_at = now() - interval '31 days' "
                         "WHERE referral_id IS NULL")
        await system.wait_for("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM intake.submissions s JOIN intake.data_keys k "
                              "ON k.subject = s.id::text WHERE s.referral_id IS NULL AND k.wrapped_key IS NOT NULL)")

        # The dead letter's payload is gone for the admin too: its key was destroyed with the submission's.
        payload = await http.get(payload_url, headers=admin)
        assert payload.status_code == 200 and payload.json()["payload"].startswith("[erased")
        # Nothing of the person is readable: not in clear anywhere, and not by opening anything sealed.
        assert await intake_rows_holding_the_person(system) == []
        assert await anywhere_else_holding_the_person(system) == []
        ingress = await system.read_topic(system.topics.partner_submissions)
        assert ingress and all(r.key in (b"K-ER-1", b"K-ER-2") for r in ingress)  # only what the partner wrote
        now = await database_dump(system)
        opened_now, destroyed = await what_opens(system, " ".join(text for _, text in now))
        assert hits(" ".join(opened_now)) == []
        assert destroyed  # the raw submissions, the batch file: sealed and kept, under keys now destroyed
        # The ciphertext is still there, and its key is a tombstone.
        [tombstone] = await system.sql("SELECT wrapped_key, destroyed_at FROM intake.data_keys WHERE subject = $1",
                                       str(person_id))
        assert tombstone["wrapped_key"] is None and tombstone["destroyed_at"] is not None
        theirs = await system.sql("SELECT body FROM intake.submissions WHERE referral_id = ANY($1::uuid[]) "
                                  "OR referral_id IS NULL", [uuid.UUID(r) for r in channels.values()])
        # Six accepted, one refused by the JSON API, one dead-lettered from Kafka.
        assert len(theirs) == 8 and all(r["body"].startswith(b"sealed:v1:") for r in theirs)
        for row in theirs:
            with pytest.raises(KeyDestroyed):
                await opened_bytes(system, row["body"], sealed.SUBMISSION)
        [file] = await system.sql("SELECT content FROM intake.batches WHERE partner_id = 'erasure-gp'")
        with pytest.raises(KeyDestroyed):
            await opened_bytes(system, file["content"], sealed.BATCH)
        # Our dead letter of the partner's record is sealed and its key gone. The partner's own topic still has
        # what they wrote, in clear: theirs, not ours, which is why it needs a short retention.ms.
        [dead] = await system.read_topic(system.topics.dead_letter("intake.intake.partner-submissions"))
        assert dead.value.startswith(b"sealed:v1:")
        with pytest.raises(KeyDestroyed):
            await opened_bytes(system, dead.value, sealed.DEAD_LETTER)

        # A backup taken before the erasure: its data tables hold nothing readable now. (Its copy of the
        # data_keys table still held the wrapped keys: backups of that table must be kept only briefly.)
        data_tables = " ".join(text for table, text in backup if not table.endswith(".data_keys"))
        assert hits(data_tables) == []
        opened_backup, destroyed_in_backup = await what_opens(system, data_tables)
        assert hits(" ".join(opened_backup)) == []
        assert str(person_id) in destroyed_in_backup  # the registry's record, sealed under the person's own key

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
        # Every other service was told, by ids alone.
        [told] = await system.events_on(system.topics.erasures, min_records=1)
        assert told["data"]["person_id"] == str(person_id) and told["data"]["basis"] == "request"
        assert set(told["data"]["referral_ids"]) == set(channels.values())
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
        [tombstone] = await system.sql("SELECT wrapped_key FROM intake.data_keys WHERE subject = $1",
                                       str(row["person_id"]))
        assert tombstone["wrapped_key"] is None
        told = await system.events_on(system.topics.erasures, min_records=1)
        assert [(e["data"]["person_id"], e["data"]["basis"]) for e in told] == [(str(row["person_id"]), "retention")]
