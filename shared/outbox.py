"""Transactional outbox and inbox.

A producer calls `enqueue` inside the transaction that makes the change; `OutboxRelay` (a task in
the producing service) later POSTs the pending rows to their consumer's `/internal/events/batch`
in chunks (or, for the OA system's reminders, to OA_WEBHOOK_URL, signed), retrying with
exponential backoff persisted in the row. A consumer calls `claim_many` in the transaction that
applies the effects; a second delivery of the same id claims nothing, so effects happen once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from shared.context import current_service
from shared.events import (
    INTERNAL_EVENTS_BATCH_PATH,
    INTERNAL_EVENTS_PATH,
    OA_CONSUMER,
    EventBatch,
    EventData,
    EventEnvelope,
    consumer_of,
    model_of,
    parse_data,
)
from shared.http import ServiceTokens, signed_headers
from shared.models.platform import InboxEvent, OutboxEvent
from shared.settings import Settings

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 300
CLAIM = insert(InboxEvent).on_conflict_do_nothing().returning(InboxEvent.event_id)


async def enqueue(
    session: AsyncSession,
    event_type: str,
    data: EventData | dict[str, Any],
    *,
    programme: str | None = None,
    unit_code: str | None = None,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> OutboxEvent:
    """Queue an event in the caller's transaction, to the catalogue's consumer for its type.
    Its data is checked against the catalogue's model first (a producer's bug fails here, in
    the producer's transaction, and is never sent): UnknownEventType or ValidationError."""
    consumer = consumer_of(event_type)
    if isinstance(data, EventData) and not isinstance(data, model_of(event_type)):
        raise TypeError(f"{type(data).__name__} is not the data of {event_type}")
    raw = data.model_dump(mode="json") if isinstance(data, EventData) else data
    payload = parse_data(event_type, raw)
    row = OutboxEvent(
        id=event_id or uuid.uuid4(),
        type=event_type,
        occurred_at=occurred_at or datetime.now(UTC),
        programme=programme,
        unit_code=unit_code,
        data=payload.model_dump(mode="json"),
        producer=current_service.get(),
        consumer=consumer,
    )
    session.add(row)
    await session.flush()
    session.info["outbox_enqueued"] = True
    return row


