"""Service outage and crashes with the outbox in between (issue items 2 and 3, small;
`bench/reliability_outage.py` keeps evaluation down for 60 s under a larger load and kills
every service).

The demo city runs as three real processes. While the 12345 platform pushes signed work orders
and the scheduler's sweeps run in reform_tasks, evaluation is killed with SIGKILL mid-batch and
kept down; meanwhile reform_tasks is killed with SIGKILL mid-sweep and restarted. The outboxes
hold every event; when evaluation returns they drain, each event is applied exactly once, and
the scores equal a full recompute."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tests.reliability.conftest import load_demo
from tests.reliability.faults import SWEEP_DAYS, outage_with_crashes, recompute_changes_nothing

OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "8"))
ORDERS = 60


async def test_outage_and_crashes_lose_nothing_and_scores_equal_a_recompute(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database("outage")
    await load_demo(url)
    run = await outage_with_crashes(
        url, tmp_path / "logs", ORDERS, outage_seconds=OUTAGE_SECONDS, drain_within=120
    )

    assert run.report.gave_up == []
    assert run.sweeps == SWEEP_DAYS
    assert run.held > 0  # the outboxes held events while evaluation was down
    outbox, inbox, unmatched, duplicate_facts = run.ledger
    assert outbox == inbox == run.delivered  # each event applied exactly once
    assert (unmatched, duplicate_facts) == (0, 0)
    assert run.orders == ORDERS
    assert await recompute_changes_nothing(url) == []
