"""Schemathesis, with all its checks, against the running intake service and its OpenAPI document: every
response is one the document declares (status, content type, body schema), schema-invalid requests are
refused, and nothing is a server error. Bounded: a fixed seed, a few examples per operation, a deadline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 20
DEADLINE_S = 420


async def test_intake_keeps_its_openapi_contract_under_generated_requests(system, tmp_path):
    # Schemathesis checks every route refuses wrong credentials: hundreds from one address. The lockout that
    # would answer them 429 is tested in test_intake_trust.py; here it would hide the routes' own answers.
    system.start("intake", extra_env={"AUTH_MAX_FAILURES": "1000000"})
    api_key = await system.setup_partner(programmes=("demo",), partner_id="fuzz-gp")
    admin = system.staff_headers("admin")["Authorization"]
    st = Path(sys.executable).with_name("st")
    command = [
        str(st), "--config-file", str(Path(__file__).with_name("schemathesis.toml")), "run", f"{system.url('intake')}/openapi.json",  # every check (less the allowances)
        "--max-examples", str(MAX_EXAMPLES), "--seed", "12", "--request-timeout", "15",
        "-H", f"X-API-Key: {api_key}", "-H", f"Authorization: {admin}",
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks", "PYTHONPATH": str(ROOT),
           "NO_COLOR": "1"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=DEADLINE_S)
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]


async def test_identity_keeps_its_openapi_contract_under_generated_requests(system, tmp_path):
    # A high lockout threshold: generated sign-ins are wrong by the thousand, and a lockout would hide the
    # answers the contract is checked on (the lockout itself is tests/e2e/test_staff_sign_in.py's).
    system.start("identity", extra_env={"AUTH_MAX_FAILURES": "1000000"})
    admin = system.staff_headers("admin")["Authorization"]
    st = Path(sys.executable).with_name("st")
    command = [
        str(st), "--config-file", str(Path(__file__).with_name("schemathesis.toml")), "run",
        f"{system.url('identity')}/openapi.json",
        "--max-examples", str(MAX_EXAMPLES), "--seed", "12", "--request-timeout", "15",
        "-H", f"Authorization: {admin}",
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks", "PYTHONPATH": str(ROOT),
           "NO_COLOR": "1"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=DEADLINE_S)
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
