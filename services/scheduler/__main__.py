"""`python -m services.scheduler`: APScheduler (Asia/Shanghai) running jobs while it is leader."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from services.scheduler.jobs import daily_sweeps, prune_delivered_outbox, run_once
from services.scheduler.leader import Leadership
from services.scheduler.reports import ReformTasks, catch_up
from shared.clock import today_shanghai
from shared.context import current_service
from shared.db import create_engine, create_sessionmaker
from shared.http import ServiceTokens, create_http_client
from shared.logging import configure_logging
from shared.settings import get_settings

log = structlog.get_logger("scheduler")
TIMEZONE = "Asia/Shanghai"
LEADER_POLL_SECONDS = 10


async def main() -> None:
    current_service.set("scheduler")
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    engine = create_engine(settings, pool_size=3)
    sessionmaker = create_sessionmaker(engine)
    client = create_http_client(settings)
    tokens = ServiceTokens(settings)
    leadership = Leadership(engine)
    scheduler = AsyncIOScheduler(timezone=TIMEZONE)

    round_lock = asyncio.Lock()  # the poll loop and a cron fire never run a round at once

    async def due_jobs() -> None:
        """Today's runs that have not happened (a restart catches up; a failure is retried)."""
        if not leadership.is_leader or round_lock.locked():
            return
        async with round_lock:
            await _due_jobs()

    async def held() -> bool:
        """`SCHEDULER_HOLD_FILE` exists (make up's first start, until the demo orders are in)."""
        path = settings.scheduler_hold_file
        return path is not None and await asyncio.to_thread(Path(path).exists)

    async def _due_jobs() -> None:
        if await held():
            log.info("round_held", hold_file=settings.scheduler_hold_file)
            return
        # At start-up the services come up with the scheduler: a run claimed before they answer
        # would fail and wait for its backoff, so the round waits for them (polled again soon).
        if not await tasks.ready():
            log.info("round_waiting_for_services")
            return
        day = today_shanghai().isoformat()
        await run_once(
            sessionmaker,
            "daily_sweeps",
            day,
            lambda: daily_sweeps(client, settings, tokens, day, hotline_client=client),
        )
        await run_once(
            sessionmaker, "outbox_prune", day, lambda: prune_delivered_outbox(sessionmaker)
        )
        # Reports, notices and reminders due by now, missed periods first (the first round
        # after a start or an outage catches up).
        await catch_up(sessionmaker, tasks, settings)

    tasks = ReformTasks(client, settings, tokens)
    scheduler.add_job(due_jobs, "cron", hour=1, minute=5, id="daily")
    for job, crontab in (
        ("monthly_dispatch", settings.scheduler_monthly_dispatch_cron),
        ("quarterly_notice", settings.scheduler_quarterly_notice_cron),
        ("reminders", settings.scheduler_reminders_cron),
    ):
        scheduler.add_job(due_jobs, CronTrigger.from_crontab(crontab, timezone=TIMEZONE), id=job)
    scheduler.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("scheduler_started", timezone=TIMEZONE)
    try:
        while not stop.is_set():
            try:
                if await leadership.try_acquire():
                    await due_jobs()
            except Exception:
                log.exception("scheduler_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), LEADER_POLL_SECONDS)
    finally:
        scheduler.shutdown(wait=False)
        await leadership.release()
        await client.aclose()
        await engine.dispose()
        log.info("scheduler_stopped")


if __name__ == "__main__":
    asyncio.run(main())
