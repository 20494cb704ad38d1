"""The quarantine queue (待处理): orders the platform sent with a handling unit or category we
do not know, or without a handling unit at all (Open311 requests), or whose `created` event has
not arrived. They are kept and not scored — never dropped (seed 004: every appeal is tracked).
The office maps the code (a unit-code mapping, a category, or a dispatch to one of our units);
every order waiting for that code is then derived again and, once out of quarantine, told to
evaluation with all its events in order."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.quarantine import repository
from services.hotline_ingest.webhook.repository import receive_in_session, refresh_in_session
from services.hotline_ingest.webhook.schemas import Assigned
from services.hotline_ingest.webhook.service import event_receipt
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models import WorkOrder
from shared.settings import Settings


async def resolve(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    order_no: str,
    unit_code: str | None,
    category: dict[str, Any] | None,
) -> tuple[WorkOrder, list[str]]:
    """Resolve one order's quarantine; returns the order and every order released with it."""
    order = await repository.order(session, order_no)
    if order is None:
        raise NotFound(f"工单 {order_no} 不存在")
    if order.quarantine_reason is None:
        raise Conflict("该工单不在待处理队列中")
    if unit_code is None and category is None:
        raise ValidationFailed(
            "请提供单位代码或分类",
            errors=[FieldError(loc=["body", "unit_code"], msg="缺少必填字段", type="missing")],
        )
    before = order.quarantine_reason
    waiting = {order_no}
    if unit_code is not None:
        if not await repository.unit_exists(session, unit_code):
            raise ValidationFailed(
                f"单位 {unit_code} 不存在",
                errors=[FieldError(loc=["body", "unit_code"], msg="单位不存在", type="unknown")],
            )
        if order.handling_unit_code is None:
            await dispatch(session, settings, principal, order, unit_code)
        elif order.handling_unit_code != unit_code:
            external = order.handling_unit_code
            waiting |= set(await repository.orders_waiting_for(session, unit_code=external))
            await repository.map_unit_code(session, external, unit_code, principal.username)
    if category is not None and order.category_code is not None:
        code = order.category_code
        waiting |= set(await repository.orders_waiting_for(session, category_code=code))
        await set_category(
            session, principal, code, str(category["name"]), category.get("domain_code")
        )
    released = await replay(session, settings, sorted(waiting))
    order = await repository.order(session, order_no)
    assert order is not None
    await audit.record(
        session,
        actor=principal,
        action="work_order.quarantine_resolved",
        entity_type="work_order",
        entity_id=order_no,
        before={"quarantine_reason": before},
        after={
            "quarantine_reason": order.quarantine_reason,
            "unit_code": unit_code,
            "category": category,
            "released": released,
        },
    )
    return order, [o for o in released if o != order_no]


async def replay(session: AsyncSession, settings: Settings, order_nos: list[str]) -> list[str]:
    """Derive each order again; returns those that left quarantine."""
    released = []
    for order_no in order_nos:
        await refresh_in_session(session, order_no, settings)
        refreshed = await repository.order(session, order_no)
        if refreshed is not None and refreshed.quarantine_reason is None:
            released.append(order_no)
    return released


async def dispatch(
    session: AsyncSession, settings: Settings, principal: Principal, order: WorkOrder, unit: str
) -> None:
    """派单 by the office: an order that came without a handling unit (an Open311 request) is
    assigned to one of our units, recorded as the `assigned` event the platform would send."""
    now = datetime.now(UTC)
    data = Assigned(
        order_no=order.order_no,
        occurred_at=now,
        handling_unit_code=unit,
        due_at=order.due_at or now,
    )
    base = {
        "webhook_id": f"office:{uuid.uuid4().hex}",
        "source": "office",
        "headers": json.dumps({"actor": principal.username}),
        "body": data.model_dump_json(),
        "event_type": "work_order.assigned",
    }
    await receive_in_session(session, event_receipt(settings, base, data), settings)


async def set_category(
    session: AsyncSession, principal: Principal, code: str, name: str, domain_code: str | None
) -> None:
    """The office's category table: a platform category and the task-list domain it feeds."""
    existing = await repository.category(session, code)
    before = {"name": existing.name, "domain_code": existing.domain_code} if existing else None
    await repository.upsert_category(session, code, name, domain_code)
    await audit.record(
        session,
        actor=principal,
        action="category.set",
        entity_type="category",
        entity_id=code,
        before=before,
        after={"name": name, "domain_code": domain_code},
    )


async def put_category(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    code: str,
    name: str,
    domain_code: str | None,
) -> list[str]:
    """Set a category, then release the orders that were waiting for it."""
    waiting = await repository.orders_waiting_for(session, category_code=code)
    await set_category(session, principal, code, name, domain_code)
    return await replay(session, settings, waiting)
