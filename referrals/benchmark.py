"""`referrals benchmark outcomes`: run outcomes' benchmark workload on a database of its own and print the figures.

Figures are printed, not asserted: speed targets are for people to read and compare.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

import asyncpg

from services.outcomes import benchmark as workload


async def run(database_url: str | None, cases: int) -> int:
    from referrals.embedded import EmbeddedPostgres, free_port

    stop = None
    if not database_url:
        directory = Path(tempfile.mkdtemp(prefix="referrals-bench-"))
        pg = EmbeddedPostgres(directory / "data", free_port())
        pg.start()
        stop = pg.stop
        database_url = pg.url
    try:
        name = f"bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        target = database_url.replace("+asyncpg", "").rsplit("/", 1)[0] + f"/{name}"
        await workload.prepare(target)
        print(f"loading {cases:,} closed cases (with start, end and some follow-up UCLA-3 scores) ...", flush=True)
        seconds = await workload.load(target, cases)
        print(f"loaded in {seconds:.1f} s ({cases / seconds:,.0f} cases/s)")
        print(f"\n{'report':<34} {'median ms':>10} {'max ms':>10}")
        for report, median, worst in await workload.time_reports(target):
            print(f"{report:<34} {median:>10.1f} {worst:>10.1f}")
        return 0
    finally:
        if stop:
            stop()


def main(cases: int) -> int:
    import os

    return asyncio.run(run(os.environ.get("DATABASE_URL"), cases))
