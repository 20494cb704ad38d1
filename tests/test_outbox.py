"""Transactional outbox → HTTP → idempotent inbox: an event takes effect exactly once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.evaluation.app import create_app as create_evaluation
from shared import outbox
from shared.context import current_service
from shared.http import ServiceTokens
from shared.models import Fact, InboxEvent, OutboxEvent, ParkedEvent
from shared.settings import Settings
from tests.conftest import Factory
from tests.event_data import event_data


def _relay(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> outbox.OutboxRelay:
    return outbox.OutboxRelay(
        sessionmaker, client, settings, "reform_tasks", ServiceTokens(settings)
    )


async def _enqueue(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    token = current_service.set("reform_tasks")
    try:
        async with sessionmaker() as s:
            row = await outbox.enqueue(
                s,
                "task.closed_out",
                event_data("task.closed_out", "shichang", {"task_number": 12}),
                programme="2026",
                unit_code="shichang",
                occurred_at=datetime(2026, 6, 30, 9, tzinfo=UTC),
            )
            await s.commit()
            return row.id
    finally:
        current_service.reset(token)


async def test_event_is_delivered_once_even_when_sent_twice(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    event_id = await _enqueue(sessionmaker)
    evaluation = create_evaluation(settings)
    evaluation.state.sessionmaker = sessionmaker
    transport = httpx.ASGITransport(app=evaluation)
    async with httpx.AsyncClient(transport=transport, base_url="http://evaluation") as client:
        settings_for_test = settings.model_copy(update={"evaluation_url": "http://evaluation"})
        relay = _relay(settings_for_test, sessionmaker, client)
        assert await relay.deliver_batch() == 1
        assert await relay.deliver_batch() == 0  # delivered rows are not sent again

        # The producer crashed after the POST but before marking it delivered: sent again.
        async with sessionmaker() as s:
            row = await s.get(OutboxEvent, event_id)
            assert row is not None
            assert row.delivered_at is not None
            row.delivered_at = None
            await s.commit()
        assert await relay.deliver_batch() == 1

    facts = (await session.scalars(select(Fact).where(Fact.event_id == event_id))).all()
    assert len(facts) == 1
    assert facts[0].type == "task.closed_out"
    assert facts[0].unit_code == "shichang"
    assert facts[0].data == event_data("task.closed_out", "shichang", {"task_number": 12})
    inbox = await session.scalar(
        select(func.count()).select_from(InboxEvent).where(InboxEvent.event_id == event_id)
    )
    assert inbox == 1


async def test_consumer_down_keeps_event_and_backs_off(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    event_id = await _enqueue(sessionmaker)

    # Nothing listens on port 9 of loopback: the consumer is down.
    down = settings.model_copy(update={"evaluation_url": "http://127.0.0.1:9"})
    async with httpx.AsyncClient(timeout=2) as client:
        relay = _relay(down, sessionmaker, client)
        assert await relay.deliver_batch() == 0
        assert await relay.deliver_batch() == 0  # not due again until the backoff has passed

    row = await session.get(OutboxEvent, event_id, populate_existing=True)
    assert row is not None
    assert row.delivered_at is None
    assert row.attempts == 1
    assert row.next_attempt_at > datetime.now(UTC)
    assert "ConnectError" in (row.last_error or "")
    assert await outbox.pending_count(session, "reform_tasks") == 1


class _Refusing(httpx.AsyncBaseTransport):
    """The real consumer, except that any request carrying `event_id` is answered 422."""

    def __init__(self, inner: httpx.AsyncBaseTransport, event_id: str) -> None:
        self.inner, self.event_id = inner, event_id

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.event_id in (await request.aread()).decode():
            return httpx.Response(422, json={"title": "refused"})
        return await self.inner.handle_async_request(request)


def _row(event_type: str, unit: str, data: dict[str, Any]) -> OutboxEvent:
    return OutboxEvent(
        id=uuid.uuid4(),
        type=event_type,
        occurred_at=datetime.now(UTC),
        programme="2026",
        unit_code=unit,
        producer="reform_tasks",
        consumer="evaluation",
        data=data,
    )


async def test_batch_delivery_isolates_a_refused_event(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    factory: Factory,
) -> None:
    """Events go out in one request per chunk; a chunk the consumer refuses is resent event by
    event, so the bad event waits for its retry and the good ones land. An event whose data
    cannot be scored is parked by the consumer, not refused."""
    await factory.unit("shichang")
    token = current_service.set("reform_tasks")
    try:
        async with sessionmaker() as s:
            good = [
                await outbox.enqueue(
                    s,
                    "milestone.lagging",
                    event_data("milestone.lagging", "shichang", {"task_number": n}),
                    programme="2026",
                    unit_code="shichang",
                )
                for n in range(1, 4)
            ]
            # A row that does not fit the catalogue, as stored before the database's guard
            # (migrations 0022p, 0023p), which would refuse it today.
            await s.execute(text("ALTER TABLE platform.outbox DISABLE TRIGGER fits_catalogue"))
            unscorable = _row("rating.submitted", "shichang", {"score": "not-a-number"})
            # The consumer refuses this one (the fault injected below: a consumer that answers
            # 422 whenever the request carries it).
            refused = _row("task.closed_out", "shichang", event_data("task.closed_out", "shichang"))
            s.add_all([unscorable, refused])
            await s.commit()
    finally:
        current_service.reset(token)
    evaluation = create_evaluation(settings)
    evaluation.state.sessionmaker = sessionmaker
    requests: list[str] = []

    async def record(request: httpx.Request) -> None:
        requests.append(request.url.path)

    transport = _Refusing(httpx.ASGITransport(app=evaluation), str(refused.id))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://evaluation", event_hooks={"request": [record]}
    ) as client:
        relay = _relay(
            settings.model_copy(update={"evaluation_url": "http://evaluation"}),
            sessionmaker,
            client,
        )
        assert await relay.deliver_batch() == 4
    assert requests == ["/internal/events/batch"] + ["/internal/events"] * 5
    facts = set((await session.scalars(select(Fact.event_id))).all())
    assert facts == {e.id for e in good} | {unscorable.id}
    parked = (await session.scalars(select(ParkedEvent.event_id))).all()
    assert parked == [unscorable.id]
    row = await session.get(OutboxEvent, refused.id, populate_existing=True)
    assert row is not None
    assert row.delivered_at is None
    assert row.attempts == 1
    assert "HTTP 422" in (row.last_error or "")
