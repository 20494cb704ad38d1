"""Scheduler replicas (issue item 4): two real scheduler processes over the demo city, the
leader killed with SIGKILL in the middle of its catch-up of the year's reports (2026-01 …
2026-11 monthly dispatches, Q1 … Q3 notices). The standby takes the lead, the run the dead
leader left `running` is detected as stuck and retried, and every period ends with exactly one
succeeded run and exactly one report. (Time for the stuck check is simulated by ageing the
run's start in the ledger instead of waiting for SCHEDULER_STUCK_RUN_MINUTES.)"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from shared.settings import REPO_ROOT
from tests.reliability.conftest import execute, fetch, load_demo
from tests.reliability.processes import Services, signing_env

REPORT_PERIODS = 11 + 3  # by 2026-12-01: months 01–11 and quarters Q1–Q3


def scheduler(services: Services, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.scheduler"],
        cwd=REPO_ROOT,
        env={**services.env, **signing_env("scheduler"), "SCHEDULER_STUCK_RUN_MINUTES": "1"},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def until(url: str, sql: str, predicate: Callable[[object], bool], within: float) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        ((value,),) = await fetch(url, sql)
        if predicate(value):
            return
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {sql} = {value}"
        await asyncio.sleep(0.1)


REPORT_RUNS = "FROM platform.job_runs WHERE job_kind IN ('monthly_dispatch', 'quarterly_notice')"


async def test_a_killed_leader_leaves_one_report_per_period_and_its_stuck_run_is_retried(
    fresh_database: Callable[[str], str], tmp_path: Path
) -> None:
    url = fresh_database("scheduler")
    await load_demo(url)
    services = Services(url, tmp_path / "logs")
    services.start()
    leader = scheduler(services, tmp_path / "logs" / "scheduler-a.log")
    standby: subprocess.Popen[bytes] | None = None
    try:
        await until(url, f"SELECT count(*) {REPORT_RUNS} AND status = 'succeeded'", (2).__le__, 120)
        standby = scheduler(services, tmp_path / "logs" / "scheduler-b.log")
        running: list[tuple[object, ...]] = []
        while not running:  # freeze the leader while a run is in flight (else let it go on)
            await until(
                url, f"SELECT count(*) {REPORT_RUNS} AND status = 'running'", (1).__eq__, 60
            )
            leader.send_signal(signal.SIGSTOP)
            running = await fetch(
                url, f"SELECT job_kind, period, attempt {REPORT_RUNS} AND status = 'running'"
            )
            if not running:
                leader.send_signal(signal.SIGCONT)
        leader.kill()  # SIGKILL with the run in flight
        leader.wait(10)
        ((kind, period, attempt),) = running
        assert attempt == 1
        # A minute later the run is stuck; age its start rather than wait.
        await execute(
            url,
            "UPDATE platform.job_runs SET started_at = started_at - interval '2 minutes' "
            "WHERE status = 'running'",
        )
        await until(
            url,
            f"SELECT count(*) {REPORT_RUNS} AND status = 'succeeded'",
            REPORT_PERIODS.__eq__,
            180,
        )
    finally:
        for process in (leader, standby):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(20)
        services.stop()

    runs = await fetch(url, f"SELECT job_kind, period, status, attempt {REPORT_RUNS}")
    assert len(runs) == REPORT_PERIODS  # one ledger row per period
    assert {r[2] for r in runs} == {"succeeded"}
    assert (kind, period, "succeeded", 2) in runs  # the stuck run, taken over and retried
    reports = await fetch(
        url, "SELECT kind::text, period, count(*) FROM tasks.reports GROUP BY kind, period"
    )
    assert len(reports) == REPORT_PERIODS
    assert {count for _, _, count in reports} == {1}  # exactly one report per period
    daily = await fetch(
        url,
        "SELECT job_kind, count(*) FROM platform.job_runs "
        "WHERE job_kind IN ('daily_sweeps', 'outbox_prune') GROUP BY job_kind",
    )
    assert sorted(daily) == [("daily_sweeps", 1), ("outbox_prune", 1)]
