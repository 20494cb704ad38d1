"""The webhook: `POST /api/hotline/v1/webhooks/12345`, one route inside the same middleware as
every endpoint (request id, metrics, body cap, security headers, problem+json). The delivery is
stored by the group-commit store the lifespan opened (`repository.BatchStore`, app.py), never in
a request session: the answer waits for its group's commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from services.hotline_ingest.webhook import service
from services.hotline_ingest.webhook.repository import Store
from services.hotline_ingest.webhook.schemas import EVENT_MODELS, WebhookAck, contract_schema
from shared.errors import DATABASE_UNAVAILABLE, PROBLEM_RESPONSES, ServiceUnavailable
from shared.validation import ascii_number

log = structlog.get_logger(__name__)

router = APIRouter(tags=["webhook"])

PATH = "/api/hotline/v1/webhooks/12345"
ACKS = {
    outcome: f'{{"status":"{outcome}"}}'.encode()
    for outcome in ("applied", "duplicate_delivery", "duplicate_event", "ignored_type")
}
RETRY_LATER = {"Retry-After": "5"}

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: {**PROBLEM_RESPONSES[401], "description": "签名缺失/无效、密钥未知或时间戳超出 ±5 分钟"},
    413: {"description": "请求体超过 256 KiB", "content": {"application/problem+json": {}}},
    422: {
        **PROBLEM_RESPONSES[422],
        "description": "事件不符合格式，或无法按平台的字段映射转换（原始数据已留存待核查）",
    },
}


class RawBodyRoute(APIRoute):
    """A route documented by FastAPI like any other, whose endpoint takes the bare `Request`
    and returns its own `Response`, called as it is: no dependencies to solve, no body to parse
    (the signature covers the exact bytes), no model to serialise, no per-request exit stacks
    for dependencies it does not have. Still inside every middleware and the app's error
    handlers; the busiest endpoint just does not pay for the rest (docs/PERFORMANCE.md
    "hotline_ingest")."""

    def __init__(
        self, path: str, endpoint: Callable[[Request], Awaitable[Response]], **options: Any
    ) -> None:
        super().__init__(path, endpoint, **options)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            response = await endpoint(Request(scope, receive))
            await response(scope, receive, send)

        self.app = app


async def _read_capped(request: Request, length: str) -> bytes | None:
    """The body, or None once it passes 256 KiB (never buffered further). Read from the ASGI
    messages themselves: `Request.stream()` costs an async generator per delivery."""
    if ascii_number(length) and int(length) > service.MAX_BODY:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > service.MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def receive(request: Request) -> Response:
    """The raw body is read here, not parsed by FastAPI: the signature covers the exact bytes."""
    state = request.app.state
    store: Store | None = state.webhook_store
    if store is None:  # the lifespan has not opened it (or already closed it)
        raise ServiceUnavailable("12345 工单接收尚未就绪，请稍后重试", headers=RETRY_LATER)
    headers = {name.decode("latin-1"): v.decode("latin-1") for name, v in request.scope["headers"]}
    body = await _read_capped(request, headers.get("content-length", ""))
    try:
        outcome, told = await service.receive(
            store, state.settings, body, headers, state.platform_mappings
        )
    except DATABASE_UNAVAILABLE as exc:  # asyncpg's own errors, not SQLAlchemy's: mapped here
        log.warning("hotline_webhook_database_unavailable", error=str(exc)[:300])
        raise ServiceUnavailable("数据库暂不可用，请稍后重试", headers=RETRY_LATER) from exc
    if told and state.relay is not None:
        state.relay.notify()
    return Response(ACKS[outcome], media_type="application/json")


route = RawBodyRoute(
    PATH,
    receive,
    methods=["POST"],
    tags=["webhook"],
    response_model=WebhookAck,
    responses=_RESPONSES,
    summary="12345 platform work-order events (Standard Webhooks signature)",
    description=(
        "Headers `webhook-id`, `webhook-timestamp`, `webhook-signature` (Standard Webhooks, any "
        "secret in `HOTLINE_WEBHOOK_SECRETS`; a secret `platform:whsec_…` sends through that "
        "platform's field mapping). 2xx only once the delivery and its effect are "
        "committed. Same webhook-id again, or the same (order_no, type, occurred_at) under a new "
        "id: 2xx without a second effect. See docs/HOTLINE.md."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/HotlineDelivery"}}
            },
        }
    },
)


@router.get(
    "/api/hotline/v1/schemas/events",
    summary="JSON Schema of each webhook event's data, and of a whole delivery",
)
async def event_schemas() -> dict[str, Any]:
    return {
        "delivery": contract_schema(),
        **{name: model.model_json_schema() for name, model in EVENT_MODELS.items()},
    }
