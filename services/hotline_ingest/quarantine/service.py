"""The quarantine queue (待处理): orders the platform sent with a handling unit or category we do
not know, or without a handling unit (待派单: Open311 requests, platforms that dispatch later) or a
category (待分类) at all, or whose `created` event has not arrived. They are kept and not scored —
never dropped (seed 004_1871f105e1d7927d.txt: 12345 is the one service desk, 总客服, for every
consultation, complaint, request for help, suggestion and report, and tracks each; docs/RULES.md:
"Every order the platform sends is kept, even without its handling unit or category …"). The office
maps the code (a unit-code mapping, a category, a dispatch to one of our units, or one of the known
categories for an order that has none); every order waiting for that code is then derived again and,
once out of quarantine, told to evaluation with all its events in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest import office_events
from services.hotline_ingest.quarantine.repository import QuarantineRepository
from services.hotline_ingest.webhook.repository import refresh_in_session
from services.hotline_ingest.webhook.schemas import Assigned, Categorized
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models import Category, UnitCodeMapping, WorkOrder
from shared.pagination import PageParams
from shared.settings import Settings


async def queue(session: AsyncSession, page: PageParams) -> tuple[Sequence[WorkOrder], int]:
    return await QuarantineRepository(session).queue(page)


async def unit_mappings(session: AsyncSession) -> list[UnitCodeMapping]:
    return await QuarantineRepository(session).unit_mappings()


async def categories(session: AsyncSession) -> list[Category]:
    return await QuarantineRepository(session).categories()


@dataclass(frozen=True)
class Resolution:
    """What the office supplies for a held order: a unit (a mapping of the platform's code, or
    a dispatch when it has none), a new category for an unknown code, or one of the known
    categories for an order that came without one."""

    unit_code: str | None = None
    category: dict[str, Any] | None = None
    category_code: str | None = None


async def resolve(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    order_no: str,
    resolution: Resolution,
) -> tuple[WorkOrder, list[str]]:
    """Resolve one order's quarantine; returns the order and every order released with it."""
    repo = QuarantineRepository(session)
    order = await repo.order(order_no)
    if order is None:
        raise NotFound(f"工单 {order_no} 不存在")
    if order.quarantine_reason is None:
        raise Conflict("该工单不在待处理队列中")
    if resolution == Resolution():
        raise ValidationFailed(
            "请提供单位代码或分类",
            errors=[FieldError(loc=["body", "unit_code"], msg="缺少必填字段", type="missing")],
        )
    before = order.quarantine_reason
    waiting = {order_no}
    if resolution.unit_code is not None:
        waiting |= await _supply_unit(session, settings, principal, order, resolution.unit_code)
    if resolution.category is not None and order.category_code is not None:
        code = order.category_code
        waiting |= set(await repo.orders_waiting_for(category_code=code))
        category = resolution.category
        await set_category(
            session, principal, code, str(category["name"]), category.get("domain_code")
        )
    if resolution.category_code is not None:
        await _classify(session, settings, principal, order, resolution.category_code)
    released = await replay(session, settings, sorted(waiting))
    order = await repo.order(order_no)
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
            "unit_code": resolution.unit_code,
            "category": resolution.category,
            "category_code": resolution.category_code,
            "released": released,
        },
    )
    return order, [o for o in released if o != order_no]


async def _supply_unit(
    session: AsyncSession, settings: Settings, principal: Principal, order: WorkOrder, unit: str
) -> set[str]:
    """Dispatch an order that has no handling unit, or map the platform's unknown code to ours;
    returns the other orders waiting for that mapping."""
    repo = QuarantineRepository(session)
    if not await repo.unit_exists(unit):
        raise ValidationFailed(
            f"单位 {unit} 不存在",
            errors=[FieldError(loc=["body", "unit_code"], msg="单位不存在", type="unknown")],
        )
    if order.handling_unit_code is None:
        await dispatch(session, settings, principal, order, unit)
        return set()
    if order.handling_unit_code == unit:
        return set()
    external = order.handling_unit_code
    waiting = set(await repo.orders_waiting_for(unit_code=external))
    await repo.map_unit_code(external, unit, principal.username)
    return waiting


async def _classify(
    session: AsyncSession, settings: Settings, principal: Principal, order: WorkOrder, code: str
) -> None:
    """归类 by the office: an order that came without a category gets one of the known ones,
    recorded as the `categorized` event the platform would send."""
    if order.category_code is not None:
        raise Conflict(f"工单已有分类“{order.category_code}”，请登记该分类而不是另选")
    if await QuarantineRepository(session).category(code) is None:
        raise ValidationFailed(
            f"分类 {code} 未登记",
            errors=[FieldError(loc=["body", "category_code"], msg="分类未登记", type="unknown")],
        )
    data = Categorized(order_no=order.order_no, occurred_at=datetime.now(UTC), category_code=code)
    await office_events.record(session, settings, principal, "work_order.categorized", data)


async def replay(session: AsyncSession, settings: Settings, order_nos: list[str]) -> list[str]:
    """Derive each order again; returns those that left quarantine."""
    repo = QuarantineRepository(session)
    released = []
    for order_no in order_nos:
        await refresh_in_session(session, order_no, settings)
        refreshed = await repo.order(order_no)
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
    await office_events.record(session, settings, principal, "work_order.assigned", data)


async def set_category(
    session: AsyncSession, principal: Principal, code: str, name: str, domain_code: str | None
) -> None:
    """The office's category table: a platform category and the task-list domain it feeds."""
    repo = QuarantineRepository(session)
    existing = await repo.category(code)
    before = {"name": existing.name, "domain_code": existing.domain_code} if existing else None
    await repo.upsert_category(code, name, domain_code)
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
    waiting = await QuarantineRepository(session).orders_waiting_for(category_code=code)
    await set_category(session, principal, code, name, domain_code)
    return await replay(session, settings, waiting)
