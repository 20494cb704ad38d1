"""`python -m services.scheduler`: each job at its cron time (Asia/Shanghai) while this replica
is leader; `services.scheduler.schedule` says how."""

from __future__ import annotations

import asyncio
import signal

import structlog

from services.scheduler.cron import triggers
from services.scheduler.leader import Leadership
from services.scheduler.schedule import Rounds, Scheduler
from shared.clock import SHANGHAI
from shared.context import current_service
from shared.db import create_engine, create_sessionmaker
from shared.http import ServiceTokens, create_http_client
from shared.logging import configure_logging
from shared.settings import get_settings

log = structlog.get_logger("scheduler")


async def main() -> None:
    current_service.set("scheduler")
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    engine = create_engine(settings, pool_size=3)
    client = create_http_client(settings)
    leadership = Leadership(engine)
    schedule = triggers(settings)
    tokens = ServiceTokens(settings)
    rounds = Rounds(settings, create_sessionmaker(engine), client, tokens, schedule)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("scheduler_started", timezone=str(SHANGHAI))
    try:
        await Scheduler(schedule, leadership, rounds).run(stop)
    finally:
        await leadership.release()
        await client.aclose()
        await engine.dispose()
        log.info("scheduler_stopped")


if __name__ == "__main__":
    asyncio.run(main())
