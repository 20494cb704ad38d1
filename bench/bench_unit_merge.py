"""Merging two units with a year of history (机构改革): `POST /api/tasks/v1/units/{code}/merge` —
every open item of the unit (tasks it leads or is responsible for, reports and extension
requests waiting, open supervisions and problems, its accounts) moves to the survivor, its
12345 codes follow and its open orders are derived again, audited, in one transaction.
Issue #21: < 5 s.

The history: the demo year (210 tasks, 49 units, their progress, supervisions and problems, as
of 2026-12-01) and `--orders` 12345 orders of the year handled by the merged unit (stored
through `hotline.receive_batch`, as the webhook stores them; the recent ones still open). The
merged unit is the department with the most open items that can be merged into another
department (the first whose dry run passes). Each round merges on a fresh copy of that
database (`CREATE DATABASE … TEMPLATE`).

Baseline in the same run: a raw asyncpg read of the rows the merge moves (the open tasks and
their responsible-unit rows, the waiting reports and requests, the open supervisions and
problems, the accounts, the open orders and their events, the code mappings), so the ratio says
what moving them adds on top of reading them.

Run: .venv/bin/python bench/bench_unit_merge.py [--rounds 5] [--orders 2000]
(uses DATABASE_URL if set — its role must be allowed to create databases — else a fresh database
on the embedded test cluster; ~1 min)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import asyncpg_dsn, fresh_database, print_against_target  # noqa: E402
from services.hotline_ingest.history.service import store  # noqa: E402
from services.hotline_ingest.webhook.schemas import EVENT_MODELS  # noqa: E402
from services.hotline_ingest.webhook.service import event_receipt  # noqa: E402
from services.reform_tasks.app import create_app  # noqa: E402
from shared import clock  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.db import create_engine, create_sessionmaker  # noqa: E402
from shared.demo.hotline import Demo, order_events  # noqa: E402
from shared.demo.loader import load, read_json  # noqa: E402
from shared.models import Role  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.pg import settings_for  # noqa: E402

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 2, tzinfo=UTC)
TARGET_SECONDS = 5.0
CHUNK = 500


# The rows the merge moves, read as they are: $1 is the unit's id, or (hotline) its code.
BASELINE_QUERIES = (
    "SELECT t.* FROM tasks.tasks t WHERE t.lead_unit_id = $1 AND t.status <> 'closed_out'",
    "SELECT t.*, r.* FROM tasks.task_responsible_units r JOIN tasks.tasks t ON t.id = r.task_id"
    " WHERE r.unit_id = $1 AND t.status <> 'closed_out'",
    "SELECT * FROM tasks.progress_reports WHERE unit_id = $1 AND review_status = 'pending'",
    "SELECT * FROM tasks.extension_requests WHERE unit_id = $1 AND status = 'pending'",
    "SELECT * FROM tasks.supervisions WHERE unit_id = $1 AND status IN ('open', 'proposed')",
    "SELECT * FROM tasks.problems WHERE responsible_unit_id = $1 AND status = 'open'",
    "SELECT * FROM platform.users WHERE unit_id = $1",
    "SELECT * FROM hotline.work_orders WHERE handling_unit_code = $1"
    " AND status NOT IN ('closed', 'visited')",
    "SELECT e.* FROM hotline.work_order_events e JOIN hotline.work_orders w"
    " ON w.order_no = e.order_no WHERE w.handling_unit_code = $1"
    " AND w.status NOT IN ('closed', 'visited')",
    "SELECT * FROM hotline.unit_code_mappings WHERE unit_code = $1",
)


# Departments by their open tasks (led or responsible for), most first.
RANKED_DEPARTMENTS = """
SELECT u.code FROM platform.units u
WHERE u.kind = 'department'
ORDER BY (SELECT count(*) FROM tasks.tasks t
          WHERE t.status <> 'closed_out'
            AND (t.lead_unit_id = u.id
                 OR EXISTS (SELECT 1 FROM tasks.task_responsible_units r
                            WHERE r.task_id = t.id AND r.unit_id = u.id))) DESC, u.code
"""


async def _baseline(dsn: str, unit_id: int, code: str, rounds: int) -> list[float]:
    """Seconds per round to fetch every baseline query's rows over one raw asyncpg connection
    (`bench.common.read_rows`, with the unit as parameters)."""
    conn = await asyncpg.connect(dsn)
    samples = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            for query in BASELINE_QUERIES:
                await conn.fetch(query, code if "hotline." in query else unit_id)
            samples.append(time.perf_counter() - started)
    finally:
        await conn.close()
    return samples


def _receipts(settings: Settings, unit: str, count: int) -> list[Any]:
    """A year of the unit's 12345 orders, every event as the platform would push it."""
    demo, rng = Demo.load(), random.Random(2026)
    found = []
    for number in range(1, count + 1):
        for event_type, data in order_events(demo, rng, number, NOW):
            if "handling_unit_code" in data:
                data = {**data, "handling_unit_code": unit}
            model = EVENT_MODELS[event_type].model_validate(data)
            base = {
                "webhook_id": f"bench:{data['order_no']}:{event_type}",
                "source": "bench",
                "headers": "{}",
                "body": model.model_dump_json(),
                "event_type": event_type,
            }
            found.append(event_receipt(settings, base, model))
    return found


