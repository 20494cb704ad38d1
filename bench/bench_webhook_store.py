"""The webhook's store alone, by group size (issue: hotline_ingest performance).

`bench_webhook.py` measures the whole path; this one isolates what a group commit costs
PostgreSQL: deliveries are parsed and signed up front (not timed), then sealed and stored by
`BatchStore._run` — one `hotline.receive_batch` call and commit per group — over 2 connections
with the webhook pool's planner settings, for each group size. Printed per size: deliveries/s,
the ratio to the same run's baseline (a raw asyncpg commit-per-row loop of `INSERT … ON
CONFLICT DO NOTHING` over 16 connections), and CPU per delivery of PostgreSQL and of the
Python side (encoding, encryption of the raw body). Shows the fixed cost of a group against the
cost per delivery, i.e. how large the groups must be for a given throughput.

Run: .venv/bin/python bench/bench_webhook_store.py [--deliveries 8000] [--sizes 1,4,16,32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import uvloop

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bench_webhook as whole  # noqa: E402
from bench.common import asyncpg_dsn  # noqa: E402

os.environ.setdefault("ENVIRONMENT", "dev")
os.environ["HOTLINE_WEBHOOK_SECRETS"] = whole.SECRET

from services.hotline_ingest.webhook import service  # noqa: E402
from services.hotline_ingest.webhook.repository import (  # noqa: E402
    PLANNER_SETTINGS,
    BatchStore,
    Receipt,
)
from shared.settings import Settings  # noqa: E402

CONNECTIONS = 2


async def _no_reset(conn: asyncpg.Connection) -> None:
    """As the service's pool: no reset round trip on release."""


def receipts(settings: Settings, run: str, count: int) -> list[Receipt]:
    found = []
    for raw in whole.build_requests(count, run):
        head, body = raw.split(b"\r\n\r\n", 1)
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, value = line.split(b": ", 1)
            headers[name.decode().lower()] = value.decode()
        found.append(service.parse(settings, body, headers))
    return found


async def one_size(
    dsn: str, settings: Settings, size: int, count: int
) -> tuple[float, float, float]:
    await whole.prepare(dsn)
    batch = receipts(settings, f"s{size}", count + 20 * size)
    pool = await asyncpg.create_pool(
        dsn,
        min_size=CONNECTIONS,
        max_size=CONNECTIONS,
        reset=_no_reset,
        server_settings=PLANNER_SETTINGS,  # as the webhook's own pool (`create_pool`)
    )
    store = BatchStore(pool, settings)
    groups = [
        sorted(batch[i : i + size], key=lambda r: r.lock_order) for i in range(0, len(batch), size)
    ]

    async def store_group(conn: asyncpg.Connection, group: list[Receipt]) -> None:
        await store._run(
            conn, [receipt.args(settings) for receipt in group], [r.caller_key for r in group]
        )

    async with pool.acquire() as conn:
        for group in groups[:20]:  # warm-up: connections, plans
            await store_group(conn, group)
    timed = iter(groups[20:])
    done = sum(len(g) for g in groups[20:])
    postgres = whole.postmaster_pid(int(dsn.rsplit(":", 1)[1].split("/")[0]))
    cpu_before = whole.cpu_seconds(postgres) if postgres else 0.0
    client_before = time.process_time()
    started = time.perf_counter()

    async def worker() -> None:
        async with pool.acquire() as conn:
            for group in timed:
                await store_group(conn, group)

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    elapsed = time.perf_counter() - started
    postgres_cpu = (whole.cpu_seconds(postgres) if postgres else 0.0) - cpu_before
    client_cpu = time.process_time() - client_before
    await pool.close()
    return done / elapsed, postgres_cpu / done * 1e6, client_cpu / done * 1e6


async def create_baseline_table(dsn: str) -> None:
    setup = await asyncpg.connect(dsn)
    await setup.execute(
        "DROP TABLE IF EXISTS public.bench_baseline;"
        "CREATE TABLE public.bench_baseline (id text PRIMARY KEY, body text NOT NULL)"
    )
    await setup.close()


async def baseline(dsn: str, seconds: float, tag: str) -> float:
    """Raw asyncpg: single-row INSERT … ON CONFLICT DO NOTHING, commit per row, 16 connections
    (`tag` keeps each slice's keys new, so every row is really inserted)."""
    body = json.dumps({"type": "work_order.accepted", "data": {"order_no": "X"}})
    connections = [await asyncpg.connect(dsn) for _ in range(whole.CONNECTIONS)]
    statement = (
        "INSERT INTO public.bench_baseline (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    )
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker(index: int, conn: asyncpg.Connection) -> None:
        nonlocal count
        n = 0
        while time.perf_counter() < deadline:
            await conn.execute(statement, f"{tag}-{index}-{n}", body)
            n += 1
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i, c) for i, c in enumerate(connections)))
    elapsed = time.perf_counter() - started
    for conn in connections:
        await conn.close()
    return count / elapsed


async def run(args: argparse.Namespace, url: str) -> None:
    dsn = asyncpg_dsn(url)
    settings = Settings()
    await create_baseline_table(dsn)
    base_before = await baseline(dsn, args.baseline_seconds, "before")
    results = {
        size: await one_size(dsn, settings, size, args.deliveries)
        for size in (int(s) for s in args.sizes.split(","))
    }
    base_after = await baseline(dsn, args.baseline_seconds, "after")
    base = (base_before + base_after) / 2
    print(f"baseline (asyncpg commit per row, 16 conns): {base_before:,.0f} / {base_after:,.0f}")
    print("group | deliveries/s | ratio | PostgreSQL CPU µs/delivery | Python CPU µs/delivery")
    for size, (rate, pg_cpu, py_cpu) in results.items():
        print(f"{size:5d} | {rate:12,.0f} | {rate / base:5.2f}× | {pg_cpu:26.0f} | {py_cpu:22.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=8000)
    parser.add_argument("--sizes", default="1,4,16,32")
    parser.add_argument("--baseline-seconds", type=float, default=5)
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PG_PORT", 54399)))
    arguments = parser.parse_args()
    database, cluster = whole.durable_database(arguments.pg_port)
    uvloop.install()
    try:
        asyncio.run(run(arguments, database))
    finally:
        cluster.stop()
    print(f"postgres: its own cluster on :{arguments.pg_port} (fsync on, synchronous_commit on)")
