from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.hotline_ingest.webhook import service
from services.hotline_ingest.webhook.schemas import EVENT_MODELS, WebhookAck
from shared.db import Session
from shared.errors import PROBLEM_RESPONSES, PayloadTooLarge, problem_response

router = APIRouter(prefix="/api/hotline/v1", tags=["webhook"], responses=PROBLEM_RESPONSES)
MAX_BODY = 256 * 1024


async def _read_capped(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise PayloadTooLarge("请求体超过 256 KiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise PayloadTooLarge("请求体超过 256 KiB")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/webhooks/12345",
    response_model=WebhookAck,
    summary="12345 platform events (Standard Webhooks signature; see docs/HOTLINE.md)",
)
async def receive(request: Request, session: Session) -> Any:
    body = await _read_capped(request)
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        status = await service.receive(session, request.app.state.settings, body, headers)
    except service.SchemaRejected as exc:
        # The raw delivery is kept for review: answer 422 without rolling back.
        return problem_response(
            request,
            422,
            "validation_failed",
            "事件数据校验未通过",
            "事件不符合 12345 工单事件格式",
            errors=exc.errors,
        )
    return WebhookAck(status=status)


@router.get("/schemas/events", summary="JSON Schema of each webhook event's data")
async def event_schemas() -> dict[str, Any]:
    return {name: model.model_json_schema() for name, model in EVENT_MODELS.items()}
