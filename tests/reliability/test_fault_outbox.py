"""Service outage and crashes with the outbox in between (issue items 2 and 3, small;
`bench/reliability_outage.py` keeps evaluation down for 60 s under a larger load).

The demo city runs as three real processes. While the 12345 platform pushes signed work orders
and the scheduler's sweeps run in reform_tasks, evaluation is killed with SIGKILL mid-batch and
kept down; meanwhile reform_tasks is killed with SIGKILL mid-sweep and restarted. The outboxes
hold every event; when evaluation returns they drain, each event is applied exactly once, and
the live scores equal a full recompute."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from shared.auth import issue_token
from shared.models import Role
from shared.settings import REPO_ROOT, Environment, Settings
from tests.reliability.conftest import api_scores, fetch, load_demo
from tests.reliability.faults import SECRET, Sender, lifecycles
from tests.reliability.processes import JWT_SECRET, Services

OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "8"))
ORDERS = 60
PENDING = "SELECT count(*) FROM platform.outbox"
SWEEP_DAYS = [f"2026-{month:02d}-{day:02d}" for month in range(3, 10) for day in (5, 20)]


def service_headers() -> dict[str, str]:
    settings = Settings(
        environment=Environment.test,
        jwt_secret=JWT_SECRET,
        _env_file=None,  # type: ignore[call-arg]
    )
    token = issue_token(settings, username="service:scheduler", role=Role.service, unit_code=None)
    return {"Authorization": f"Bearer {token}"}


async def run_sweeps(services: Services, done: list[str]) -> None:
    """The scheduler's lagging-milestone sweep for each day, retried until it succeeds (a
    sweep is one transaction and idempotent)."""
    async with httpx.AsyncClient(timeout=30) as client:
        for day in SWEEP_DAYS:
            for _ in range(200):
                try:
                    response = await client.post(
                        f"{services.url('reform_tasks')}/api/tasks/v1/sweeps/lagging",
                        params={"as_of": day},
                        headers=service_headers(),
                    )
                    if response.is_success:
                        done.append(day)
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)


async def wait_drained(url: str, within: float = 120) -> int:
    """Until no outbox row is undelivered; returns how many were delivered."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        ((pending, delivered),) = await fetch(
            url,
            "SELECT count(*) FILTER (WHERE delivered_at IS NULL), count(*) FILTER "
            "(WHERE delivered_at IS NOT NULL) FROM platform.outbox",
        )
        if pending == 0:
            return int(str(delivered))
        assert asyncio.get_running_loop().time() < deadline, f"{pending} events never drained"
        await asyncio.sleep(0.5)


async def test_outage_and_crashes_lose_nothing_and_scores_equal_a_recompute(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database("outage")
    await load_demo(url)
    services = Services(url, tmp_path / "logs", env={"HOTLINE_WEBHOOK_SECRETS": SECRET})
    services.start()
    sweeps_done: list[str] = []
    try:
        sender = Sender(services.url("hotline_ingest"), lifecycles(ORDERS, seed=4), seed=4)
        sending = asyncio.create_task(sender.run())
        sweeping = asyncio.create_task(run_sweeps(services, sweeps_done))
        await sender.reached(0.2)
        services.kill("evaluation")  # a crash in the middle of applying a batch
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        services.kill("reform_tasks")  # mid-sweep, mid-relay
        services.start("reform_tasks")
        await asyncio.sleep(OUTAGE_SECONDS / 2)
        ((held,),) = await fetch(
            url, "SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL"
        )
        assert int(str(held)) > 0  # the outboxes are holding events for evaluation
        services.start("evaluation")
        report = await asyncio.wait_for(sending, 120)
        await asyncio.wait_for(sweeping, 120)
        delivered = await wait_drained(url)
    finally:
        services.stop()

    assert report.gave_up == []
    assert sweeps_done == SWEEP_DAYS
    # Each event applied exactly once: one inbox claim per delivered outbox row, nothing else.
    ((outbox, inbox, unmatched, facts_dup),) = await fetch(
        url,
        "SELECT (SELECT count(*) FROM platform.outbox WHERE consumer = 'evaluation'),"
        " (SELECT count(*) FROM platform.inbox WHERE consumer = 'evaluation'),"
        " (SELECT count(*) FROM platform.outbox o WHERE o.consumer = 'evaluation' AND NOT EXISTS"
        "   (SELECT 1 FROM platform.inbox i WHERE i.consumer = 'evaluation'"
        "    AND i.event_id = o.id)),"
        " (SELECT count(*) - count(DISTINCT event_id) FROM evaluation.facts)",
    )
    assert outbox == inbox == delivered
    assert (unmatched, facts_dup) == (0, 0)
    ((orders,),) = await fetch(url, "SELECT count(*) FROM hotline.work_orders")
    assert orders == ORDERS

    live = await api_scores(url)
    recompute = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.evaluation", "recompute", "--programme", "2026"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert recompute.returncode == 0, recompute.stderr
    recomputed = await api_scores(url)
    for period in live:
        assert live[period] == recomputed[period], period
    assert len(live["2026"]) == 49
