"""Intake is the person registry: a person's identifying and contact data, and the free text written
about them, is kept there and nowhere else in clear. One person with distinctive values goes through the
running system to closure with measures; then every log line of every service, every row of every table
outside intake's schema and every record on every topic (dead-letter topics included) is searched for
those values, and none is found."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from tests.support.sealed import opened_json, sealed

pytestmark = pytest.mark.e2e

# Distinctive values, unlikely to occur anywhere by chance. The NHS number's check digit is valid (the
# test checks it by the modulus 11 rule), so intake accepts it as it would a real one.
NHS_NUMBER = "943 476 5919"
PHONE = "07700 900461"
REFERRER_PHONE = "01632 960983"
WORDS = {
    "given name": "Zephyrine",
    "family name": "Quillfeather",
    "preferred name": "Wrenquist",
    "email": "zephyrine.q@example.org",
    "address line": "17 Marrowbone Quillet Lane",
    "town": "Pendeenwick",
    "full postcode": "TR19 7AA",
    "date of birth": "1941-02-27",
    "safe-contact instructions": "ring twice then ask for aunt Morwenna",
    "concerns": "frightened of the lighthouse keeper next door",
    "reason": "isolated since the ferry to Scillonia stopped",
    "referrer's name": "Ottoline Brackenbury",
    "referrer's email": "o.brackenbury@surgery.example",
    "best times": "after the evening tide",
    # A second person, who refers themselves through the web form.
    "self-referrer's given name": "Theodolinda",
    "self-referrer's family name": "Scrivenwald",
    "self-referrer's address line": "4 Gullrock Steps",
    "self-referrer's postcode": "TR20 8XQ",
    "self-referrer's safe-contact instructions": "only call when the lifeboat siren is quiet",
    "self-referrer's concerns": "nobody has visited since the harbour flooded",
}
SELF_PHONE = "07700 900872"
DIGITS = {"NHS number": NHS_NUMBER, "phone": PHONE, "referrer's phone": REFERRER_PHONE,
          "self-referrer's phone": SELF_PHONE}


def nhs_check_digit_is_valid(number: str) -> bool:
    digits = [int(d) for d in number.replace(" ", "")]
    remainder = sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return (11 - remainder) % 11 == digits[9]


def needles() -> dict[str, str]:
    """What must not be found, lower-cased; numbers also as bare digits (national and +44 forms alike)."""
    found = {name: value.lower() for name, value in WORDS.items()}
    found["full postcode, unspaced"] = WORDS["full postcode"].replace(" ", "").lower()
    found["self-referrer's postcode, unspaced"] = WORDS["self-referrer's postcode"].replace(" ", "").lower()
    found["date of birth, as written in the UK"] = "27/02/1941"
    found["self-referrer's date of birth"] = "1939-08-03"
    for name, value in DIGITS.items():
        found[name] = value
        # The last ten digits: the number however it was normalised (07700…, +447700…, spaced or not).
        found[f"{name}, digits"] = re.sub(r"\D", "", value)[-10:]
    return found


def leaks(where: str, text: str, wanted: dict[str, str]) -> list[str]:
    lowered = text.lower()
    squeezed = re.sub(r"[\s\-()]", "", lowered)
    return [f"{name} in {where}" for name, needle in wanted.items()
            if needle in lowered or (needle.isdigit() and needle in squeezed)]


def referral() -> dict:
    return {
        "partner_referral_id": "PII-1", "programme_id": "demo",
        "person": {"given_name": WORDS["given name"], "family_name": WORDS["family name"],
                   "preferred_name": WORDS["preferred name"], "date_of_birth": WORDS["date of birth"],
                   "nhs_number": NHS_NUMBER, "phone": PHONE, "email": WORDS["email"], "gender": "female",
                   "language": "kw", "interpreter_needed": True,
                   "address": {"line1": WORDS["address line"], "town": WORDS["town"],
                               "postcode": WORDS["full postcode"]}},
        "contact_preferences": {"preferred": "phone", "do_not_contact_by": ["email"], "worker_gender": "female",
                                "safe_contact_instructions": WORDS["safe-contact instructions"],
                                "best_times": WORDS["best times"]},
        "living_situation": "lives_alone",
        "trigger_groups": {"status": "assessed", "groups": [{"group": "health_issues"}]},
        "needs": ["loneliness"], "concerns": WORDS["concerns"], "reason": WORDS["reason"],
        "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
        "referrer": {"source_category": "statutory", "source_subcategory": "nhs_gp", "organisation": "Test GP",
                     "person_name": WORDS["referrer's name"], "phone": REFERRER_PHONE,
                     "email": WORDS["referrer's email"]},
    }


def self_referral_form() -> dict:
    return {"filled_by": "myself", "given_name": WORDS["self-referrer's given name"],
            "family_name": WORDS["self-referrer's family name"], "dob_day": "3", "dob_month": "8", "dob_year": "1939",
            "address_line1": WORDS["self-referrer's address line"], "postcode": WORDS["self-referrer's postcode"],
            "phone": SELF_PHONE, "contact_preferred": "phone", "consent_to_referral": "yes",
            "safe_contact_instructions": WORDS["self-referrer's safe-contact instructions"],
            "concerns": WORDS["self-referrer's concerns"]}


async def all_topics(system) -> list[str]:
    """Every topic of this system (its prefix), whoever made it: event, status and dead-letter topics."""
    consumer = AIOKafkaConsumer(bootstrap_servers=system.infra.bootstrap_servers, group_id=None)
    await consumer.start()
    try:
        return sorted(t for t in await consumer.topics() if t.startswith(system.topics.prefix))
    finally:
        await consumer.stop()


async def test_identifying_data_and_free_text_stay_in_intake(system):
    assert nhs_check_digit_is_valid(NHS_NUMBER)
    system.start()
    key = await system.setup_partner()
    # Workers of the gender the person asked for, so the case is matched, not waitlisted.
    await system.add_worker("connector", "21", gender="female")
    await system.add_worker("volunteer", "21", gender="female")
    async with httpx.AsyncClient(timeout=10) as http:
        posted = await http.post(f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": key}, json=referral())
        assert posted.status_code == 201, posted.text
        referral_id = uuid.UUID(posted.json()["referral_id"])
        [case] = await system.wait_for("SELECT id, worker_id, programme_id FROM caseload.cases "
                                       "WHERE referral_id = $1 AND status = 'assigned'", referral_id)
        role = (await system.sql("SELECT role FROM caseload.workers WHERE id = $1", case["worker_id"]))[0]["role"]
        worker = system.staff_headers(role, subject="holder", worker_id=str(case["worker_id"]))
        case_url = f"{system.url('caseload')}/v1/cases/{case['id']}"

        # The worker holding the case reaches the person through the registry, and only there.
        await system.wait_for("SELECT 1 FROM intake.case_holders WHERE case_id = $1 AND worker_id = $2",
                              case["id"], case["worker_id"])
        person = await http.get(f"{system.url('intake')}/v1/cases/{case['id']}/person", headers=worker)
        assert person.status_code == 200, person.text
        assert (person.json()["given_name"], person.json()["reason"]) == (WORDS["given name"], WORDS["reason"])

        # The case as the events describe it: what the person's needs and wishes are, not who they are.
        summary = (await http.get(case_url, headers=worker)).json()
        assert summary["consent"]["do_not_contact_by"] == ["email"]
        for kind in ("phone", "home_visit"):
            recorded = await http.post(f"{case_url}/contacts", headers=worker, json={"kind": kind, "minutes": 30})
            assert recorded.status_code == 201, recorded.text
        closed = await http.post(f"{case_url}/close", headers=worker, json={
            "reason": "planned_end",
            "measures": [{"instrument": "ucla3", "timepoint": "baseline", "items": [3, 3, 3]},
                         {"instrument": "ucla3", "timepoint": "end", "items": [1, 2, 1]}]})
        assert closed.status_code == 200, closed.text

        # A second person through another channel: the self-referral form, up to their case's assignment.
        sent = await http.post(f"{system.url('intake')}/self-referral/demo", data=self_referral_form())
        assert sent.status_code == 303, sent.text
        reference = sent.headers["location"].split("reference=")[1]
        await system.wait_for("SELECT 1 FROM intake.referrals WHERE self_reference = $1 AND status = 'assigned'",
                              reference)

    # Everyone downstream has had the whole journey: the registry is told of the closure, outcomes
    # scored both measures and saw the closure.
    await system.wait_for("SELECT 1 FROM intake.referrals WHERE id = $1 AND status = 'closed'", referral_id)
    await system.wait_for("SELECT 1 FROM outcomes.measures WHERE case_id = $1", case["id"],
                          predicate=lambda rows: len(rows) == 2)
    await system.wait_for("SELECT 1 FROM outcomes.case_facts WHERE case_id = $1 AND closed_at IS NOT NULL", case["id"])
    [decided] = await system.sql("SELECT facts FROM triage.decisions WHERE referral_id = $1", referral_id)
    assert '"age_years": 85' in decided["facts"] and '"TR19"' in decided["facts"]

    wanted = needles()
    found: list[str] = []

    # Intake's own tables are the registry: the values are there, sealed under the person's data key (so the
    # search finds them once opened with intake's key, and not in clear)...
    registry_rows = await system.sql("SELECT r::text AS row, person FROM intake.referrals r "
                                     "WHERE id = $1 OR self_reference = $2", referral_id, reference)
    registry_text = " ".join(r["row"] for r in registry_rows)
    registry_opened = " ".join([json.dumps(await opened_json(system, r["person"], sealed.PERSON)) for r in registry_rows])
    four = {name: wanted[name] for name in (
        "family name", "NHS number, digits", "self-referrer's family name", "self-referrer's phone, digits")}
    assert len(leaks("intake.referrals", registry_opened, four)) == 4
    assert leaks("intake.referrals", registry_text, four) == []

    # Intake's search keys are blind indexes: neither the names nor what they sound like (their Metaphone keys,
    # written out here by hand) are there in clear.
    sounds = {"given name's sound": "sfrn", "family name's sound": "klf0r", "preferred name's sound": "rnkst",
              "self-referrer's given name's sound": "0tlnt", "self-referrer's family name's sound": "skrfnwlt"}
    search_keys = await system.sql("SELECT k::text AS row FROM intake.referral_search_keys k")
    assert len(search_keys) >= 2
    for row in search_keys:
        found += leaks("intake.referral_search_keys", row["row"], {**wanted, **sounds})

    # ...and in no other schema's table.
    tables = await system.sql(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_schema NOT IN ('intake', 'pg_catalog', 'information_schema')")
    assert {t["table_schema"] for t in tables} >= {"triage", "caseload", "outcomes", "identity"}
    for table in tables:
        name = f'"{table["table_schema"]}"."{table["table_name"]}"'
        for row in await system.sql(f"SELECT t::text AS row FROM {name} t"):
            found += leaks(name, row["row"], wanted)

    # No record on any topic: the events, the referrer's status topic, the dead-letter topics.
    topics = await all_topics(system)
    assert system.topics.referrals in topics and system.topics.cases in topics
    assert any(t.endswith(".dead-letter") for t in topics)
    for topic in topics:
        for record in await system.read_topic(topic):
            text = (record.value or b"").decode(errors="replace") + (record.key or b"").decode(errors="replace")
            text += "".join(v.decode(errors="replace") for _, v in record.headers or ())
            found += leaks(f"topic {topic}", text, wanted)

    # No log line of any service, intake's own included.
    for service in system.processes:
        for line in system.log_lines(service):
            found += leaks(f"the {service} log", line, wanted)

    assert not found, "personal data outside the registry:\n" + "\n".join(sorted(set(found)))
