"""12345 burst → live scores, end to end (issue #24, target 1).

A burst of `--deliveries` (10,000) signed 12345 deliveries — realistic lifecycles (created →
accepted → replied → closed → visited, some out of order, 3 % repeated deliveries) over 16
keep-alive connections, closed loop — to hotline_ingest, whose outbox relay carries the derived
events to evaluation, which applies them to the live scores. Measured in one run:

- **ingest**: deliveries/s the webhook acknowledged (2xx), and the outbox events they made per s;
- **consumer**: events/s evaluation applied, from its first claim of the burst to its last;
- **converged**: seconds from the last 2xx until every event of the burst was applied;
- **equal to a recompute**: the scores of every period as the office reads them, before and after
  `python -m services.evaluation recompute` (none may differ).

Targets: converged within 10 s of the last 2xx; consumer ≥ 0.5× the ingest rate (events/s).
`--scale 10` then sends a burst ten times larger on top and prints the growth of the time from
the first delivery to converged scores (goal ≤ 12×).

Two ways to run it:
- in isolation (default): the demo city on a fresh database of the embedded test cluster, its
  events already applied, and the three services as uvicorn processes with their relays on;
- `--stack`: against a running `make up` (its database and hotline_ingest's port from the
  settings, the webhook secret from var/dev.env); deliveries go to the service's port, not through
  the SPA's dev proxy, as a 12345 platform would reach it through nginx.

Run: .venv/bin/python bench/bench_pipeline.py [--deliveries 10000] [--scale 10] [--stack]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_webhook import SECRET, build_requests, closed_loop  # noqa: E402
from bench.common import asyncpg_dsn, fresh_database, make_up_database_url  # noqa: E402
from tests.reliability.processes import Services  # noqa: E402

TARGET_SECONDS = 10.0
TARGET_RATIO = 0.5
MADE = (
    "SELECT count(*) FROM platform.outbox"
    " WHERE producer = 'hotline_ingest' AND consumer = 'evaluation'"
)


@dataclass
class Progress:
    """Evaluation's inbox and hotline's outbox, sampled while the burst drains."""

    claimed: int
    pending: int


async def progress(conn: asyncpg.Connection, since: float) -> Progress:
    claimed, pending = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM platform.inbox WHERE consumer = 'evaluation'"
        "         AND received_at >= to_timestamp($1)),"
        "       (SELECT count(*) FROM platform.outbox WHERE producer = 'hotline_ingest'"
        "         AND delivered_at IS NULL)",
        since,
    )
    return Progress(int(claimed), int(pending))


async def burst(
    args: argparse.Namespace, dsn: str, port: int, secret: str, size: int
) -> dict[str, float]:
    stamp = int(time.time())
    run = f"P{stamp % 1_000_000:06d}"
    # A seed of its own: another run's callers are not this one's (no run links a burst's
    # orders as repeats of an earlier run's).
    requests = build_requests(size, run, seed=stamp, secret=secret)
    conn = await asyncpg.connect(dsn)
    first_claim: list[float] = []

    async def watch_first_claim(since: float) -> None:
        while not first_claim:
            if (await progress(conn, since)).claimed:
                first_claim.append(time.perf_counter())
            await asyncio.sleep(0.05)

    try:
        before = int(await conn.fetchval(MADE))
        started_wall, started = time.time(), time.perf_counter()
        watching = asyncio.create_task(watch_first_claim(started_wall))
        rate, statuses = await closed_loop(requests, 3600, port)
        last_2xx = time.perf_counter()
        await asyncio.wait_for(watching, args.within)  # the connection is free after it
        made = int(await conn.fetchval(MADE)) - before
        while (seen := await progress(conn, started_wall)).pending or seen.claimed < made:
            if time.perf_counter() - last_2xx > args.within:
                raise RuntimeError(f"{seen.pending} events still pending after {args.within} s")
            await asyncio.sleep(0.05)
        drained = time.perf_counter()
    finally:
        await conn.close()
    ingest_seconds = last_2xx - started
    consume_seconds = drained - first_claim[0]
    return {
        "deliveries": float(sum(statuses.values())),
        "non_2xx": float(
            sum(c for s, c in statuses.items() if not (isinstance(s, int) and s < 300))
        ),
        "ingest_per_s": rate,
        "events": float(made),
        "events_made_per_s": made / ingest_seconds,
        "events_applied_per_s": made / consume_seconds,
        "converged_after_last_2xx": drained - last_2xx,
        "ingest_seconds": ingest_seconds,
        "consume_seconds": consume_seconds,
    }


async def equal_to_recompute(url: str) -> list[str]:
    from tests.reliability.faults import recompute_changes_nothing

    return await recompute_changes_nothing(url)


def isolated_stack(url: str, logs: Path) -> tuple[Services, int]:
    services = Services(url, logs, env={"HOTLINE_WEBHOOK_SECRETS": SECRET})
    services.start()
    return services, services.ports["hotline_ingest"]


async def demo_database() -> str:
    from tests.reliability.conftest import drain_to_evaluation, load_demo

    url = fresh_database("bench_pipeline")
    await load_demo(url)
    await drain_to_evaluation(url)
    return url


def make_up_stack() -> tuple[str, int, str]:
    from shared.devstack import read_dev_env
    from shared.settings import get_settings

    settings = get_settings()
    secret = read_dev_env()["HOTLINE_WEBHOOK_SECRETS"].split(",")[0]
    port = httpx.URL(settings.hotline_url).port
    assert port is not None
    return make_up_database_url(), port, secret


def report(args: argparse.Namespace, result: dict[str, float]) -> bool:
    ratio = result["events_applied_per_s"] / result["events_made_per_s"]
    converged = result["converged_after_last_2xx"]
    print(
        f"ingest: {result['deliveries']:,.0f} deliveries in {result['ingest_seconds']:.1f} s = "
        f"{result['ingest_per_s']:,.0f}/s (non-2xx {result['non_2xx']:.0f}); "
        f"{result['events']:,.0f} events for evaluation = {result['events_made_per_s']:,.0f}/s"
    )
    print(
        f"  consumer: {result['events_applied_per_s']:,.0f} events/s over "
        f"{result['consume_seconds']:.1f} s = {ratio:.2f}× the ingest (target ≥ {TARGET_RATIO}×)"
    )
    print(f"  converged {converged:.1f} s after the last 2xx (target ≤ {TARGET_SECONDS:g} s)")
    return ratio >= TARGET_RATIO and converged <= TARGET_SECONDS


async def bursts(args: argparse.Namespace, url: str, port: int, secret: str) -> bool:
    """The burst, then (`--scale`) one `scale` times larger on top of it: the growth of the time
    from the first delivery to converged scores (goal ≤ 12×)."""
    where = "the running make up stack" if args.stack else "isolated services on the demo city"
    print(f"where: {where}")
    sizes = [args.deliveries] + ([args.deliveries * args.scale] if args.scale > 1 else [])
    results, met = [], []
    for size in sizes:
        results.append(await burst(args, asyncpg_dsn(url), port, secret, size))
        met.append(report(args, results[-1]))
    if len(results) == 2:
        small, large = (r["ingest_seconds"] + r["converged_after_last_2xx"] for r in results)
        print(f"growth {args.scale}× deliveries: {large / small:.1f}× the time (goal ≤ 12×)")
    return met[0]  # the targets are the first burst's


async def main(args: argparse.Namespace) -> None:
    if args.stack:
        url, port, secret = make_up_stack()
        ok = await bursts(args, url, port, secret)
    else:
        url = await demo_database()
        with tempfile.TemporaryDirectory() as logs:
            services, port = await asyncio.to_thread(isolated_stack, url, Path(logs))
            try:
                ok = await bursts(args, url, port, SECRET)
            finally:
                services.stop()
    differing = await equal_to_recompute(url)
    equal = "yes" if not differing else "NO: " + ", ".join(differing)
    print(f"scores equal to a full recompute: {equal}")
    print("PASS" if ok and not differing else "FAIL")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=1, help="then a burst this many times larger")
    parser.add_argument("--within", type=float, default=300, help="give up after this many s")
    parser.add_argument("--stack", action="store_true", help="against a running make up")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    asyncio.run(main(parser.parse_args()))
