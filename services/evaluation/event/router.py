from __future__ import annotations

from fastapi import APIRouter, Request

from services.evaluation.event import service
from shared.auth import InternalService
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.events import (
    INTERNAL_EVENTS_BATCH_PATH,
    INTERNAL_EVENTS_PATH,
    EventAck,
    EventBatch,
    EventBatchAck,
    EventEnvelope,
)

router = APIRouter(tags=["internal"], responses=PROBLEM_RESPONSES)


@router.post(INTERNAL_EVENTS_PATH, response_model=EventAck, summary="Receive one outbox event")
async def receive_event(
    event: EventEnvelope, request: Request, principal: InternalService, session: Session
) -> EventAck:
    return await service.consume(session, event, principal)


@router.post(
    INTERNAL_EVENTS_BATCH_PATH,
    response_model=EventBatchAck,
    summary="Receive several outbox events in one transaction",
)
async def receive_events(
    batch: EventBatch, request: Request, principal: InternalService, session: Session
) -> EventBatchAck:
    acks = await service.consume_batch(session, batch.events, principal)
    return EventBatchAck(acks=acks)
