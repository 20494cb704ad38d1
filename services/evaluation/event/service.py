"""Consuming events from the other services, exactly once per event id.

The inbox claim and the effect share the request's transaction: if the effect fails, the claim
rolls back with it and the producer's retry applies it; if it succeeds, any redelivery is a no-op.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.event.repository import FactRepository
from shared.events import EventAck, EventEnvelope
from shared.outbox import claim

CONSUMER = "evaluation"


async def consume(session: AsyncSession, event: EventEnvelope) -> EventAck:
    if not await claim(session, CONSUMER, event):
        return EventAck(id=event.id, duplicate=True)
    await FactRepository(session).insert(event)
    return EventAck(id=event.id, duplicate=False)
