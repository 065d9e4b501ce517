"""The outcomes benchmark command runs end to end on a real database and prints its figures."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_benchmark_loads_cases_and_prints_report_latencies(infrastructure):
    env = {**os.environ, "DATABASE_URL": infrastructure.admin_database_url}
    done = subprocess.run([sys.executable, "-m", "referrals.cli", "benchmark", "outcomes", "--cases", "3000"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("loading 3,000 closed cases")
    timings = {line[:34].strip(): line[34:].split() for line in lines if line.startswith(("UCLA", "...", "funnel",
                                                                                           "completeness"))}
    assert len(timings) == 7 and all(float(median) > 0 for median, _ in timings.values())
