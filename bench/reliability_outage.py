"""Evaluation outage and crashes at full size (issue: reliability, items 2 and 3).

The demo city (49 units, 210 tasks) runs as three uvicorn processes on a fresh database. Load:
600 signed 12345 work orders (3,000 deliveries, sent 1–3 times, shuffled) and the lagging
sweep for 14 days of the year. Evaluation is killed with SIGKILL once the load is 20 % through
and stays down for 60 s; halfway through the outage reform_tasks and hotline_ingest are killed
with SIGKILL and restarted. When evaluation comes back the outboxes drain (the relay's backoff
grows during the outage, capped at 300 s); then every outbox row must have exactly one inbox
claim, no fact may be doubled, and the scores of every period must equal a full recompute.

127.0.0.1 only; a database on the test cluster (TEST_PG_PORT), dropped afterwards.

Run: .venv/bin/python bench/reliability_outage.py [--outage 60] [--orders 600]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import pg
from tests.reliability.conftest import load_demo
from tests.reliability.faults import (
    SWEEP_DAYS,
    outage_with_crashes,
    recompute_changes_nothing,
)

DATABASE = "bench_reliability_outage"


async def main(outage: float, orders: int) -> int:
    cluster = pg.start_and_prepare()
    url = pg.clone_database(cluster, DATABASE)
    try:
        await load_demo(url)
        with tempfile.TemporaryDirectory() as logs:
            run = await outage_with_crashes(
                url,
                Path(logs),
                orders,
                outage_seconds=outage,
                kill_hotline=True,
                drain_within=900,
            )
        changed = await recompute_changes_nothing(url)
    finally:
        cluster.psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    outbox, inbox, unmatched, duplicate_facts = run.ledger
    checks = {
        "no delivery given up": run.report.gave_up == [],
        "every sweep done": run.sweeps == SWEEP_DAYS,
        "outboxes held events during the outage": run.held > 0,
        "load ran on after evaluation returned": run.report.seconds > run.down_seconds,
        "every work order stored": run.orders == orders,
        "one inbox claim per outbox row": outbox == inbox == run.delivered and unmatched == 0,
        "no fact applied twice": duplicate_facts == 0,
        "scores equal a full recompute (every period)": changed == [],
    }
    report = run.report
    print(f"evaluation down {run.down_seconds:.1f} s (asked {outage:.0f} s)")
    print(f"deliveries sent {report.requests} in {report.seconds:.1f} s")
    print(f"answers: {dict(sorted(report.statuses.items()))}")
    print(f"held in the outbox when evaluation returned: {run.held}")
    print(f"drained {run.delivered} events in {run.drain_seconds:.1f} s after the load ended")
    if changed:
        print(f"periods whose scores changed on recompute: {changed}")
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--outage", type=float, default=60.0, help="seconds evaluation is down")
    parser.add_argument("--orders", type=int, default=600)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.outage, args.orders)))
