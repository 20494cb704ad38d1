"""Consuming events from the other services, exactly once per event id.

Each event's data is checked against the catalogue (shared/events.py) before anything is
applied; an event that does not fit, names an unknown unit or is not evaluation's is parked with
the reason (`GET /api/evaluation/v1/parked-events`), never applied with defaults.

The inbox claim, the fact and its effect on scores share the request's transaction: if anything
fails, all of it rolls back and the producer's retry applies it; if it succeeds, a redelivery is a
no-op. Score changes go to live subscribers only after the commit.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.event.repository import FactRepository
from services.evaluation.ledger import service as ledger
from services.evaluation.programme import service as programmes
from services.evaluation.score.stream import Broadcaster
from shared.auth import Principal
from shared.db import after_commit
from shared.events import EventAck, EventEnvelope, is_sent_to
from shared.outbox import claim

CONSUMER = "evaluation"


async def consume(
    session: AsyncSession,
    event: EventEnvelope,
    broadcaster: Broadcaster | None = None,
    producer: Principal | None = None,
) -> EventAck:
    return (await consume_batch(session, [event], broadcaster, producer))[0]


async def consume_batch(
    session: AsyncSession,
    events: list[EventEnvelope],
    broadcaster: Broadcaster | None = None,
    producer: Principal | None = None,
) -> list[EventAck]:
    """Claim each event id; apply the new ones together (one score refresh per unit).
    Programme events (created, closed) are kept as facts and applied on their own: they move
    no unit's score (`programme.service`); `producer` is who sent them (audited)."""
    acks: list[EventAck] = []
    fresh: list[EventEnvelope] = []
    pending: list[EventEnvelope] = []
    changes: list[ledger.ScoreChange] = []
    seen: set[str] = set()
    for event in events:
        duplicate = str(event.id) in seen or not await claim(session, CONSUMER, event)
        seen.add(str(event.id))
        acks.append(EventAck(id=event.id, duplicate=duplicate))
        if duplicate:
            continue
        if not is_sent_to(event.type, CONSUMER):
            # Office inputs are entered in evaluation itself, never sent: kept for the office.
            await ledger.park(session, event, f"事件类型 {event.type} 不是发给评估服务的事件")
            continue
        await FactRepository(session).insert(event)
        if event.type in programmes.PROGRAMME_EVENTS:
            # The facts before it in the batch are applied first (a close freezes them).
            changes += await ledger.consume_many(session, pending) if pending else []
            pending = []
            await programmes.consume(session, event, producer)
            continue
        fresh.append(event)
        pending.append(event)
    changes += await ledger.consume_many(session, pending) if pending else []
    if broadcaster is not None and changes:
        # Which event moved a unit is told for single deliveries; a batch names its last one.
        by_unit = {e.unit_code: e for e in fresh}
        messages = []
        for change in changes:
            cause = by_unit.get(change.unit_code, fresh[-1])
            messages.append(
                {
                    **asdict(change),
                    "event_id": str(cause.id),
                    "event_type": cause.type,
                    "event_ids": [str(e.id) for e in fresh],
                }
            )

        def publish() -> None:
            for message in messages:
                broadcaster.publish(message)

        after_commit(session, publish)
    return acks
