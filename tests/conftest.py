from __future__ import annotations

import pytest

from tests.support.infrastructure import start_infrastructure
from tests.support.system import new_system


@pytest.fixture(scope="session")
def infrastructure(tmp_path_factory):
    infra = start_infrastructure(tmp_path_factory.mktemp("infra"))
    yield infra
    infra.stop()


@pytest.fixture
async def system(infrastructure, tmp_path):
    """The four services as separate processes, on a database and topics of this test's own."""
    system = await new_system(infrastructure, tmp_path / "logs")
    yield system
    for process in system.processes.values():
        process.stop(15)


@pytest.fixture(scope="module")
async def shared_system(infrastructure, tmp_path_factory):
    """All four services, shared by the tests of one module (each test uses its own partners and people)."""
    system = await new_system(infrastructure, tmp_path_factory.mktemp("system") / "logs")
    system.start()
    for _ in range(3):
        await system.add_worker("connector", "21")
    yield system
    for process in system.processes.values():
        process.stop(15)
