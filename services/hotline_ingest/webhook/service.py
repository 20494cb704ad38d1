"""Receiving the 12345 platform's webhooks (seed 004_1871f105e1d7927d.txt: 12345 is the single
service line, every appeal tracked, supervised and evaluated; seed 001_643c54550577dac0.txt:
12345 complaints feed the year-end evaluation). Nothing may be lost or counted twice.

Order of the checks, each answered without storing anything: headers over 16 KiB (431), body
size (413), headers and Standard Webhooks signature with any active secret within ±5 minutes,
no control characters in them (401), UTF-8 (400), JSON (400).
Then the delivery is stored whatever it says: an unknown event type is kept and ignored (2xx), a
schema violation is kept for review and answered 422 with field errors, a valid event is applied
— all by one call of `hotline.receive`, committed before the answer. Every refusal is a typed
`DomainError`, answered as problem+json by the app's error handlers like any endpoint's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import structlog
from pydantic import ValidationError
from standardwebhooks import Webhook

from services.hotline_ingest.webhook.repository import Receipt, Store
from services.hotline_ingest.webhook.schemas import (
    EVENT_MODELS,
    PERSONAL_FIELDS,
    Created,
    Envelope,
)
from shared.crypto import encrypt
from shared.errors import (
    BadRequest,
    DomainError,
    FieldError,
    PayloadTooLarge,
    Unauthorized,
    field_errors_from_pydantic,
)
from shared.settings import Settings

log = structlog.get_logger(__name__)

MAX_BODY = 256 * 1024
# uvicorn's httptools parser has no header limit; a delivery's own headers are well under 2 KiB.
MAX_HEADER_BYTES = 16 * 1024
MAX_WEBHOOK_ID = 255
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@lru_cache(maxsize=8)
def verifiers(secrets: str) -> tuple[Webhook, ...]:
    """One verifier per active secret (`HOTLINE_WEBHOOK_SECRETS`, comma-separated, for
    rotation). A secret that is not `whsec_` + base64 is skipped with a warning."""
    found = []
    for secret in (s.strip() for s in secrets.split(",")):
        if not secret:
            continue
        try:
            found.append(Webhook(secret))
        except Exception:
            log.warning("hotline_webhook_secret_invalid", prefix=secret[:8])
    return tuple(found)


def verify(settings: Settings, text: str, headers: dict[str, str]) -> str:
    """The delivery's webhook id, if any active secret signed it within ±5 minutes; else 401.
    The standardwebhooks package checks the timestamp and the signatures; anything malformed in
    the headers is just "not verified" (never a 500)."""
    signed = {name: headers.get(name, "") for name in SIGNATURE_HEADERS}
    if not all(signed.values()):
        raise Unauthorized("缺少签名头（webhook-id、webhook-timestamp、webhook-signature）")
    webhook_id = signed["webhook-id"]
    if len(webhook_id) > MAX_WEBHOOK_ID or not webhook_id.isprintable():
        raise Unauthorized("webhook-id 格式无效")
    # The signer's base64 decoding skips stray bytes: a header carrying CR/LF is injected.
    if not all(value.isprintable() for value in signed.values()):
        raise Unauthorized("签名头含有控制字符")
    for verifier in verifiers(settings.hotline_webhook_secrets):
        try:
            verifier.verify(text, signed, json_parse=False)
        except Exception:  # noqa: S112  (malformed or wrong: try the next secret)
            continue
        return webhook_id
    raise Unauthorized("签名无效、密钥未知或时间戳超出 ±5 分钟")


class SchemaRejected(DomainError):
    status, code, title = 422, "validation_failed", "事件数据校验未通过"


class HeadersTooLarge(DomainError):
    status, code, title = 431, "headers_too_large", "请求头过大"


def parse(settings: Settings, body: bytes, headers: dict[str, str]) -> Receipt:
    """A verified delivery as it will be stored (raises 401/400 before anything is stored)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("请求体不是 UTF-8 编码") from exc
    webhook_id = verify(settings, text, headers)
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("请求体不是合法的 JSON") from exc
    stored_headers = json.dumps({name: headers[name] for name in SIGNATURE_HEADERS})
    event_type = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(event_type, str) or len(event_type) > 64 or "\x00" in event_type:
        event_type = None
    base: dict[str, Any] = {
        "webhook_id": webhook_id,
        "source": "webhook",
        "headers": stored_headers,
        "body": text,
        "event_type": event_type,
    }
    prefix: tuple[str, ...] = ()
    try:
        envelope = Envelope.model_validate(raw)
        model = EVENT_MODELS.get(envelope.type)
        if model is None:
            return Receipt(**base, outcome="ignored_type")
        prefix = ("data",)
        data = model.model_validate(envelope.data)
    except ValidationError as exc:
        errors = field_errors_from_pydantic(exc.errors(include_url=False, include_input=False))
        for error in errors:
            error.loc = [*prefix, *error.loc]
        return Receipt(
            **base,
            outcome="rejected_schema",
            errors=json.dumps([e.model_dump() for e in errors], ensure_ascii=False),
        )
    return event_receipt(settings, base, data)


def event_receipt(settings: Settings, base: dict[str, Any], data: Any) -> Receipt:
    """A valid event: personal fields encrypted onto the work order, never in the event log."""
    contact_name = contact_phone = None
    if isinstance(data, Created):
        key = settings.pii_encryption_key
        contact_name = encrypt(key, data.contact_name)
        contact_phone = encrypt(key, data.contact_phone)
    return Receipt(
        **base,
        outcome="applied",
        order_no=data.order_no,
        occurred_at=data.occurred_at,
        data=data.model_dump_json(exclude=set(PERSONAL_FIELDS)),
        contact_name=contact_name,
        contact_phone=contact_phone,
    )


async def receive(
    store: Store, settings: Settings, body: bytes | None, headers: dict[str, str]
) -> tuple[str, int]:
    """Check, store and apply one delivery (`body` None: it passed 256 KiB and was not read
    further); returns the outcome and the outbox rows written. A refusal raises its
    `DomainError` — after storing, for a schema violation (kept for review)."""
    if sum(len(name) + len(value) for name, value in headers.items()) > MAX_HEADER_BYTES:
        raise HeadersTooLarge("请求头超过 16 KiB")
    if body is None or len(body) > MAX_BODY:
        raise PayloadTooLarge("请求体超过 256 KiB")
    receipt = parse(settings, body, headers)
    outcome, told = await store(receipt)
    if receipt.outcome == "rejected_schema":
        errors = [FieldError(**e) for e in json.loads(receipt.errors or "[]")]
        raise SchemaRejected("事件不符合 12345 工单事件格式（原始数据已留存待核查）", errors=errors)
    return outcome, told
