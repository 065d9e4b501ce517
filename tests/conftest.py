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