async def _history(url: str, settings: Settings, orders: int) -> tuple[str, int, str]:
    """Load the demo year and the orders of the unit to merge; returns (unit, its id,
    survivor)."""
    engine = create_engine(settings, pool_size=2)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session, session.begin():
            await load(session, password="bench", as_of=TODAY)  # noqa: S106
            domains = {d["name"]: d["code"] for d in read_json("domains.json")}
            for code, category in Demo.load().categories.items():
                await session.execute(
                    text(
                        "INSERT INTO hotline.categories (code, name, domain_code)"
                        " VALUES (:c, :n, :d) ON CONFLICT (code) DO NOTHING"
                    ),
                    {"c": code, "n": category["name"], "d": domains.get(category["domain_hint"])},
                )
        unit, survivor = await _pair(settings, sessionmaker)
        receipts = _receipts(settings, unit, orders)
        for start in range(0, len(receipts), CHUNK):
            async with sessionmaker() as session, session.begin():
                await store(session, settings, receipts[start : start + CHUNK])
        async with sessionmaker() as session:
            unit_id = (
                await session.execute(
                    text("SELECT id FROM platform.units WHERE code = :c"), {"c": unit}
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return unit, unit_id, survivor


async def _pair(settings: Settings, sessionmaker: Any) -> tuple[str, str]:
    """The department with the most open items that a dry run lets merge into another."""
    async with sessionmaker() as session:
        ranked = (await session.execute(text(RANKED_DEPARTMENTS))).scalars().all()
    async with InProcess(settings, sessionmaker) as (client, office):
        for unit in ranked:
            for survivor in ranked:
                if survivor == unit:
                    continue
                response = await client.post(
                    f"/api/tasks/v1/units/{unit}/merge",
                    params={"dry_run": "true"},
                    json={"into": survivor},
                    headers=office,
                )
                if response.status_code == 200:
                    return unit, survivor
    raise RuntimeError("no department can be merged into another")


class InProcess:
    """reform_tasks in process, with an office admin's headers."""

    def __init__(self, settings: Settings, sessionmaker: Any) -> None:
        app = create_app(settings)
        app.state.sessionmaker = sessionmaker
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        token = issue_token(
            settings, username="office", role=Role.office_admin, unit_code="gaigeban"
        )
        self.office = {"Authorization": f"Bearer {token}"}

    async def __aenter__(self) -> tuple[httpx.AsyncClient, dict[str, str]]:
        return self.client, self.office

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()


async def _copy(url: str, name: str, *, template: str | None) -> str:
    """A fresh copy of the history's database on the same server (`template` None: drop it)."""
    base, _, _ = url.rpartition("/")
    conn = await asyncpg.connect(asyncpg_dsn(f"{base}/postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template is not None:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return f"{base}/{name}"


async def _merge(url: str, unit: str, survivor: str) -> tuple[float, dict[str, Any]]:
    settings = settings_for(url)
    engine = create_engine(settings, pool_size=2)
    try:
        async with InProcess(settings, create_sessionmaker(engine)) as (client, office):
            started = time.perf_counter()
            response = await client.post(
                f"/api/tasks/v1/units/{unit}/merge", json={"into": survivor}, headers=office
            )
            elapsed = time.perf_counter() - started
            response.raise_for_status()
            return elapsed, response.json()
    finally:
        await engine.dispose()


async def main(rounds: int, orders: int) -> None:
    url = fresh_database("bench_unit_merge")
    source = url.rpartition("/")[2]
    clock.freeze(NOW)
    unit, unit_id, survivor = await _history(url, settings_for(url), orders)
    baseline = await _baseline(asyncpg_dsn(url), unit_id, unit, rounds)
    samples: list[float] = []
    out: dict[str, Any] = {}
    for n in range(rounds):
        copy = await _copy(url, f"{source}_round{n}", template=source)
        elapsed, out = await _merge(copy, unit, survivor)
        samples.append(elapsed)
        await _copy(url, f"{source}_round{n}", template=None)
    moved = ", ".join(f"{k} {v}" for k, v in sorted(out["moved"].items()))
    print(
        f"demo year as of {TODAY}: {unit} merged into {survivor}; {orders} orders of the year, "
        f"{out['work_orders']} open; moved: {moved}; {rounds} rounds on fresh copies"
    )
    print_against_target("merge", samples, baseline, "the rows it moves", TARGET_SECONDS)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--orders", type=int, default=2000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.orders))
