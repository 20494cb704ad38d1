"""Battle map latency for 210 and 2,100 tasks (issue: reform_tasks: p95 < 50 ms for 210 tasks,
< 300 ms for 2,100), through the real endpoint of a uvicorn process on 127.0.0.1.

The data is a city-year: 3 milestones per task, two responsible units each, a third of the
milestones closed out, progress reports on half of the tasks, and extension history (some
approved before the as-of date, some after it, so the map has to undo later moves).

Baseline in the same run: a raw asyncpg fetch of the same task, responsible-unit, milestone,
report and extension rows, so the ratio says what the API adds (auth, scoping, the as-of rules,
JSON) on top of reading the data. Measured as the office (every task) and as one unit (its
tasks only).

Run: .venv/bin/python bench/bench_battle_map.py [--requests 60]
(uses DATABASE_URL if set, else a fresh database on the embedded test cluster; < 1 min). The
2,100-task city is the 10× growth of the 210-task one: the growth of the p50 is printed (goal
≤ 12×).

`--stack`: the demo programme as of today on a running `make up`, through its gateway (:8000),
gzip-compressed as the browser asks (issue #24, target 3: p95 < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Timer, asyncpg_dsn, fresh_database, make_up_database_url  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.models import Role  # noqa: E402
from shared.settings import Settings  # noqa: E402

PORT = 18795
AS_OF = "2026-08-15"
UNITS = 49
DOMAINS = 14


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 10:00 in Shanghai


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
                for i in range(UNITS)
            ],
        )
        programme = await conn.fetchval(
            "INSERT INTO tasks.programmes (code, name, year, starts_on, ends_on, benchmark_city,"
            " settings) VALUES ('2026', '基准', 2026, '2026-01-01', '2026-12-31', '深圳市',"
            ' \'{"lagging_after_days": 0, "seriously_lagging_after_days": 30}\') RETURNING id'
        )
        await conn.executemany(
            "INSERT INTO tasks.domains (programme_id, code, name, ordinal) VALUES ($1,$2,$3,$4)",
            [(programme, f"d{i}", f"领域{i}", i) for i in range(DOMAINS)],
        )
        await conn.executemany(
            "INSERT INTO tasks.tasks (programme_id, number, domain_id, task_class, title, goal,"
            " lead_unit_id, deadline, status) VALUES ($1,$2,$3,$4,$5,'目标',$6,'2026-12-31',"
            " 'in_progress')",
            [
                (programme, n, 1 + n % DOMAINS, "ABC"[n % 3], f"任务{n}", 1 + n % UNITS)
                for n in range(1, tasks + 1)
            ],
        )
        await conn.executemany(
            "INSERT INTO tasks.task_responsible_units (task_id, unit_id) VALUES ($1, $2)",
            [(n, 1 + (n + k) % UNITS) for n in range(1, tasks + 1) for k in (7, 19)],
        )
        milestones, reports, extensions = [], [], []
        for n in range(1, tasks + 1):
            for ordinal in (1, 2, 3):
                milestone_id = (n - 1) * 3 + ordinal
                baseline = date(2026, 1, 31) + timedelta(days=90 * ordinal)
                planned = baseline
                if n % 5 == 0 and ordinal == 2:  # moved before the as-of date
                    planned = baseline + timedelta(days=30)
                    extensions.append((milestone_id, baseline, planned, _at(date(2026, 5, 1))))
                if n % 7 == 0 and ordinal == 3:  # moved after it: the map must undo the move
                    planned = baseline + timedelta(days=45)
                    extensions.append((milestone_id, baseline, planned, _at(date(2026, 9, 1))))
                done = planned - timedelta(days=n % 4) if n % 3 and ordinal == 1 else None
                milestones.append(
                    (
                        n,
                        ordinal,
                        f"节点{ordinal}",
                        planned,
                        baseline,
                        done,
                        "closed_out" if done else "open",
                    )
                )
                if n % 2 and ordinal == 2:
                    reports.append((milestone_id, 1 + n % UNITS, _at(date(2026, 7, 1))))
        await conn.executemany(
            "INSERT INTO tasks.milestones (task_id, ordinal, title, planned_date, baseline_date,"
            " completed_on, state) VALUES ($1,$2,$3,$4,$5,$6,$7)",
            milestones,
        )
        await conn.executemany(
            "INSERT INTO tasks.progress_reports (milestone_id, unit_id, submitted_at, content,"
            " claims_completion, review_status) VALUES ($1,$2,$3,'进展',false,'pending')",
            reports,
        )
        await conn.executemany(
            "INSERT INTO tasks.extension_requests (milestone_id, unit_id, requested_by, reason,"
            ' "current_date", requested_date, status, decided_by, decided_at) VALUES'
            " ($1, 1, 'bench', '理由', $2, $3, 'approved', 'office', $4)",
            extensions,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _baseline(dsn: str, rounds: int) -> Timer:
    conn = await asyncpg.connect(dsn)
    timer = Timer()
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            await conn.fetch("SELECT * FROM tasks.tasks ORDER BY number")
            await conn.fetch("SELECT * FROM tasks.task_responsible_units")
            await conn.fetch("SELECT * FROM tasks.milestones ORDER BY task_id, ordinal")
            await conn.fetch("SELECT milestone_id, submitted_at FROM tasks.progress_reports")
            await conn.fetch("SELECT * FROM tasks.extension_requests")
            timer.add(time.perf_counter() - started)
    finally:
        await conn.close()
    return timer


async def _measure(
    client: httpx.AsyncClient, token: str, rounds: int, as_of: str | None = AS_OF
) -> tuple[Timer, int]:
    timer = Timer()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    params = {"as_of": as_of} if as_of else {}
    for _ in range(5):  # warm up
        await client.get("/api/tasks/v1/battle-map", params=params, headers=headers)
    size = 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.get("/api/tasks/v1/battle-map", params=params, headers=headers)
        timer.add(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        assert response.headers.get("content-encoding") == "gzip", response.headers
        size = len(response.content)
    return timer, size


async def _wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(150):
        try:
            if (await client.get("/readyz", timeout=1)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("reform_tasks did not start")


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
    started = time.perf_counter()
    p50: dict[int, float] = {}
    try:
        settings = Settings(database_url=url)
        office = issue_token(settings, username="bench", role=Role.office_admin, unit_code=None)
        unit = issue_token(settings, username="u03", role=Role.lead_unit, unit_code="u03")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}") as client:
            await _wait_ready(client)
            for tasks, target in ((210, 0.050), (2100, 0.300)):
                await _seed(dsn, tasks)
                base = await _baseline(dsn, rounds)
                api, size = await _measure(client, office, rounds)
                mine, _ = await _measure(client, unit, rounds)
                print(
                    f"tasks={tasks:>5} office p50={api.median * 1000:6.1f} ms "
                    f"p95={api.p(0.95) * 1000:6.1f} ms (target < {target * 1000:.0f} ms, "
                    f"{size / 1024:.0f} KiB) | one unit p95={mine.p(0.95) * 1000:5.1f} ms | "
                    f"baseline raw fetch p50={base.median * 1000:5.1f} ms "
                    f"p95={base.p(0.95) * 1000:5.1f} ms | "
                    f"ratio p50 {api.median / base.median:4.1f}× "
                    f"p95 {api.p(0.95) / base.p(0.95):4.1f}× | "
                    f"{'OK' if api.p(0.95) < target else 'OVER TARGET'}",
                    flush=True,
                )
                p50[tasks] = api.median
    finally:
        server.terminate()
        server.wait(10)
    print(f"growth 210 → 2,100 tasks: p50 {p50[2100] / p50[210]:.1f}× the time (goal ≤ 12×)")
    print(f"run time {time.perf_counter() - started:.0f} s")


async def on_stack(rounds: int) -> None:
    """The demo programme as of today on a running `make up`, through its gateway (the SPA's
    origin, :8000), as the office; baseline: a raw asyncpg read of the same tables."""
    from shared.devstack import WEB_PORT
    from shared.settings import get_settings

    settings = get_settings()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{WEB_PORT}", timeout=30) as client:
        login = await client.post(
            "/api/auth/token", data={"username": "office", "password": settings.demo_password}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        base = await _baseline(asyncpg_dsn(make_up_database_url()), rounds)
        api, size = await _measure(client, token, rounds, as_of=None)
    print(
        f"make up gateway :{WEB_PORT}, demo programme as of today, office: "
        f"p50={api.median * 1000:.1f} ms p95={api.p(0.95) * 1000:.1f} ms (target < 50 ms, "
        f"{size / 1024:.0f} KiB gzip) | baseline raw fetch p50={base.median * 1000:.1f} ms | "
        f"ratio p50 {api.median / base.median:.1f}× | {'OK' if api.p(0.95) < 0.050 else 'OVER'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--stack", action="store_true", help="the demo year on a running make up")
    arguments = parser.parse_args()
    asyncio.run(on_stack(arguments.requests) if arguments.stack else run(arguments.requests))
