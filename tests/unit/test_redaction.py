"""Personal data never reaches a log line: fields named like it lose their values, and NHS numbers,
phone numbers, postcodes and emails are masked in any text, ours or a library's, exceptions included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.platform.redaction import redact, redact_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "masked"), [
    ("NHS number 943 476 5919 on file", "NHS number [nhs-number] on file"),
    ("nhs=9434765919;", "nhs=[nhs-number];"),
    ("order 1234567890 is not an NHS number (its check digit fails)", "order 1234567890 is not an NHS number (its check digit fails)"),
    ("call 07700 900123 after 6", "call [phone] after 6"),
    ("or +44 20 7946 0958", "or [phone]"),
    ("lives at E8 1DY, Hackney", "lives at [postcode], Hackney"),
    ("lives at e81dy", "lives at [postcode]"),
    ("district E8 only", "district E8 only"),
    ("write to ada.example+gp@mail.example.org", "write to [email]"),
    ("case 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed at 2026-12-05T12:20:11Z", "case 1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed at 2026-12-05T12:20:11Z"),
    ("epoch 1796473236 offset 42", "epoch 1796473236 offset 42"),
])
def test_patterns_are_masked_in_any_text(text, masked):
    assert redact_text(text) == masked


def test_fields_named_like_personal_data_lose_their_values_at_any_depth():
    line = {"event": "submission_refused", "referral_id": "R-1", "given_name": "Ada",
            "details": {"person": {"family_name": "Lovelace"}, "Postcode": "E8 1DY", "reasons": ["age 72"]},
            "note": "", "email": None}
    assert redact(line) == {"event": "submission_refused", "referral_id": "R-1", "given_name": "[redacted]",
                            "details": {"person": "[redacted]", "Postcode": "[redacted]", "reasons": ["age 72"]},
                            "note": "", "email": None}


def test_a_service_log_masks_personal_data_in_its_own_lines_libraries_lines_and_exceptions():
    program = """
import logging
from shared.platform.logging import configure_logging, get_logger
configure_logging("probe")
log = get_logger("probe")
log.info("referral for 943 476 5919 received", given_name="Ada", referral_id="R-7")
logging.getLogger("aiokafka").warning("row (%s) refused", "ada@example.org, E8 1DY")
try:
    raise ValueError("duplicate key (phone)=(07700 900123)")
except ValueError:
    log.exception("insert_failed")
"""
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    text = result.stdout
    for value in ("943 476 5919", "Ada", "ada@example.org", "E8 1DY", "07700 900123"):
        assert value not in text
    assert lines[0]["message"] == "referral for [nhs-number] received"
    assert lines[0]["given_name"] == "[redacted]" and lines[0]["referral_id"] == "R-7"
    assert lines[1]["message"] == "row ([email], [postcode]) refused"
    assert "ValueError: duplicate key (phone)=([phone])" in lines[2]["exception"]


def test_a_services_http_calls_are_not_logged_with_their_query_strings():
    program = """
import asyncio, httpx
from shared.platform.logging import configure_logging
configure_logging("probe")

async def search():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    async with httpx.AsyncClient(transport=transport) as client:
        await client.get("http://intake/v1/referral-search", params={"name": "Winifred Ashworth"})

asyncio.run(search())
"""
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Winifred" not in result.stdout + result.stderr


def test_the_referrer_s_own_name_and_contacts_and_the_person_s_best_times_lose_their_values():
    line = {"event": "submission_refused", "referrer": {"person_name": "Dr Agnes Polglaze", "organisation": "GP",
                                                        "referrer_phone": "01736 960000"},
            "best_times": "after the evening tide", "referrer_name": "Agnes"}
    assert redact(line) == {"event": "submission_refused", "referrer": {
        "person_name": "[redacted]", "organisation": "GP", "referrer_phone": "[redacted]"},
        "best_times": "[redacted]", "referrer_name": "[redacted]"}
