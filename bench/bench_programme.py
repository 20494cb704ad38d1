"""Starting a new year from the demo programme (210 tasks, 49 units): `POST …/programmes` with
`copy_from` and `carry_over` — its domains and settings, and every task not closed out with
its responsible units and open milestones, re-planned, linked, on both timelines, audited, in
one transaction. Issue #21: < 2 s.

Baseline in the same run: a raw asyncpg read of the rows it moves (the domains, the unfinished
tasks, their milestones and responsible units), so the ratio says what creating them adds on
top of reading them.

Run: .venv/bin/python bench/bench_programme.py [--rounds 5]
(uses DATABASE_URL if set, else a fresh database on the embedded test cluster; ~1 min; each
round creates the next year from the one before — 2027 from 2026, 2028 from 2027, … — so each
carries the same unfinished tasks on)

`--scale 10` then makes the last year ten times as large (each task copied nine times with its
milestones, responsible units, reports, extensions and supervisions: `bench.common.grow_programme`)
and creates the next years from it: the growth of the median at 10× data (issue #24, goal ≤ 12×).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    asyncpg_dsn,
    fresh_database,
    grow_programme,
    print_against_target,
    read_rows,
)
from services.reform_tasks.app import create_app  # noqa: E402
from shared import clock  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402
from shared.demo.loader import load  # noqa: E402
from shared.models import Role  # noqa: E402
from tests.pg import settings_for  # noqa: E402

TODAY = date(2026, 12, 1)
TARGET_SECONDS = 2.0
BASELINE_QUERIES = (
    "SELECT d.code, d.name, d.ordinal FROM tasks.domains d JOIN tasks.programmes p"
    " ON p.id = d.programme_id WHERE p.code = '{code}'",
    "SELECT t.* FROM tasks.tasks t JOIN tasks.programmes p ON p.id = t.programme_id"
    " WHERE p.code = '{code}' AND t.closed_out_on IS NULL ORDER BY t.number",
    "SELECT m.* FROM tasks.milestones m JOIN tasks.tasks t ON t.id = m.task_id"
    " JOIN tasks.programmes p ON p.id = t.programme_id"
    " WHERE p.code = '{code}' AND t.closed_out_on IS NULL",
    "SELECT r.* FROM tasks.task_responsible_units r JOIN tasks.tasks t ON t.id = r.task_id"
    " JOIN tasks.programmes p ON p.id = t.programme_id"
    " WHERE p.code = '{code}' AND t.closed_out_on IS NULL",
)


async def _create(client: httpx.AsyncClient, headers: dict[str, str], year: int) -> dict[str, Any]:
    response = await client.post(
        "/api/tasks/v1/programmes",
        json={
            "code": str(year),
            "name": f"{year}年一号改革工程",
            "year": year,
            "starts_on": f"{year}-01-01",
            "ends_on": f"{year}-12-31",
            "benchmark_city": "深圳",
            "copy_from": str(year - 1),
            "carry_over": True,
        },
        headers=headers,
    )
    response.raise_for_status()
    created: dict[str, Any] = response.json()
    return created


async def _rounds(
    client: httpx.AsyncClient, headers: dict[str, str], first: int, rounds: int
) -> tuple[list[float], int, int]:
    """One new year a round, each from the one before: the seconds each took, and the tasks and
    open milestones the last one carried."""
    samples: list[float] = []
    carried = milestones = 0
    for year in range(first, first + rounds):
        started = time.perf_counter()
        created = await _create(client, headers, year)
        samples.append(time.perf_counter() - started)
        carried = len(created["carried"])
        milestones = sum(c["milestones"] for c in created["carried"])
    return samples, carried, milestones


def _baseline_queries(code: str) -> tuple[str, ...]:
    return tuple(query.format(code=code) for query in BASELINE_QUERIES)


async def main(rounds: int, scale: int) -> None:
    url = fresh_database("bench_programme")
    dsn = asyncpg_dsn(url)
    settings = settings_for(url)
    engine = create_engine(settings, pool_size=5)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        await load(session, password="bench", as_of=TODAY)  # noqa: S106
    clock.freeze(datetime(2026, 12, 1, 2, tzinfo=UTC))
    app = create_app(settings)
    app.state.sessionmaker = sessionmaker
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    office = {
        "Authorization": "Bearer "
        + issue_token(settings, username="office", role=Role.office_admin, unit_code="gaigeban")
    }
    grown: tuple[list[float], int, int] | None = None
    last = 2026 + rounds  # the last year the first rounds create
    try:
        samples, carried, milestones = await _rounds(client, office, 2027, rounds)
        baseline = await read_rows(dsn, _baseline_queries("2026"), rounds)
        if scale > 1:
            await grow_programme(dsn, str(last), scale)
            grown = await _rounds(client, office, last + 1, rounds)
    finally:
        await client.aclose()
        await engine.dispose()
    print(
        f"demo programme 2026 → a new year: {carried} tasks carried with {milestones} open "
        f"milestones, 14 domains; {rounds} rounds"
    )
    print_against_target("create", samples, baseline, "the rows it moves", TARGET_SECONDS)
    if grown is not None:
        larger, carried, milestones = grown
        print(
            f"{last} made {scale}× as large → a new year: {carried} tasks carried with "
            f"{milestones} open milestones; {rounds} rounds"
        )
        base = await read_rows(dsn, _baseline_queries(str(last)), rounds)
        print_against_target("create", larger, base, "the rows it moves", TARGET_SECONDS)
        growth = statistics.median(larger) / statistics.median(samples)
        print(f"growth at {scale}× data: {growth:.2f}× the median (goal ≤ 12×)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=1, help="then measure at this many times")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.scale))
