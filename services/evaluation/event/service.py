"""Consuming events from the other services, exactly once per event id.

Each event's data is checked against the catalogue (shared/events.py) before anything is
applied; an event that does not fit, names an unknown unit or is not evaluation's is parked with
the reason (`GET /api/evaluation/v1/parked-events`), never applied with defaults.

The inbox claim, the fact, its effect on scores and the announcement of the score changes
(NOTIFY, `score.stream`) share the request's transaction: if anything fails, all of it rolls
back and the producer's retry applies it; if it succeeds, a redelivery is a no-op, and the
changes reach the live subscribers of every replica.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.event.repository import FactRepository
from services.evaluation.ledger import service as ledger
from services.evaluation.programme import service as programmes
from services.evaluation.score.stream import CHANNEL, notification
from shared.auth import Principal
from shared.events import EventAck, EventEnvelope, is_sent_to
from shared.outbox import claim_many

CONSUMER = "evaluation"


async def consume(
    session: AsyncSession, event: EventEnvelope, producer: Principal | None = None
) -> EventAck:
    return (await consume_batch(session, [event], producer))[0]


async def consume_batch(
    session: AsyncSession, events: list[EventEnvelope], producer: Principal | None = None
) -> list[EventAck]:
    """Claim the event ids and keep the new events as facts (a statement each for the whole
    batch); apply the new ones together (one score refresh per unit).
    Programme events (created, closed) are kept as facts and applied on their own: they move
    no unit's score (`programme.service`); `producer` is who sent them (audited)."""
    acks: list[EventAck] = []
    fresh: list[EventEnvelope] = []
    pending: list[EventEnvelope] = []
    changes: list[ledger.ScoreChange] = []
    firsts: dict[uuid.UUID, EventEnvelope] = {}
    for event in events:
        firsts.setdefault(event.id, event)  # a repeat within the batch is a duplicate
    claimed = await claim_many(session, CONSUMER, list(firsts.values()))
    await FactRepository(session).insert_many(
        [e for e in firsts.values() if e.id in claimed and is_sent_to(e.type, CONSUMER)]
    )
    for event in events:
        duplicate = event.id not in claimed
        claimed.discard(event.id)
        acks.append(EventAck(id=event.id, duplicate=duplicate))
        if duplicate:
            continue
        if not is_sent_to(event.type, CONSUMER):
            # Office inputs are entered in evaluation itself, never sent: kept for the office.
            await ledger.park(session, event, f"事件类型 {event.type} 不是发给评估服务的事件")
            continue
        if event.type in programmes.PROGRAMME_EVENTS:
            # The facts before it in the batch are applied first (a close freezes them).
            changes += await ledger.consume_many(session, pending) if pending else []
            pending = []
            await programmes.consume(session, event, producer)
            continue
        fresh.append(event)
        pending.append(event)
    changes += await ledger.consume_many(session, pending) if pending else []
    if changes:
        await _announce(session, changes, fresh)
    return acks


async def _announce(
    session: AsyncSession, changes: list[ledger.ScoreChange], fresh: list[EventEnvelope]
) -> None:
    """Each change for the live subscribers: which event moved a unit is told for single
    deliveries; a batch names its last one (and lists its events while they fit)."""
    by_unit = {e.unit_code: e for e in fresh}
    every = [str(e.id) for e in fresh]
    messages = []
    for change in changes:
        cause = by_unit.get(change.unit_code, fresh[-1])
        message = {
            **asdict(change),
            "event_id": str(cause.id),
            "event_type": cause.type,
            "event_ids": every,
        }
        messages.append(notification(message))
    await FactRepository(session).announce(CHANNEL, messages)
