"""Webhook load with faults at full size (issue: reliability, item 1).

2,000 work orders × 5 lifecycle events = 10,000 signed deliveries, each sent 1–3 times and
shuffled, over 16 connections by a sender that retries every non-2xx (and every connection
error) on a compressed Standard Webhooks schedule. At 30 % of the copies PostgreSQL is stopped
(`pg_ctl stop -m fast`) for a few seconds and started again; at 60 % hotline_ingest is killed
with SIGKILL and restarted. Then the same deliveries are replayed once, in order, into a second
database, and the two are compared: work orders, events, outbox rows, distinct deliveries.

Runs on a PostgreSQL of its own (./var/test-pg-<TEST_PG_PORT>-bench-webhook, restartable),
127.0.0.1 only. Exit status 1 if anything differs.

Run: .venv/bin/python bench/reliability_webhook.py [--orders 2000] [--pg-down 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pg
from tests.reliability.faults import PrivateCluster, webhook_with_faults


async def main(orders: int, pg_down: float, concurrency: int) -> int:
    pg.start_and_prepare()  # the migrated template the private cluster is filled from
    cluster = PrivateCluster("bench-webhook")
    cluster.start()
    try:
        with tempfile.TemporaryDirectory() as logs:
            run = await webhook_with_faults(
                cluster,
                Path(logs),
                orders,
                pg_down_seconds=pg_down,
                concurrency=concurrency,
            )
    finally:
        cluster.stop()
    report = run.report
    checks = {
        "no delivery given up": report.gave_up == [],
        "no 500 (database down is a 503)": "500" not in report.statuses,
        "work orders equal the in-order replay": run.faulted["work_orders"]
        == run.reference["work_orders"],
        "events stored once, equal the replay": run.faulted["events"] == run.reference["events"],
        "outbox rows equal the replay": run.faulted["outbox"] == run.reference["outbox"],
        "each delivery id stored once": run.faulted["deliveries"] == [(run.deliveries,)],
        "no applied delivery without its event": run.half_written == 0,
    }
    print(f"orders {run.orders}, deliveries {run.deliveries}, copies sent {report.requests}")
    print(f"sending took {report.seconds:.1f} s ({report.requests / report.seconds:.0f} req/s)")
    print(f"answers: {dict(sorted(report.statuses.items()))}")
    print(f"in-order replay took {run.replay_seconds:.1f} s")
    print(f"work orders {len(run.faulted['work_orders'])}, events {len(run.faulted['events'])}")
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--pg-down", type=float, default=3.0, help="seconds PostgreSQL is down")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.orders, args.pg_down, args.concurrency)))
