"""The webhook as the OpenAPI documents it. Requests normally never reach this route: the same
rules are served in front of the middleware stack by `fastpath.HotlineApp` (see there why);
with `HOTLINE_WEBHOOK_FAST_PATH=false` this route serves them, in the request's transaction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.hotline_ingest.webhook import service
from services.hotline_ingest.webhook.fastpath import PATH, render
from services.hotline_ingest.webhook.repository import Receipt, receive_in_session
from services.hotline_ingest.webhook.schemas import EVENT_MODELS, WebhookAck, contract_schema
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES
from shared.validation import ascii_number

router = APIRouter(tags=["webhook"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    401: {**PROBLEM_RESPONSES[401], "description": "签名缺失/无效、密钥未知或时间戳超出 ±5 分钟"},
    413: {"description": "请求体超过 256 KiB", "content": {"application/problem+json": {}}},
    422: {**PROBLEM_RESPONSES[422], "description": "事件不符合格式（原始数据已留存待核查）"},
}


async def _read_capped(request: Request) -> bytes | None:
    length = request.headers.get("content-length", "")
    if ascii_number(length) and int(length) > service.MAX_BODY:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > service.MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    PATH,
    response_model=WebhookAck,
    responses=_RESPONSES,
    summary="12345 platform work-order events (Standard Webhooks signature)",
    description=(
        "Headers `webhook-id`, `webhook-timestamp`, `webhook-signature` (Standard Webhooks, any "
        "secret in `HOTLINE_WEBHOOK_SECRETS`). 2xx only once the delivery and its effect are "
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
async def receive(request: Request, session: Session) -> Response:
    settings = request.app.state.settings

    async def store(receipt: Receipt) -> tuple[str, int]:
        return await receive_in_session(session, receipt, settings)

    body = await _read_capped(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    answer, _ = await service.receive(store, settings, body, headers)
    status, response_headers, payload = render(answer, request.headers.get("x-request-id") or "-")
    return Response(
        payload,
        status_code=status,
        headers={k.decode(): v.decode() for k, v in response_headers if k != b"content-length"},
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
