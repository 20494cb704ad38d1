"""Battle map latency for 210 and 2,100 tasks (issue: reform_tasks: p95 < 50 ms for 210 tasks,
< 300 ms for 2,100), through the real endpoint of a uvicorn process on 127.0.0.1.

Baseline in the same run: a raw asyncpg fetch of the same task and milestone rows, so the ratio
says what the API adds (scoping, as-of rules, JSON) on top of reading the data.

Run: .venv/bin/python bench/bench_battle_map.py [--requests 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Timer, asyncpg_dsn, fresh_database  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.models import Role  # noqa: E402
from shared.settings import Settings  # noqa: E402

PORT = 18795


async def _seed(dsn: str, tasks: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE tasks.programmes, platform.units RESTART IDENTITY CASCADE")
        await conn.executemany(
            "INSERT INTO platform.units (code, name, short_name, kind) VALUES ($1,$2,$3,$4)",
            [
                (
                    f"u{i:02d}",
                    f"单位{i:02d}",
                    f"单位{i:02d}",
                    "district" if i >= 37 else "department",
                )
                for i in range(49)
            ],
        )
        programme = await conn.fetchval(
            "INSERT INTO tasks.programmes (code, name, year, starts_on, ends_on, benchmark_city,"
            " settings) VALUES ('2026', '基准', 2026, '2026-01-01', '2026-12-31', '深圳市',"
            ' \'{"lagging_after_days": 0, "seriously_lagging_after_days": 30}\') RETURNING id'
        )
        domains = [
            await conn.fetchval(
                "INSERT INTO tasks.domains (programme_id, code, name, ordinal) VALUES"
                " ($1, $2, $3, $4) RETURNING id",
                programme,
                f"d{i}",
                f"领域{i}",
                i,
            )
            for i in range(14)
        ]
        for n in range(1, tasks + 1):
            task = await conn.fetchval(
                "INSERT INTO tasks.tasks (programme_id, number, domain_id, task_class, title,"
                " goal, lead_unit_id, deadline, status) VALUES ($1,$2,$3,'A',$4,'目标',$5,"
                " '2026-12-31','in_progress') RETURNING id",
                programme,
                n,
                domains[n % 14],
                f"任务{n}",
                1 + n % 49,
            )
            await conn.executemany(
                "INSERT INTO tasks.task_responsible_units (task_id, unit_id) VALUES ($1, $2)",
                [(task, 1 + (n + k) % 49) for k in (7, 19)],
            )
            for ordinal in range(1, 4):
                planned = date(2026, 1, 31) + timedelta(days=90 * ordinal)
                done = planned if n % 3 else None
                await conn.execute(
                    "INSERT INTO tasks.milestones (task_id, ordinal, title, planned_date,"
                    " baseline_date, completed_on, state) VALUES ($1,$2,$3,$4,$4,$5,$6)",
                    task,
                    ordinal,
                    f"节点{ordinal}",
                    planned,
                    done,
                    "closed_out" if done else "open",
                )
    finally:
        await conn.close()


async def _baseline(dsn: str, rounds: int) -> Timer:
    conn = await asyncpg.connect(dsn)
    timer = Timer()
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            await conn.fetch("SELECT * FROM tasks.tasks ORDER BY number")
            await conn.fetch("SELECT * FROM tasks.milestones")
            await conn.fetch("SELECT * FROM tasks.task_responsible_units")
            timer.add(time.perf_counter() - started)
    finally:
        await conn.close()
    return timer


async def _measure(token: str, rounds: int) -> Timer:
    timer = Timer()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(5):  # warm up
            await client.get(
                "/api/tasks/v1/battle-map", params={"as_of": "2026-08-15"}, headers=headers
            )
        for _ in range(rounds):
            started = time.perf_counter()
            response = await client.get(
                "/api/tasks/v1/battle-map", params={"as_of": "2026-08-15"}, headers=headers
            )
            timer.add(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return timer


async def run(rounds: int) -> None:
    url = fresh_database("bench_battle_map")
    dsn = asyncpg_dsn(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "dev",
        "LOG_LEVEL": "WARNING",
        "OUTBOX_RELAY_ENABLED": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.reform_tasks.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        settings = Settings(database_url=url)
        token = issue_token(settings, username="bench", role=Role.office_admin, unit_code=None)
        for tasks, target in ((210, 0.050), (2100, 0.300)):
            await _seed(dsn, tasks)
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{PORT}/readyz", timeout=1)
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            api = await _measure(token, rounds)
            base = await _baseline(dsn, rounds)
            print(
                f"tasks={tasks:>5} battle-map p50={api.median * 1000:6.1f} ms "
                f"p95={api.p(0.95) * 1000:6.1f} ms (target < {target * 1000:.0f} ms) | "
                f"baseline raw fetch p50={base.median * 1000:5.1f} ms | "
                f"ratio p50 {api.median / base.median:4.1f}×",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    asyncio.run(run(parser.parse_args().requests))
