"""Event → score visible, end to end, under load (issue: evaluation: p95 < 1 s at 120 events/s).

Real processes on 127.0.0.1: reform_tasks (its outbox relay) and evaluation (uvicorn). The
benchmark commits events into reform_tasks' outbox at a fixed open-loop rate, as reform_tasks'
own transactions would, and listens on evaluation's SSE stream for the `score.changed` of each
event. Latency = from the outbox commit to the SSE message. Baseline in the same run: the round
trip of a trivial `SELECT 1` commit on the same database, for scale.

`--scale 10`: then (scale − 2) rounds' events more are applied at once and one more round is
measured, on a year ten times as large; the growth of the p95 is printed (goal ≤ 12×).

Run: .venv/bin/python bench/bench_event_latency.py [--rate 120] [--seconds 15] [--scale 10]
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
from dataclasses import dataclass
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


CODES = [u["code"] for u in UNITS]
INSERT = (
    "INSERT INTO platform.outbox (id, type, occurred_at, programme, unit_code, data,"
    " producer, consumer) VALUES ($1, 'milestone.lagging', now(), '2026', $2, $3,"
    " 'reform_tasks', 'evaluation')"
)


@dataclass
class Round:
    sent: int
    achieved: float
    latencies: Timer


async def measure(
    conn: asyncpg.Connection,
    rate: int,
    seconds: int,
    offset: int,
    sent: dict[str, float],
    seen: dict[str, float],
) -> Round:
    """An open loop of `rate` events/s for `seconds` (task numbers from `offset` + 1): the
    seconds from each outbox commit to the SSE message naming it."""
    interval = 1 / rate
    ours: list[str] = []
    start = time.perf_counter()
    for n in range(rate * seconds):
        target = start + n * interval
        await asyncio.sleep(max(0.0, target - time.perf_counter()))
        event_id = str(uuid.uuid4())
        unit = CODES[n % len(CODES)]
        await conn.execute(
            INSERT, uuid.UUID(event_id), unit, json.dumps(_lagging(offset + n + 1, unit))
        )
        sent[event_id] = time.perf_counter()
        ours.append(event_id)
    deadline = time.perf_counter() + 15
    while any(e not in seen for e in ours) and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    latencies = Timer()
    for event_id in ours:
        if event_id in seen:
            latencies.add(seen[event_id] - sent[event_id])
    return Round(len(ours), len(ours) / (sent[ours[-1]] - start), latencies)


async def prefill(conn: asyncpg.Connection, count: int, offset: int) -> None:
    """`count` events more, committed at once, and wait until evaluation has them all."""
    rows = [
        (
            uuid.uuid4(),
            CODES[n % len(CODES)],
            json.dumps(_lagging(offset + n + 1, CODES[n % len(CODES)])),
        )
        for n in range(count)
    ]
    await conn.executemany(INSERT, rows)
    while await conn.fetchval("SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL"):
        await asyncio.sleep(0.5)


def print_latency(prefix: str, result: Round, baseline: Timer) -> None:
    latencies = result.latencies
    p50, p95, p99 = (latencies.p(q) * 1000 for q in (0.5, 0.95, 0.99))
    print(
        f"{prefix}events sent={result.sent} at {result.achieved:.0f}/s, "
        f"score visible for {len(latencies.samples)}"
    )
    print(
        f"{prefix}latency p50={p50:.0f} ms p95={p95:.0f} ms p99={p99:.0f} ms "
        f"(target p95 < 1000 ms); "
        f"baseline SELECT 1 p50={baseline.median * 1000:.2f} ms"
    )


async def run(rate: int, seconds: int, scale: int) -> None:
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
        first = await measure(conn, rate, seconds, 0, sent, seen)
        print_latency("", first, baseline)
        if scale > 1:
            # Grow the year to `scale` times the events before the second measurement ends:
            # (scale - 2) rounds more applied at once, then one more measured round.
            await prefill(conn, (scale - 2) * rate * seconds, rate * seconds)
            grown = await measure(conn, rate, seconds, (scale - 1) * rate * seconds, sent, seen)
            print_latency(f"at {scale}× the events: ", grown, baseline)
            growth = grown.latencies.p(0.95) / first.latencies.p(0.95)
            print(f"growth at {scale}× data: p95 {growth:.1f}× (goal ≤ 12×)")
        listener.cancel()  # and wait until its connection is closed: an open stream would hold
        await asyncio.gather(listener, return_exceptions=True)  # uvicorn's shutdown
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
    parser.add_argument(
        "--scale", type=int, default=1, help="then measure again with this many times the events"
    )
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.seconds, args.scale))
