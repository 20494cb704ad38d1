"""Consuming events from the other services, exactly once per event id.

The inbox claim, the fact and its effect on scores share the request's transaction: if anything
fails, all of it rolls back and the producer's retry applies it; if it succeeds, a redelivery is a
no-op. Score changes go to live subscribers only after the commit.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.event.repository import FactRepository
from services.evaluation.score.stream import Broadcaster
from services.evaluation.scoring import service as scoring
from shared.db import after_commit
from shared.events import EventAck, EventEnvelope
from shared.outbox import claim

CONSUMER = "evaluation"


async def consume(
    session: AsyncSession, event: EventEnvelope, broadcaster: Broadcaster | None = None
) -> EventAck:
    if not await claim(session, CONSUMER, event):
        return EventAck(id=event.id, duplicate=True)
    await FactRepository(session).insert(event)
    changes = await scoring.consume(session, event)
    if broadcaster is not None and changes:
        messages = [
            {**asdict(c), "event_id": str(event.id), "event_type": event.type} for c in changes
        ]

        def publish() -> None:
            for message in messages:
                broadcaster.publish(message)

        after_commit(session, publish)
    return EventAck(id=event.id, duplicate=False)
