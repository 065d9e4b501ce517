from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.infrastructure import start_infrastructure
from tests.support.system import new_system


@pytest.fixture(scope="session")
def infrastructure():
    # Not under pytest's basetemp: pytest keeps the last three sessions' and deletes older ones as a
    # new session starts, so a second run on the machine would delete this one's database under it.
    workdir = Path(tempfile.mkdtemp(prefix="referrals-test-infra-"))
    infra = start_infrastructure(workdir)
    yield infra
    infra.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def system(infrastructure, tmp_path):
    """The five services as separate processes, on a database and topics of this test's own."""
    system = await new_system(infrastructure, tmp_path / "logs")
    yield system
    for process in system.processes.values():
        process.stop(15)


@pytest.fixture(scope="module")
async def shared_system(infrastructure, tmp_path_factory):
    """All five services, shared by the tests of one module (each test uses its own partners and people)."""
    system = await new_system(infrastructure, tmp_path_factory.mktemp("system") / "logs")
    system.start()
    for _ in range(3):
        await system.add_worker("connector", "21")
    yield system
    for process in system.processes.values():
        process.stop(15)
