"""Monthly dispatch package for the demo programme (210 tasks, 49 units): generate the snapshot
(battle map as of the month end, period facts, scores, rankings and the hotline rates the scores
counted from evaluation, all over HTTP in process) and render it as DOCX, XLSX and HTML.
Issue 7: < 5 s.

Baseline in the same run: a raw asyncpg read of the rows the snapshot is built from (tasks with
their domain and lead unit, milestones, responsible units, extensions, supervisions, units, the
month's hotline counters), so
the ratio says what gathering, scoring, ranking and rendering add on top of reading the data.

Run: .venv/bin/python bench/bench_report.py [--rounds 5] [--scale 10]
(uses DATABASE_URL if set, else a fresh database on the embedded test cluster; ~1 min)

`--scale 10` then makes the programme ten times as large (each task copied nine times with its
milestones, responsible units, reports, extensions and supervisions: `bench.common.grow_programme`)
with ten times the October orders, and measures again: the growth of the package's median at 10×
data (issue #24, goal ≤ 12×).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
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
from services.evaluation.ledger import service as ledger  # noqa: E402
from shared import clock  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402
from shared.demo.loader import load  # noqa: E402
from shared.models import Role  # noqa: E402
from tests.pg import settings_for  # noqa: E402
from tests.report_apps import tasks_app_with_sources  # noqa: E402

TODAY = date(2026, 12, 1)
PERIOD = "2026-10"
BASELINE_QUERIES = (
    "SELECT t.id, t.number, t.title, t.task_class, t.deadline, d.code, d.name, u.code,"
    " u.short_name FROM tasks.tasks t JOIN tasks.domains d ON d.id = t.domain_id"
    " JOIN platform.units u ON u.id = t.lead_unit_id",
    "SELECT m.task_id, m.id, m.ordinal, m.title, m.planned_date, m.baseline_date,"
    " m.completed_on FROM tasks.milestones m",
    "SELECT r.task_id, u.code, u.short_name FROM tasks.task_responsible_units r"
    " JOIN platform.units u ON u.id = r.unit_id",
    "SELECT * FROM tasks.extension_requests",
    "SELECT * FROM tasks.supervisions",
    "SELECT id, code, name, short_name, kind FROM platform.units",
    "SELECT * FROM evaluation.unit_counters WHERE day BETWEEN '2026-10-01' AND '2026-10-31'",
)


async def _seed_hotline(dsn: str, per_unit: int, prefix: str = "B") -> int:
    """October's 12345 orders for every unit, as the facts hotline_ingest tells evaluation (the
    demo plays its hotline over the webhook at `make up`; here the facts are written directly
    and the programme recomputed): signed, closed, most visited and satisfied."""
    conn = await asyncpg.connect(dsn)
    try:
        units = [
            r["code"]
            for r in await conn.fetch("SELECT code FROM platform.units WHERE kind <> 'office'")
        ]
        rows = []
        for u, code in enumerate(units):
            for i in range(per_unit):
                received = datetime(2026, 10, 1 + i % 28, 1 + i % 9, tzinfo=UTC)
                base = {
                    "order_no": f"{prefix}{u:02d}{i:04d}",
                    "kind": "complaint",
                    "district_code": None,
                    "received_on": received.date().isoformat(),
                }
                facts: list[tuple[str, int, dict[str, object]]] = [
                    ("work_order.created", 0, {"category_code": None, "domain_code": None}),
                    (
                        "work_order.responded",
                        2,
                        {"within_limit": i % 9 != 0, "after_expiry": False},
                    ),
                    ("work_order.closed", 48, {"on_time": i % 11 != 0, "after_overdue": False}),
                    (
                        "work_order.visited",
                        72,
                        {
                            "resolved": i % 7 != 0,
                            "satisfaction": "satisfied" if i % 5 else "dissatisfied",
                        },
                    ),
                ]
                rows += [
                    (
                        uuid.uuid4(),
                        kind,
                        received + timedelta(hours=h),
                        None,
                        code,
                        json.dumps({**base, **extra}),
                    )
                    for kind, h, extra in facts
                ]
        await conn.copy_records_to_table(
            "facts",
            schema_name="evaluation",
            records=rows,
            columns=["event_id", "type", "occurred_at", "programme", "unit_code", "data"],
        )
        return len(rows) // 4
    finally:
        await conn.close()


Phases = dict[str, list[float]]


async def _measure(
    client: httpx.AsyncClient, office: dict[str, str], rounds: int
) -> tuple[Phases, dict[str, int], dict[str, Any]]:
    """`rounds` packages: generate the month's report, then render it in each format."""
    phases: Phases = {"generate": [], "docx": [], "xlsx": [], "html": []}
    sizes: dict[str, int] = {}
    report: dict[str, Any] = {}
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.post(
            "/api/tasks/v1/reports",
            json={"kind": "monthly_dispatch", "period": PERIOD},
            headers=office,
        )
        response.raise_for_status()
        phases["generate"].append(time.perf_counter() - started)
        report = response.json()
        for fmt in ("docx", "xlsx", "html"):
            started = time.perf_counter()
            rendered = await client.get(
                f"/api/tasks/v1/reports/{report['id']}/{fmt}", headers=office
            )
            rendered.raise_for_status()
            phases[fmt].append(time.perf_counter() - started)
            sizes[fmt] = len(rendered.content)
    return phases, sizes, report


