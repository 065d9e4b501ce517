"""`referrals chaos`, short: each kind of fault once under a stream of referrals, and nothing lost or repeated."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from referrals.chaos.faults import fault_kinds

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


# The run takes 4 to 8 minutes on a 2-core machine. The command's own limits end it before the test's: the
# settle bounds the wait for every submission's answer, and then the report names what was not answered.
@pytest.mark.timeout(1500)
def test_each_kind_of_fault_loses_nothing_repeats_nothing_and_overfills_nobody(tmp_path):
    seed = random.SystemRandom().randrange(1_000_000)  # printed by the command, to run the same moments again
    report = tmp_path / "report.txt"
    done = subprocess.run(
        [sys.executable, "-m", "referrals.cli", "chaos", "--seed", str(seed), "--rate", "1.5", "--settle", "240",
         "--data-dir", str(tmp_path / "chaos"), "--report", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    text = report.read_text()
    rows = {}
    for kind in fault_kinds():
        [row] = [line for line in text.splitlines() if line.startswith(kind + "  ")]
        rows[kind] = [int(n) for n in row[len(kind):].split()]
    # injected, submitted, accounted, lost, duplicated, capacity violations
    assert all(r[0] == 1 and r[3:] == [0, 0, 0] and r[2] == r[1] for r in rows.values()), text
    [total] = [line for line in text.splitlines() if line.startswith("total ")]
    injected, submitted, accounted, lost, duplicated, capacity = map(int, total.split()[1:])
    assert (injected, lost, duplicated, capacity) == (len(fault_kinds()), 0, 0, 0), text
    assert submitted == accounted and submitted >= 30, text
    ended = dict(re.findall(r"(\w+) (\d+)", text.split("how the submissions ended: ")[1].splitlines()[0]))
    assert int(ended.get("refused", 0)) >= 1 and int(ended.get("closed", 0)) >= 1, text  # refusals and casework