async def claim_many(
    session: AsyncSession, consumer: str, events: Sequence[EventEnvelope]
) -> set[uuid.UUID]:
    """Record the event ids for this consumer in one statement; the ids claimed now (an id
    applied before, or twice in `events`, is claimed once)."""
    if not events:
        return set()
    rows = [{"consumer": consumer, "event_id": e.id, "type": e.type} for e in events]
    claimed = await session.execute(CLAIM, rows)  # one cached statement, however many rows
    return set(claimed.scalars().all())


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, capped (attempts counts failures so far)."""
    ceiling = min(MAX_BACKOFF_SECONDS, 2 ** min(attempts, 16))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311


def envelope_of(row: OutboxEvent) -> EventEnvelope:
    return EventEnvelope(
        id=row.id,
        type=row.type,
        occurred_at=row.occurred_at,
        programme=row.programme,
        unit_code=row.unit_code,
        data=row.data,
    )


class OutboxRelay:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client: httpx.AsyncClient,
        settings: Settings,
        producer: str,
        tokens: ServiceTokens,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._client = client
        self._settings = settings
        self._producer = producer
        self._tokens = tokens
        self._wake = asyncio.Event()

    def consumer_url(self, consumer: str) -> str:
        base = {
            "evaluation": self._settings.evaluation_url,
            "reform_tasks": self._settings.reform_tasks_url,
            "hotline_ingest": self._settings.hotline_url,
        }[consumer]
        return base.rstrip("/") + INTERNAL_EVENTS_PATH

    def notify(self) -> None:
        """Wake the relay early (after a commit that enqueued events)."""
        self._wake.set()

    async def deliver_batch(self) -> int:
        """Deliver due events once; returns how many were delivered."""
        delivered = 0
        async with self._sessionmaker() as session, session.begin():
            rows = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(
                        OutboxEvent.producer == self._producer,
                        OutboxEvent.delivered_at.is_(None),
                        OutboxEvent.next_attempt_at <= datetime.now(UTC),
                    )
                    .order_by(OutboxEvent.consumer, OutboxEvent.created_at, OutboxEvent.id)
                    .limit(self._settings.outbox_batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            errors = await self._deliver(rows)
            for row, error in zip(rows, errors, strict=True):
                if error is None:
                    row.delivered_at = datetime.now(UTC)
                    row.last_error = None
                    delivered += 1
                else:
                    row.attempts += 1
                    row.next_attempt_at = datetime.now(UTC) + backoff(row.attempts)
                    row.last_error = error[:2000]
                    log.warning("outbox_delivery_failed", event_id=str(row.id), error=error)
        return delivered

    async def _deliver(self, rows: Sequence[OutboxEvent]) -> list[str | None]:
        """Send rows in chunks, one request and one consumer transaction per chunk; chunks go
        out in parallel (consumers are idempotent and order-independent). A chunk the consumer
        refuses is retried event by event, so one bad event cannot hold back the others."""
        size = self._settings.outbox_post_size
        chunks = [list(rows[i : i + size]) for i in range(0, len(rows), size)]
        limit = asyncio.Semaphore(self._settings.outbox_concurrency)

        async def send(chunk: list[OutboxEvent]) -> list[str | None]:
            async with limit:
                if len(chunk) == 1 or any(row.consumer == OA_CONSUMER for row in chunk):
                    return [await self._post_one(row) for row in chunk]
                if await self._post_batch(chunk) is None:
                    return [None] * len(chunk)
                return [await self._post_one(row) for row in chunk]

        results = await asyncio.gather(*(send(chunk) for chunk in chunks))
        return [error for chunk in results for error in chunk]

    def _headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "authorization": f"Bearer {self._tokens.token(self._producer)}",
        }

    async def _post_batch(self, rows: list[OutboxEvent]) -> str | None:
        consumer = rows[0].consumer
        if any(row.consumer != consumer for row in rows):
            return "mixed consumers"
        return await self._post_body(
            self.consumer_url(consumer).removesuffix(INTERNAL_EVENTS_PATH)
            + INTERNAL_EVENTS_BATCH_PATH,
            EventBatch(events=[envelope_of(row) for row in rows]).model_dump_json().encode(),
            self._headers(),
        )

    async def _post_one(self, row: OutboxEvent) -> str | None:
        return await (self._post_oa(row) if row.consumer == OA_CONSUMER else self._post(row))

    async def _post(self, row: OutboxEvent) -> str | None:
        return await self._post_body(
            self.consumer_url(row.consumer),
            envelope_of(row).model_dump_json().encode(),
            self._headers(),
            with_answer=True,
        )

    async def _post_oa(self, row: OutboxEvent) -> str | None:
        """A reminder to the OA system: `{"type", "data"}` signed with Standard Webhooks; the
        `webhook-id` names the inbox message, so the OA system can drop a repeat."""
        url, secret = self._settings.oa_webhook_url, self._settings.oa_webhook_secret
        if not url or not secret:
            return "OA_WEBHOOK_URL / OA_WEBHOOK_SECRET not set"
        message_id = f"msg_reminder_{row.data.get('id', row.id)}"
        body = json.dumps({"type": row.type, "data": row.data}, ensure_ascii=False)
        return await self._post_body(
            url, body.encode(), signed_headers(Webhook(secret), message_id, body)
        )

    async def _post_body(
        self, url: str, body: bytes, headers: dict[str, str], *, with_answer: bool = False
    ) -> str | None:
        """POST one body: None once the receiver took it, else the error kept on the row (the
        start of the receiver's answer too, if `with_answer`)."""
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.is_success:
            return None
        error = f"HTTP {response.status_code}"
        return f"{error}: {response.text[:500]}" if with_answer else error

    async def run(self) -> None:
        """Poll until cancelled; a failure in one round never stops the relay."""
        while True:
            try:
                while await self.deliver_batch() >= self._settings.outbox_batch_size:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_relay_round_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.outbox_poll_seconds)
            self._wake.clear()


async def pending_count(session: AsyncSession, producer: str) -> int:
    stmt = select(func.count()).where(
        OutboxEvent.producer == producer, OutboxEvent.delivered_at.is_(None)
    )
    return int((await session.execute(stmt)).scalar_one())