def _print(phases: Phases, sizes: dict[str, int], report: dict[str, Any], what: str) -> None:
    data = report["data"]
    print(
        f"{what}: {data['totals']['tasks']} tasks, "
        f"{sum(len(g['rows']) for g in data['rankings'])} ranked units, "
        f"{len(data['hotline'])} hotline rows"
    )
    for name, samples in phases.items():
        extra = f" ({sizes[name] // 1024} KiB)" if name in sizes else ""
        median = statistics.median(samples)
        print(f"  {name:<9} median {median:6.3f} s  max {max(samples):6.3f} s{extra}")


def _package(phases: Phases, rounds: int) -> list[float]:
    return [sum(p[i] for p in phases.values()) for i in range(rounds)]


async def main(rounds: int, scale: int) -> None:
    url = fresh_database("bench_report")
    dsn = asyncpg_dsn(url)
    settings = settings_for(url)
    engine = create_engine(settings, pool_size=5)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session, session.begin():
        loaded = await load(session, password="bench", as_of=TODAY)  # noqa: S106
    orders = await _seed_hotline(dsn, per_unit=40)
    async with sessionmaker() as session, session.begin():
        await ledger.recompute(session, "2026")
    clock.freeze(datetime(2026, 12, 1, 2, tzinfo=UTC))
    app, client = tasks_app_with_sources(settings, sessionmaker)
    office = {
        "Authorization": "Bearer "
        + issue_token(settings, username="office", role=Role.office_admin, unit_code="gaigeban")
    }
    grown: tuple[Phases, dict[str, int], dict[str, Any]] | None = None
    try:
        phases, sizes, report = await _measure(client, office, rounds)
        baseline = await read_rows(dsn, BASELINE_QUERIES, rounds)
        if scale > 1:
            await grow_programme(dsn, "2026", scale)
            await _seed_hotline(dsn, per_unit=40 * (scale - 1), prefix="G")
            async with sessionmaker() as session, session.begin():
                await ledger.recompute(session, "2026")
            grown = await _measure(client, office, rounds)
    finally:
        await client.aclose()
        await app.state.http.aclose()
        await engine.dispose()
    print(
        f"demo programme: {loaded.milestones or '—'} milestones loaded, {orders} October "
        f"orders; {rounds} rounds"
    )
    _print(phases, sizes, report, "demo programme")
    package = _package(phases, rounds)
    print_against_target("package", package, baseline, "the same rows", 5)
    if grown is not None:
        _print(*grown, f"at {scale}× (tasks and October orders)")
        larger = _package(grown[0], rounds)
        print_against_target(
            "package", larger, await read_rows(dsn, BASELINE_QUERIES, rounds), "the same rows", 5
        )
        growth = statistics.median(larger) / statistics.median(package)
        print(f"growth at {scale}× data: {growth:.2f}× the package's median (goal ≤ 12×)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=1, help="then measure at this many times")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.scale))
