"""Two outbox relays on one database (two replicas of a producing service): each row is sent
once. A relay claims its batch with `SELECT … FOR UPDATE SKIP LOCKED` and holds the claim until
its transaction marks the rows delivered, so the other relay takes the next rows instead of the
same ones. Real commits on a cloned database; each relay with its own connection pool, as two
processes would have; the consumer records every event id it is sent."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select

from shared import outbox
from shared.context import current_service
from shared.db import create_engine, create_sessionmaker
from shared.events import INTERNAL_EVENTS_BATCH_PATH
from shared.http import ServiceTokens
from shared.models import OutboxEvent
from tests.event_data import event_data
from tests.pg import settings_for

ROWS = 240
UNITS = ("zhengwu", "shichang", "shuiwu", "renshe")


class RecordingConsumer(httpx.AsyncBaseTransport):
    """evaluation's `/internal/events` as far as a relay can tell: every id it is sent is
    recorded, and each answer takes a little while (the window in which a second relay would
    take the same rows if claims were process-local)."""

    def __init__(self, sent: Counter[str]) -> None:
        self.sent = sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(await request.aread())
        events = body["events"] if request.url.path.endswith(INTERNAL_EVENTS_BATCH_PATH) else [body]
        await asyncio.sleep(0.02)
        self.sent.update(str(event["id"]) for event in events)
        return httpx.Response(200, json={"accepted": len(events)})


async def _enqueue(url: str) -> set[str]:
    engine = create_engine(settings_for(url), pool_size=1)
    token = current_service.set("reform_tasks")
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            rows = [
                await outbox.enqueue(
                    session,
                    "task.closed_out",
                    event_data("task.closed_out", UNITS[n % len(UNITS)], {"task_number": n}),
                    programme="2026",
                    unit_code=UNITS[n % len(UNITS)],
                    occurred_at=datetime(2026, 6, 30, 9, tzinfo=UTC),
                )
                for n in range(1, ROWS + 1)
            ]
        return {str(row.id) for row in rows}
    finally:
        current_service.reset(token)
        await engine.dispose()


async def test_two_relays_on_one_database_send_each_row_once(
    fresh_database: Callable[[str], str],
) -> None:
    url = fresh_database("relays")
    queued = await _enqueue(url)
    settings = settings_for(
        url, evaluation_url="http://evaluation", outbox_batch_size=16, outbox_post_size=4
    )
    sent: Counter[str] = Counter()
    engines = [create_engine(settings, pool_size=2) for _ in range(2)]
    delivered = [0, 0]

    async def replica(index: int) -> None:
        async with httpx.AsyncClient(
            transport=RecordingConsumer(sent), base_url="http://evaluation"
        ) as client:
            relay = outbox.OutboxRelay(
                create_sessionmaker(engines[index]),
                client,
                settings,
                "reform_tasks",
                ServiceTokens(settings),
            )
            # Like `OutboxRelay.run`, polling until nothing is left for anyone: a round that
            # finds every due row claimed by the other relay delivers 0 and polls again.
            async with create_sessionmaker(engines[index])() as session:
                while await outbox.pending_count(session, "reform_tasks"):
                    delivered[index] += await relay.deliver_batch()
                    await asyncio.sleep(0.005)
                    session.expire_all()

    try:
        await asyncio.wait_for(asyncio.gather(replica(0), replica(1)), 120)
        async with create_sessionmaker(engines[0])() as session:
            undelivered = await session.scalar(
                select(func.count()).where(OutboxEvent.delivered_at.is_(None))
            )
            retried = await session.scalar(select(func.count()).where(OutboxEvent.attempts > 0))
    finally:
        for engine in engines:
            await engine.dispose()

    assert set(sent) == queued  # every row was sent …
    assert [event for event, times in sent.items() if times > 1] == []  # … exactly once
    assert sum(delivered) == ROWS
    assert all(count > 0 for count in delivered), delivered  # both relays took a share
    assert (undelivered, retried) == (0, 0)
