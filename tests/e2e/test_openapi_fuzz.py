"""Schemathesis, with all its checks, against every service's running API and its OpenAPI document:
every response is one the document declares (status, content type, body schema), schema-invalid requests
are refused, valid ones are not, and nothing is a server error. Bounded: a fixed seed, a few examples per
operation, a deadline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 20
DEADLINE_S = 900
# Schemathesis checks every route refuses wrong credentials: hundreds from one address. The lockout that
# would answer them 429 is tested in test_intake_trust.py and test_staff_sign_in.py; here it would hide
# the routes' own answers.
# Schemathesis is one sender trying many things: it is not to be slowed as a stranger or a guesser would be.
NO_LOCKOUT = {"AUTH_MAX_FAILURES": "1000000", "SELF_REFERRALS_PER_MINUTE_PER_ADDRESS": "100000",
              "SELF_REFERRAL_BURST_PER_ADDRESS": "1000", "SUBMISSIONS_PER_SECOND_PER_PARTNER": "1000",
              "SUBMISSION_BURST_PER_PARTNER": "1000", "SUBMISSIONS_PER_SECOND": "1000", "SUBMISSION_BURST": "1000"}


def config_with(tmp_path: Path, seeded: dict[str, str]) -> Path:
    """schemathesis.toml, plus the ids of seeded data: half the generated requests to a route with such a path
    parameter name something that exists, so the route's real answer is checked, not only its 404."""
    lines = [Path(__file__).with_name("schemathesis.toml").read_text()]
    for name, value in seeded.items():
        lines.append(f'[dictionaries.seeded-{name}]\nvalues = ["{value}"]\n')
    if seeded:
        lines.append("[parameters]")
        lines += [f'"path.{name}" = {{ dictionary = "seeded-{name}", probability = 0.5 }}' for name in seeded]
    config = tmp_path / "schemathesis.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def run_schemathesis(system, service: str, tmp_path: Path, *headers: str, seeded: dict[str, str] | None = None) -> None:
    st = Path(sys.executable).with_name("st")
    command = [
        str(st), "--config-file", str(config_with(tmp_path, seeded or {})), "run",  # every check (less the allowances)
        f"{system.url(service)}/openapi.json",
        "--max-examples", str(MAX_EXAMPLES), "--seed", "12", "--request-timeout", "15",
        *(part for header in headers for part in ("-H", header)),
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks", "PYTHONPATH": str(ROOT),
           "NO_COLOR": "1"}
    # Written as it runs, so a run cut off at the deadline still shows how far it got.
    output = tmp_path / "schemathesis.txt"
    with output.open("w") as sink:
        try:
            result = subprocess.run(command, cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                    timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"schemathesis ran over {DEADLINE_S}s; it got this far:\n{output.read_text()[-20000:]}")
    assert result.returncode == 0, output.read_text()[-20000:]


async def seed_a_case(system) -> dict[str, str]:
    """A referral that flows to an assigned case: the routes that read decisions, cases and reports then
    have something real to answer with, not only 404s and empty lists. Returns the ids, by path parameter."""
    api_key = await system.setup_partner(partner_id="fuzz-seed")
    worker_id = await system.add_worker("connector", "21")
    async with httpx.AsyncClient(timeout=15) as http:
        posted = await http.post(
            f"{system.url('intake')}/v1/referrals", headers={"X-API-Key": api_key},
            json={"partner_referral_id": "FUZZ-1", "programme_id": "demo",
                  "person": {"given_name": "Fuzz", "family_name": "Seed", "age_years": 74},
                  "consent": {"to_referral": True, "to_data_sharing": True, "to_contact": True},
                  "referrer": {"source_category": "statutory", "source_subcategory": "nhs_gp"},
                  "needs": ["loneliness"]},
        )
        assert posted.status_code == 201, posted.text
    referral_id = posted.json()["referral_id"]
    [case] = await system.wait_for("SELECT id FROM caseload.cases WHERE status = 'assigned'")
    await system.wait_for("SELECT 1 FROM outcomes.referral_facts WHERE decision IS NOT NULL")
    return {"referral_id": referral_id, "case_id": str(case["id"]), "worker_id": worker_id, "programme_id": "demo"}


async def test_intake_keeps_its_openapi_contract_under_generated_requests(system, tmp_path):
    system.start("intake", extra_env=NO_LOCKOUT)
    api_key = await system.setup_partner(programmes=("demo",), partner_id="fuzz-gp")
    admin = system.staff_headers("admin")["Authorization"]
    run_schemathesis(system, "intake", tmp_path, f"X-API-Key: {api_key}", f"Authorization: {admin}")


async def test_identity_keeps_its_openapi_contract_under_generated_requests(system, tmp_path):
    # Generated sign-ins are wrong by the thousand (the lockout itself is test_staff_sign_in.py's).
    system.start("identity", extra_env=NO_LOCKOUT)
    admin = system.staff_headers("admin")["Authorization"]
    run_schemathesis(system, "identity", tmp_path, f"Authorization: {admin}")


@pytest.mark.parametrize("service", ["triage", "caseload", "outcomes"])
async def test_a_downstream_service_keeps_its_openapi_contract_under_generated_requests(system, tmp_path, service):
    # The whole flow runs, so a case exists for the routes to find; the admin holds every staff route's role.
    system.start(extra_env=NO_LOCKOUT)
    seeded = await seed_a_case(system)
    admin = system.staff_headers("admin")["Authorization"]
    run_schemathesis(system, service, tmp_path, f"Authorization: {admin}", seeded=seeded)
