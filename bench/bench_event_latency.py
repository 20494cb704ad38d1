"""Event → score visible, end to end, under load (issue: evaluation: p95 < 1 s at 120 events/s).

Real processes on 127.0.0.1: reform_tasks (its outbox relay) and evaluation (uvicorn). The
benchmark commits events into reform_tasks' outbox at a fixed open-loop rate, as reform_tasks'
own transactions would, and listens on evaluation's SSE stream for the `score.changed` of each
event. Latency = from the outbox commit to the SSE message. Baseline in the same run: the round
trip of a trivial `SELECT 1` commit on the same database, for scale.

Run: .venv/bin/python bench/bench_event_latency.py [--rate 120] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import Timer, asyncpg_dsn, fresh_database  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.models import Role  # noqa: E402
from shared.settings import Settings  # noqa: E402

TASKS_PORT, EVALUATION_PORT = 18791, 18792
UNITS = json.loads((ROOT / "shared/demo/data/units.json").read_text())["units"]


def _start(module: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            module,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _wait_ready(port: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"port {port} never became ready")


def _lagging(task: int, unit: str) -> dict[str, object]:
    """A complete `milestone.lagging` (the catalogue's MilestoneLagging, shared/events.py)."""
    return {
        "task_number": task,
        "milestone": 1,
        "title": f"任务{task}节点1",
        "planned_date": "2026-03-31",
        "baseline_date": None,
        "lead_unit": unit,
        "responsible_units": [],
        "severity": "lagging",
        "previous_severity": "none",
        "days_late": 1,
        "as_of": "2026-04-01",
    }


async def run(rate: int, seconds: int) -> None:
    url = fresh_database("bench_latency")
    dsn = asyncpg_dsn(url)
    conn = await asyncpg.connect(dsn)
    await conn.execute("DELETE FROM platform.units")
    await conn.executemany(
        "INSERT INTO platform.units (code, name, short_name, kind) VALUES ($1,$2,$3,$4)",
        [(u["code"], u["name"], u["short_name"], u["kind"]) for u in UNITS],
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "dev",
        "LOG_LEVEL": "WARNING",
        "EVALUATION_URL": f"http://127.0.0.1:{EVALUATION_PORT}",
        "REFORM_TASKS_URL": f"http://127.0.0.1:{TASKS_PORT}",
        "OUTBOX_POLL_SECONDS": "0.1",
    }
    processes = [
        _start("services.evaluation.app:app", EVALUATION_PORT, env),
        _start("services.reform_tasks.app:app", TASKS_PORT, env),
    ]
    try:
        await _wait_ready(EVALUATION_PORT)
        await _wait_ready(TASKS_PORT)
        settings = Settings(database_url=url)  # the same secrets the servers read
        token = issue_token(settings, username="bench", role=Role.office_admin, unit_code=None)
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}

        async def listen() -> None:
            async with (
                httpx.AsyncClient(timeout=httpx.Timeout(5, read=60)) as client,
                client.stream(
                    "GET",
                    f"http://127.0.0.1:{EVALUATION_PORT}/api/evaluation/v1/stream",
                    headers={"Authorization": f"Bearer {token}"},
                ) as response,
            ):
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        message = json.loads(line[5:])
                        now = time.perf_counter()
                        for event_id in message.get("event_ids") or [message.get("event_id")]:
                            if event_id and event_id not in seen:
                                seen[event_id] = now

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)
        baseline = Timer()
        for _ in range(50):
            started = time.perf_counter()
            await conn.execute("SELECT 1")
            baseline.add(time.perf_counter() - started)
        interval = 1 / rate
        codes = [u["code"] for u in UNITS]
        start = time.perf_counter()
        for n in range(rate * seconds):
            target = start + n * interval
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            event_id = str(uuid.uuid4())
            await conn.execute(
                "INSERT INTO platform.outbox (id, type, occurred_at, programme, unit_code, data,"
                " producer, consumer) VALUES ($1, 'milestone.lagging', now(), '2026', $2, $3,"
                " 'reform_tasks', 'evaluation')",
                uuid.UUID(event_id),
                codes[n % len(codes)],
                json.dumps(_lagging(n + 1, codes[n % len(codes)])),
            )
            sent[event_id] = time.perf_counter()
        deadline = time.perf_counter() + 15
        while len(seen) < len(sent) and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        listener.cancel()  # and wait until its connection is closed: an open stream would hold
        await asyncio.gather(listener, return_exceptions=True)  # uvicorn's shutdown
        latencies = Timer()
        for event_id, at in sent.items():
            if event_id in seen:
                latencies.add(seen[event_id] - at)
        achieved = len(sent) / (max(sent.values()) - start)
        print(
            f"events sent={len(sent)} at {achieved:.0f}/s, "
            f"score visible for {len(latencies.samples)}"
        )
        print(
            f"latency p50={latencies.p(0.5) * 1000:.0f} ms p95={latencies.p(0.95) * 1000:.0f} ms "
            f"p99={latencies.p(0.99) * 1000:.0f} ms (target p95 < 1000 ms); "
            f"baseline SELECT 1 p50={baseline.median * 1000:.2f} ms"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=120)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.seconds))
