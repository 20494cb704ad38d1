"""Receiving the 12345 platform's webhooks (seed 004_1871f105e1d7927d.txt: 12345 is the single
service line, every appeal tracked, supervised and evaluated; seed 001_643c54550577dac0.txt:
12345 complaints feed the year-end evaluation). Nothing may be lost or counted twice.

Order of the checks, each answered without storing anything: headers over 16 KiB (431), body
size (413), headers and Standard Webhooks signature with any active secret within ±5 minutes,
no control characters in them (401), UTF-8 (400), JSON (400).
A delivery verified by a platform's secret (`prov:whsec_…`) then goes through that platform's
field mapping, if the office wrote one (services/hotline_ingest/platform/; a failure is kept as
`rejected_mapping` and answered 422). Then the delivery is stored whatever it says: an unknown
event type is kept and ignored (2xx), a schema violation is kept for review and answered 422
with field errors, a valid event is applied — all by one call of `hotline.receive`, committed
before the answer. Every refusal is a typed
`DomainError`, answered as problem+json by the app's error handlers like any endpoint's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from pydantic import ValidationError
from standardwebhooks import Webhook

from services.hotline_ingest.platform.cache import MappingCache
from services.hotline_ingest.platform.mapping import Mapping, MappingFailed
from services.hotline_ingest.platform.mapping import apply as apply_mapping
from services.hotline_ingest.platform.schemas import PLATFORM_PATTERN
from services.hotline_ingest.repeats.caller import caller_key
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
PLATFORM_CODE = re.compile(PLATFORM_PATTERN)


@lru_cache(maxsize=8)
def verifiers(secrets: str) -> tuple[tuple[str | None, Webhook], ...]:
    """One verifier per active secret (`HOTLINE_WEBHOOK_SECRETS`, comma-separated, for
    rotation), with the platform it identifies: `prov:whsec_…` is platform `prov`'s (its
    deliveries go through its field mapping), a bare `whsec_…` our own contract's. A secret
    that is not `whsec_` + base64, or whose prefix is not a platform code, is skipped with a
    warning."""
    found = []
    for entry in (s.strip() for s in secrets.split(",")):
        if not entry:
            continue
        platform, _, secret = entry.rpartition(":")
        if platform and not PLATFORM_CODE.fullmatch(platform):
            log.warning("hotline_webhook_secret_platform_invalid", prefix=platform[:8])
            continue
        try:
            found.append((platform or None, Webhook(secret)))
        except Exception:
            log.warning("hotline_webhook_secret_invalid", prefix=secret[:8])
    return tuple(found)


def platforms(secrets: str) -> frozenset[str]:
    """The platforms that have a secret (`prov:whsec_…`)."""
    return frozenset(p for p, _ in verifiers(secrets) if p is not None)


@dataclass(frozen=True, slots=True)
class Verified:
    """A delivery whose signature an active secret verified: its text, id and platform."""

    text: str
    webhook_id: str
    platform: str | None


def verify(settings: Settings, text: str, headers: dict[str, str]) -> tuple[str, str | None]:
    """The delivery's webhook id and platform, if any active secret signed it within ±5
    minutes; else 401. The standardwebhooks package checks the timestamp and the signatures;
    anything malformed in the headers is just "not verified" (never a 500)."""
    signed = {name: headers.get(name, "") for name in SIGNATURE_HEADERS}
    if not all(signed.values()):
        raise Unauthorized("缺少签名头（webhook-id、webhook-timestamp、webhook-signature）")
    webhook_id = signed["webhook-id"]
    if len(webhook_id) > MAX_WEBHOOK_ID or not webhook_id.isprintable():
        raise Unauthorized("webhook-id 格式无效")
    # The signer's base64 decoding skips stray bytes: a header carrying CR/LF is injected.
    if not all(value.isprintable() for value in signed.values()):
        raise Unauthorized("签名头含有控制字符")
    for platform, verifier in verifiers(settings.hotline_webhook_secrets):
        try:
            verifier.verify(text, signed, json_parse=False)
        except Exception:  # noqa: S112  (malformed or wrong: try the next secret)
            continue
        return webhook_id, platform
    raise Unauthorized("签名无效、密钥未知或时间戳超出 ±5 分钟")


def authenticate(settings: Settings, body: bytes, headers: dict[str, str]) -> Verified:
    """Decoded and verified (raises 400/401 before anything is stored)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("请求体不是 UTF-8 编码") from exc
    webhook_id, platform = verify(settings, text, headers)
    return Verified(text, webhook_id, platform)


class SchemaRejected(DomainError):
    status, code, title = 422, "validation_failed", "事件数据校验未通过"


class MappingRejected(DomainError):
    status, code, title = 422, "mapping_failed", "平台字段映射未通过"


