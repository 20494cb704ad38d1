"""The webhook's lean transport. The 12345 platform pushes every work-order event and the
service must keep up with it (docs/PERFORMANCE.md "hotline_ingest"), so `POST
/api/hotline/v1/webhooks/12345` is answered by `HotlineApp.__call__`, before FastAPI's and
Starlette's own stack (error middleware, request-id, metrics, routing, dependency injection),
with the same rules as the documented FastAPI route (`router.py`, used when
`HOTLINE_WEBHOOK_FAST_PATH=false`): this module only moves bytes; `service.receive` decides.

The delivery is stored by `repository.BatchStore` (group commit on a raw asyncpg pool, one
transaction per group); without a pool (tests drive the app without its lifespan) it runs in a
session from `app.state.sessionmaker`, committed before the answer just the same.
"""

from __future__ import annotations

import secrets

import structlog
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Message, Receive, Scope, Send

from services.hotline_ingest.webhook import service
from services.hotline_ingest.webhook.repository import (
    BatchStore,
    Receipt,
    Store,
    create_pool,
    receive_in_session,
)
from shared.errors import (
    DATABASE_UNAVAILABLE,
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPE_PREFIX,
    Problem,
    ServiceUnavailable,
)
from shared.settings import Settings
from shared.validation import ascii_number

log = structlog.get_logger(__name__)

PATH = "/api/hotline/v1/webhooks/12345"
ACKS = {
    outcome: f'{{"status":"{outcome}"}}'.encode()
    for outcome in ("applied", "duplicate_delivery", "duplicate_event", "ignored_type")
}


def session_store(maker: async_sessionmaker[AsyncSession], settings: Settings) -> Store:
    async def store(receipt: Receipt) -> tuple[str, int]:
        async with maker() as session:
            try:
                result = await receive_in_session(session, receipt, settings)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        return result

    return store


async def open_pool(app: FastAPI) -> None:
    """Lifespan hook: the webhook's own asyncpg pool and group-commit store."""
    app.state.webhook_pool = await create_pool(app.state.settings)
    settings = app.state.settings
    app.state.webhook_store = BatchStore(
        app.state.webhook_pool, settings, concurrency=settings.hotline_webhook_groups
    )


async def close_pool(app: FastAPI) -> None:
    pool = getattr(app.state, "webhook_pool", None)
    if pool is not None:
        await pool.close()


def _store(app: FastAPI) -> Store:
    store: Store | None = getattr(app.state, "webhook_store", None)
    return store or session_store(app.state.sessionmaker, app.state.settings)


def render(answer: service.Answer, request_id: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of an answer (problem+json for errors, as everywhere else)."""
    headers = [(b"x-request-id", request_id.encode())]
    if answer.error is None:
        body = ACKS[answer.outcome or "applied"]
        headers.append((b"content-type", b"application/json"))
    else:
        error = answer.error
        body = (
            Problem(
                type=PROBLEM_TYPE_PREFIX + error.code,
                title=error.title,
                status=error.status,
                detail=error.detail,
                code=error.code,
                instance=PATH,
                request_id=request_id,
                errors=error.errors,
            )
            .model_dump_json(exclude_none=True)
            .encode()
        )
        headers.append((b"content-type", PROBLEM_MEDIA_TYPE.encode()))
        headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    headers.append((b"content-length", str(len(body)).encode()))
    return answer.status, headers, body


async def _read_capped(receive: Receive) -> bytes | None:
    """The body, or None once it passes 256 KiB (never buffered further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > service.MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def answer(app: FastAPI, scope: Scope, receive: Receive, send: Send) -> None:
    """One webhook delivery, from the raw ASGI scope to the two response messages."""
    settings: Settings = app.state.settings
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    request_id = headers.get("x-request-id", "")
    if not (0 < len(request_id) <= 64 and request_id.isascii() and request_id.isprintable()):
        request_id = secrets.token_hex(16)
    length = headers.get("content-length", "")
    body: bytes | None = None
    if not (ascii_number(length) and int(length) > service.MAX_BODY):
        body = await _read_capped(receive)
    try:
        result, told = await service.receive(_store(app), settings, body, headers)
    except DATABASE_UNAVAILABLE as exc:
        log.warning("hotline_webhook_database_unavailable", error=str(exc))
        result, told = service.Answer(503, error=ServiceUnavailable("数据库暂不可用，请重试")), 0
    except Exception:
        log.exception("hotline_webhook_failed", request_id=request_id)
        result, told = service.Answer(500, error=service.InternalError()), 0
    if told and app.state.relay is not None:
        app.state.relay.notify()
    status, response_headers, payload = render(result, request_id)
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": payload})


class HotlineApp(FastAPI):
    """hotline_ingest's FastAPI application: the webhook's POSTs go straight to `answer`
    (unless `HOTLINE_WEBHOOK_FAST_PATH=false`); everything else, the lifespan included, is
    plain FastAPI."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == PATH
            and scope["method"] == "POST"
            and self.state.settings.hotline_webhook_fast_path
        ):
            await answer(self, scope, receive, send)
            return
        await super().__call__(scope, receive, send)
