"""Receiving the 12345 platform's webhooks: verify (Standard Webhooks), store the raw delivery,
apply the event once, derive the work order, tell evaluation — all in one transaction, so a 2xx
means it is durable. Same webhook-id again, or the same (order, event, time) under a new id: 2xx
and no second effect."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from services.hotline_ingest.calendar import service as calendar
from services.hotline_ingest.webhook.schemas import EVENT_MODELS, PERSONAL_FIELDS, Envelope
from services.hotline_ingest.work_order.state import derive
from shared import outbox
from shared.crypto import encrypt
from shared.errors import BadRequest, FieldError, Unauthorized, field_errors_from_pydantic
from shared.models import Category, Delivery, Unit, UnitCodeMapping, WorkOrder, WorkOrderEvent
from shared.settings import Settings

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verify(settings: Settings, body: bytes, headers: dict[str, str]) -> tuple[str, str]:
    """(webhook id, text) of a delivery signed with any active secret, else 401/400."""
    if not all(headers.get(h) for h in SIGNATURE_HEADERS):
        raise Unauthorized("缺少签名头（webhook-id、webhook-timestamp、webhook-signature）")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("请求体不是 UTF-8 编码") from exc
    secrets = [s.strip() for s in settings.hotline_webhook_secrets.split(",") if s.strip()]
    signed = {h: headers[h] for h in SIGNATURE_HEADERS}
    for secret in secrets:
        try:
            Webhook(secret).verify(text, signed, json_parse=False)
        except Exception:  # noqa: S112  (a malformed header or signature is just "not verified")
            continue
        return headers["webhook-id"], text
    raise Unauthorized("签名无效、密钥未知或时间戳超出 ±5 分钟")


class SchemaRejected(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors


async def receive(
    session: AsyncSession, settings: Settings, body: bytes, headers: dict[str, str]
) -> str:
    webhook_id, text = verify(settings, body, headers)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadRequest("请求体不是合法的 JSON") from exc
    delivery_id = (
        await session.execute(
            insert(Delivery)
            .values(
                webhook_id=webhook_id,
                headers={h: headers[h] for h in SIGNATURE_HEADERS},
                body=text,
                verified=True,
                outcome="received",
            )
            .on_conflict_do_nothing(index_elements=[Delivery.webhook_id])
            .returning(Delivery.id)
        )
    ).scalar_one_or_none()
    if delivery_id is None:
        return "duplicate_delivery"
    delivery = await session.get(Delivery, delivery_id)
    assert delivery is not None
    try:
        envelope = Envelope.model_validate(raw)
        model = EVENT_MODELS.get(envelope.type)
        delivery.event_type = envelope.type
        if model is None:
            delivery.outcome = "ignored_type"
            return "ignored_type"
        data = model.model_validate(envelope.data)
    except ValidationError as exc:
        delivery.outcome = "rejected_schema"
        errors = field_errors_from_pydantic(exc.errors())
        delivery.errors = [e.model_dump() for e in errors]
        await session.flush()
        raise SchemaRejected(errors) from exc
    outcome = await apply(
        session,
        settings,
        delivery_id,
        envelope.type,
        data.model_dump(mode="json"),
        data.occurred_at,
    )
    delivery.outcome = outcome
    await session.flush()
    return outcome


async def apply(
    session: AsyncSession,
    settings: Settings,
    delivery_id: int,
    event_type: str,
    data: dict[str, Any],
    occurred_at: datetime,
) -> str:
    order_no = str(data["order_no"])
    public = {k: v for k, v in data.items() if k not in PERSONAL_FIELDS}
    event_id = (
        await session.execute(
            insert(WorkOrderEvent)
            .values(
                order_no=order_no,
                type=event_type,
                occurred_at=occurred_at,
                delivery_id=delivery_id,
                data=public,
            )
            .on_conflict_do_nothing(index_elements=["order_no", "type", "occurred_at"])
            .returning(WorkOrderEvent.id)
        )
    ).scalar_one_or_none()
    if event_id is None:
        return "duplicate_event"
    contact = None
    if event_type == "work_order.created":
        contact = (
            encrypt(settings.pii_encryption_key, data.get("contact_name")),
            encrypt(settings.pii_encryption_key, data.get("contact_phone")),
        )
    was_quarantined, state = await refresh_order(session, order_no, contact)
    if state["quarantine_reason"] is None:
        if was_quarantined:  # it just left quarantine: everything is news to evaluation
            await _tell_all(session, settings, order_no, state)
        else:
            await _tell(session, settings, event_type, order_no, state, occurred_at)
    return "applied"


async def refresh_order(
    session: AsyncSession, order_no: str, contact: tuple[bytes | None, bytes | None] | None = None
) -> tuple[bool, dict[str, Any]]:
    """Derive the order from all its events (serialised per order) and store it; returns whether
    it was in quarantine before, and the new state (with `quarantine_reason`)."""
    previous = (
        await session.execute(
            select(WorkOrder.quarantine_reason)
            .where(WorkOrder.order_no == order_no)
            .with_for_update()
        )
    ).one_or_none()
    was_quarantined = previous is not None and previous[0] is not None
    events = (
        await session.execute(
            select(WorkOrderEvent.type, WorkOrderEvent.occurred_at, WorkOrderEvent.data).where(
                WorkOrderEvent.order_no == order_no
            )
        )
    ).all()
    state = derive([(t, o, d) for t, o, d in events])
    reasons = []
    unit = state.get("handling_unit_code")
    if unit is not None:
        mapped = await session.scalar(
            select(UnitCodeMapping.unit_code).where(UnitCodeMapping.external_code == unit)
        )
        unit = state["handling_unit_code"] = mapped or unit
    if unit is None or not await session.scalar(select(Unit.id).where(Unit.code == unit)):
        reasons.append(f"未知承办单位“{unit}”")
    category = state.get("category_code")
    if category is not None and not await session.scalar(
        select(Category.code).where(Category.code == category)
    ):
        reasons.append(f"未知分类“{category}”")
    state["quarantine_reason"] = "；".join(reasons) or None
    if contact is not None:
        state["contact_name_enc"], state["contact_phone_enc"] = contact
    stmt = insert(WorkOrder).values(order_no=order_no, **state)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[WorkOrder.order_no],
            set_={k: stmt.excluded[k] for k in state},
        )
    )
    return was_quarantined, state


async def _tell(
    session: AsyncSession,
    settings: Settings,
    event_type: str,
    order_no: str,
    state: dict[str, Any],
    occurred_at: datetime,
) -> None:
    within = True
    if event_type == "work_order.accepted":
        within = await responded_in_time(session, settings, state, occurred_at)
    await _tell_evaluation(
        session, event_type, order_no, state, occurred_at, str(state["handling_unit_code"]), within
    )


async def replay(session: AsyncSession, settings: Settings, order_no: str) -> dict[str, Any]:
    """After the office mapped what was unknown: derive again and, if the order left quarantine,
    tell evaluation everything it had not been told, in order."""
    was_quarantined, state = await refresh_order(session, order_no)
    if was_quarantined and state["quarantine_reason"] is None:
        await _tell_all(session, settings, order_no, state)
    return state


async def _tell_all(
    session: AsyncSession, settings: Settings, order_no: str, state: dict[str, Any]
) -> None:
    events = (
        await session.execute(
            select(WorkOrderEvent.type, WorkOrderEvent.occurred_at)
            .where(WorkOrderEvent.order_no == order_no)
            .order_by(WorkOrderEvent.occurred_at, WorkOrderEvent.id)
        )
    ).all()
    for event_type, occurred_at in events:
        await _tell(session, settings, event_type, order_no, state, occurred_at)


async def _tell_evaluation(
    session: AsyncSession,
    event_type: str,
    order_no: str,
    state: dict[str, Any],
    occurred_at: datetime,
    unit: str,
    within_limit: bool,
) -> None:
    """The rates' inputs (seed 001: 12345 complaints feed the year-end evaluation)."""
    common = {
        "order_no": order_no,
        "kind": state.get("kind"),
        "district_code": state.get("district_code"),
    }
    if event_type == "work_order.created":
        mapped, extra = "work_order.created", {"category_code": state.get("category_code")}
    elif event_type == "work_order.accepted":
        mapped = "work_order.responded"
        extra = {"within_limit": within_limit}
    elif event_type == "work_order.visited":
        mapped = "work_order.visited"
        extra = {"resolved": state.get("resolved"), "satisfaction": state.get("satisfaction")}
    elif event_type == "work_order.closed":
        mapped, extra = "work_order.closed", {}
    else:
        return
    await outbox.enqueue(
        session, mapped, {**common, **extra}, unit_code=unit, occurred_at=occurred_at
    )


async def responded_in_time(
    session: AsyncSession, settings: Settings, state: dict[str, Any], accepted_at: datetime
) -> bool:
    """Accepted by the end of the N-th working day after receipt (N per appeal kind, settings
    HOTLINE_RESPONSE_DAYS; seed 004: 12345 tracks and evaluates every appeal)."""
    received = state.get("received_at")
    if received is None:
        return True  # `created` not seen yet: no limit to hold it against
    days = settings.hotline_response_days.get(str(state.get("kind")), 1)
    deadline = (await calendar.load(session)).deadline(received, days)
    return accepted_at <= deadline
