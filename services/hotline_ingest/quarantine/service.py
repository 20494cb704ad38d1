"""The quarantine queue: orders whose handling unit or category the platform names but we do not
know. The office maps the code (a unit-code mapping or a category), then the order is replayed:
derived again and, once out of quarantine, told to evaluation — never dropped."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.webhook.service import replay
from shared import audit
from shared.auth import Principal
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.models import Category, Unit, UnitCodeMapping, WorkOrder
from shared.settings import Settings


async def resolve(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    order_no: str,
    unit_code: str | None,
    category: dict[str, Any] | None,
) -> WorkOrder:
    order = await session.scalar(select(WorkOrder).where(WorkOrder.order_no == order_no))
    if order is None:
        raise NotFound(f"工单 {order_no} 不存在")
    if order.quarantine_reason is None:
        raise Conflict("该工单不在待处理队列中")
    if unit_code is not None:
        if not await session.scalar(select(Unit.id).where(Unit.code == unit_code)):
            raise ValidationFailed(f"单位 {unit_code} 不存在")
        external = order.handling_unit_code or ""
        stmt = insert(UnitCodeMapping).values(
            external_code=external, unit_code=unit_code, mapped_by=principal.username
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[UnitCodeMapping.external_code],
                set_={"unit_code": unit_code, "mapped_by": principal.username},
            )
        )
    if category is not None:
        await upsert_category(
            session,
            principal,
            order.category_code or "",
            str(category["name"]),
            category.get("domain_code"),
        )
    before = order.quarantine_reason
    state = await replay(session, settings, order_no)
    await audit.record(
        session,
        actor=principal,
        action="work_order.quarantine_resolved",
        entity_type="work_order",
        entity_id=order_no,
        before={"quarantine_reason": before},
        after={
            "quarantine_reason": state["quarantine_reason"],
            "unit_code": unit_code,
            "category": category,
        },
    )
    session.expire(order)
    refreshed = await session.scalar(select(WorkOrder).where(WorkOrder.order_no == order_no))
    assert refreshed is not None
    return refreshed


async def upsert_category(
    session: AsyncSession, principal: Principal, code: str, name: str, domain_code: str | None
) -> None:
    stmt = insert(Category).values(code=code, name=name, domain_code=domain_code)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Category.code],
            set_={"name": name, "domain_code": domain_code},
        )
    )
    await audit.record(
        session,
        actor=principal,
        action="category.set",
        entity_type="category",
        entity_id=code,
        after={"name": name, "domain_code": domain_code},
    )


async def categories(session: AsyncSession) -> list[Category]:
    return list((await session.execute(select(Category).order_by(Category.code))).scalars())