class HeadersTooLarge(DomainError):
    status, code, title = 431, "headers_too_large", "请求头过大"


def parse(
    settings: Settings, body: bytes, headers: dict[str, str], mapping: Mapping | None = None
) -> Receipt:
    """A verified delivery as it will be stored (raises 401/400 before anything is stored)."""
    return read(settings, authenticate(settings, body, headers), headers, mapping)


def read(
    settings: Settings, verified: Verified, headers: dict[str, str], mapping: Mapping | None
) -> Receipt:
    """A verified delivery as it will be stored: through its platform's mapping, if it has
    one, then the contract. 400 if it is not JSON."""
    try:
        raw = json.loads(verified.text)
    except (ValueError, RecursionError) as exc:
        raise BadRequest("请求体不是合法的 JSON") from exc
    stored_headers = json.dumps({name: headers[name] for name in SIGNATURE_HEADERS})
    base: dict[str, Any] = {
        "webhook_id": verified.webhook_id,
        "source": "webhook",
        "headers": stored_headers,
        "body": verified.text,
        "event_type": _event_type(raw),
        "platform": verified.platform,
        "mapping_version": mapping.version if mapping else None,
    }
    if mapping is not None:
        try:
            raw = apply_mapping(mapping, raw)
        except MappingFailed as failed:
            return Receipt(**base, outcome="rejected_mapping", errors=_errors_json(failed.errors))
        base["event_type"] = _event_type(raw)
    return validate(settings, base, raw)


def _event_type(raw: Any) -> str | None:
    event_type = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(event_type, str) or len(event_type) > 64 or "\x00" in event_type:
        return None
    return event_type


def _errors_json(errors: list[FieldError]) -> str:
    return json.dumps([e.model_dump() for e in errors], ensure_ascii=False)


def validate(settings: Settings, base: dict[str, Any], raw: Any) -> Receipt:
    """A body in our contract: an event to apply, an unknown type to keep, or a schema error."""
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
        return Receipt(**base, outcome="rejected_schema", errors=_errors_json(errors))
    return event_receipt(settings, base, data)


def event_receipt(settings: Settings, base: dict[str, Any], data: Any) -> Receipt:
    """A valid event: personal fields encrypted onto the work order, never in the event log
    (a `created` also carries its caller's keyed hash, for repeat requests: repeats.caller)."""
    contact_name = contact_phone = caller = None
    if isinstance(data, Created):
        key = settings.pii_encryption_key
        contact_name = encrypt(key, data.contact_name)
        contact_phone = encrypt(key, data.contact_phone)
        caller = caller_key(key, data.contact_phone)
    return Receipt(
        **base,
        outcome="applied",
        order_no=data.order_no,
        occurred_at=data.occurred_at,
        data=data.model_dump_json(exclude=set(PERSONAL_FIELDS)),
        contact_name=contact_name,
        contact_phone=contact_phone,
        caller_key=caller,
    )


async def receive(
    store: Store,
    settings: Settings,
    body: bytes | None,
    headers: dict[str, str],
    mappings: MappingCache | None = None,
) -> tuple[str, int]:
    """Check, store and apply one delivery (`body` None: it passed 256 KiB and was not read
    further); returns the outcome and the outbox rows written. A refusal raises its
    `DomainError` — after storing, for a schema or mapping failure (kept for review)."""
    if sum(len(name) + len(value) for name, value in headers.items()) > MAX_HEADER_BYTES:
        raise HeadersTooLarge("请求头超过 16 KiB")
    if body is None or len(body) > MAX_BODY:
        raise PayloadTooLarge("请求体超过 256 KiB")
    verified = authenticate(settings, body, headers)
    mapping = None
    if verified.platform is not None and mappings is not None:
        mapping = await mappings.get(verified.platform)
    receipt = read(settings, verified, headers, mapping)
    outcome, told = await store(receipt)
    if receipt.outcome == "rejected_schema":
        raise SchemaRejected(
            "事件不符合 12345 工单事件格式（原始数据已留存待核查）", errors=_field_errors(receipt)
        )
    # Judged by what was stored: a resend of a delivery applied earlier stays a duplicate even
    # if a later version of the mapping would refuse it.
    if outcome == "rejected_mapping" and mapping is not None:
        raise MappingRejected(
            f"事件无法按平台 {mapping.platform} 的字段映射（第 {mapping.version} 版）转换"
            "（原始数据已留存待核查；映射修正后平台以同一 webhook-id 重发即可）",
            errors=_field_errors(receipt),
        )
    return outcome, told


def _field_errors(receipt: Receipt) -> list[FieldError]:
    return [FieldError(**e) for e in json.loads(receipt.errors or "[]")]
