"""Full recompute of a city-year from facts, at 1× and 10× hotline volume.

Target (issue: evaluation): 49 units, 210 tasks' events, 200k hotline orders → < 2 s, and no worse
than ~12× at 10× data. Baseline measured in the same run: one GROUP BY scan over the same facts
(what the machine's PostgreSQL needs just to read them), so the ratio says how much the scoring
adds on top of reading.

Run: .venv/bin/python bench/bench_recompute.py [--orders 200000] [--scale 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import asyncpg_dsn, fresh_database
from services.evaluation.ledger import service as ledger
from shared.db import create_sessionmaker
from shared.periods import business_day
from shared.settings import Settings

UNITS = json.loads(
    (Path(__file__).resolve().parent.parent / "shared/demo/data/units.json").read_text()
)["units"]
START = datetime(2026, 1, 1, tzinfo=UTC)


def _milestone(task: int, milestone: int, unit: str, moment: datetime) -> dict[str, object]:
    """What every milestone event says (the catalogue's MilestoneRef, shared/events.py)."""
    return {
        "task_number": task,
        "milestone": milestone,
        "title": f"任务{task}节点{milestone}",
        "planned_date": moment.date().isoformat(),
        "baseline_date": None,
        "lead_unit": unit,
        "responsible_units": [],
    }


def _facts(orders: int, rng: random.Random) -> list[tuple[object, ...]]:
    districts = [u["code"] for u in UNITS if u["kind"] == "district"]
    codes = [u["code"] for u in UNITS]
    rows: list[tuple[object, ...]] = []
    for n in range(orders):
        unit = rng.choice(codes)
        district = rng.choice(districts)
        moment = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
        base = {
            "order_no": f"B{n:08d}",
            "kind": "complaint",
            "district_code": district,
            "received_on": business_day(moment).isoformat(),
        }
        created = {**base, "category_code": None, "domain_code": None}
        rows.append((uuid.uuid4(), "work_order.created", moment, None, unit, json.dumps(created)))
        rows.append(
            (
                uuid.uuid4(),
                "work_order.responded",
                moment + timedelta(hours=5),
                None,
                unit,
                json.dumps({**base, "within_limit": rng.random() < 0.93, "after_expiry": False}),
            )
        )
        rows.append(
            (
                uuid.uuid4(),
                "work_order.closed",
                moment + timedelta(days=2),
                None,
                unit,
                json.dumps({**base, "on_time": rng.random() < 0.9, "after_overdue": False}),
            )
        )
        if rng.random() < 0.8:
            rows.append(
                (
                    uuid.uuid4(),
                    "work_order.visited",
                    moment + timedelta(days=3),
                    None,
                    unit,
                    json.dumps(
                        {
                            **base,
                            "resolved": rng.random() < 0.85,
                            "satisfaction": rng.choice(
                                ["satisfied", "basically_satisfied", "dissatisfied"]
                            ),
                        }
                    ),
                )
            )
    for task in range(1, 211):  # the task list's events
        for milestone in range(1, 4):
            unit = rng.choice(codes)
            moment = START + timedelta(days=rng.randrange(330))
            rows.append(
                (
                    uuid.uuid4(),
                    "milestone.completed",
                    moment,
                    "2026",
                    unit,
                    json.dumps(
                        {
                            **_milestone(task, milestone, unit, moment),
                            "completed_on": moment.date().isoformat(),
                            "on_time": (on_time := rng.random() < 0.8),
                            "days_late": 0 if on_time else 5,
                        }
                    ),
                )
            )
            if rng.random() < 0.2:
                rows.append(
                    (
                        uuid.uuid4(),
                        "milestone.lagging",
                        moment,
                        "2026",
                        unit,
                        json.dumps(
                            {
                                **_milestone(task, milestone, unit, moment),
                                "severity": "lagging",
                                "previous_severity": "none",
                                "days_late": 1,
                                "as_of": moment.date().isoformat(),
                            }
                        ),
                    )
                )
    return rows


async def _load(dsn: str, orders: int) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "TRUNCATE evaluation.facts, evaluation.score_entries, "
            "evaluation.unit_counters, evaluation.scores"
        )
        await conn.execute("DELETE FROM platform.units")
        await conn.executemany(
            "INSERT INTO platform.units (code, name, short_name, kind) VALUES ($1,$2,$3,$4)",
            [(u["code"], u["name"], u["short_name"], u["kind"]) for u in UNITS],
        )
        rows = _facts(orders, random.Random(7))
        await conn.copy_records_to_table(
            "facts",
            schema_name="evaluation",
            records=rows,
            columns=["event_id", "type", "occurred_at", "programme", "unit_code", "data"],
        )
        await conn.execute("ANALYZE evaluation.facts")
        return len(rows)
    finally:
        await conn.close()


async def _baseline(dsn: str) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        await conn.fetch(
            "SELECT unit_code, type, (occurred_at AT TIME ZONE 'Asia/Shanghai')::date, count(*) "
            "FROM evaluation.facts GROUP BY 1, 2, 3"
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def _recompute(url: str) -> float:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        started = time.perf_counter()
        async with create_sessionmaker(engine)() as session, session.begin():
            await ledger.recompute(session, "2026")
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def run(orders: int, scale: int) -> None:
    url = fresh_database("bench_recompute")
    Settings(database_url=url)
    dsn = asyncpg_dsn(url)
    results = []
    for size in (orders, orders * scale):
        facts = await _load(dsn, size)
        baseline = min([await _baseline(dsn) for _ in range(3)])
        recompute = min([await _recompute(url) for _ in range(2)])
        results.append((size, facts, baseline, recompute))
        print(
            f"orders={size:>9,} facts={facts:>10,} baseline scan={baseline:6.3f}s "
            f"recompute={recompute:6.3f}s ratio={recompute / baseline:5.2f}×",
            flush=True,
        )
    (small, _, _, t1), (big, _, _, t10) = results
    print(
        f"growth at {big // small}× data: {t10 / t1:.2f}× time (target ≤ ~12×); "
        f"1× recompute {t1:.2f}s (target < 2 s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.orders, args.scale))
