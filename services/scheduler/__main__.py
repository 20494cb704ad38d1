"""`python -m services.scheduler`: APScheduler (Asia/Shanghai) running jobs while it is leader."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from services.scheduler.jobs import prune_delivered_outbox
from services.scheduler.leader import Leadership
from shared.context import current_service
from shared.db import create_engine, create_sessionmaker
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
    leadership = Leadership(engine)
    scheduler = AsyncIOScheduler(timezone=TIMEZONE)

    async def if_leader_prune() -> None:
        if leadership.is_leader:
            deleted = await prune_delivered_outbox(sessionmaker)
            log.info("job_finished", job="outbox_prune", deleted=deleted)

    scheduler.add_job(if_leader_prune, "cron", hour=3, minute=15, id="outbox_prune")
    scheduler.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("scheduler_started", timezone=TIMEZONE)
    try:
        while not stop.is_set():
            was_leader = leadership.is_leader
            try:
                if await leadership.try_acquire() and not was_leader:
                    log.info("scheduler_became_leader")
                    await if_leader_prune()
            except Exception:
                log.exception("leadership_check_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), LEADER_POLL_SECONDS)
    finally:
        scheduler.shutdown(wait=False)
        await leadership.release()
        await engine.dispose()
        log.info("scheduler_stopped")


if __name__ == "__main__":
    asyncio.run(main())
