"""Work orders as the office and handling units read them. Contacts are masked everywhere; an
office admin may reveal one order's contact with a reason, which is audited."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.work_order.schemas import (
    Contact,
    WorkOrderDetail,
    WorkOrderEventOut,
    WorkOrderOut,
)
from shared import audit
from shared.auth import Principal
from shared.crypto import decrypt, mask_name, mask_phone
from shared.errors import NotFound
from shared.models import WorkOrder, WorkOrderEvent
from shared.pagination import Page, PageParams
from shared.settings import Settings


def readable(principal: Principal) -> Select[WorkOrder]:
    statement = select(WorkOrder)
    if principal.can_read_unit(None):
        return statement
    return statement.where(WorkOrder.handling_unit_code == (principal.unit_code or ""))


def to_out(order: WorkOrder, settings: Settings) -> WorkOrderOut:
    key = settings.pii_encryption_key
    return WorkOrderOut(
        order_no=order.order_no,
        status=order.status,
        channel=order.channel,
        kind=order.kind,
        title=order.title,
        category_code=order.category_code,
        district_code=order.district_code,
        handling_unit_code=order.handling_unit_code,
        enterprise_name=order.enterprise_name,
        contact_name=mask_name(decrypt(key, order.contact_name_enc)),
        contact_phone=mask_phone(decrypt(key, order.contact_phone_enc)),
        received_at=order.received_at,
        due_at=order.due_at,
        accepted_at=order.accepted_at,
        closed_at=order.closed_at,
        satisfaction=order.satisfaction,
        resolved=order.resolved,
        quarantine_reason=order.quarantine_reason,
    )


async def list_orders(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    page: PageParams,
    *,
    unit: str | None,
    district: str | None,
    kind: str | None,
    status: str | None,
    quarantined: bool | None,
    q: str | None,
) -> Page[WorkOrderOut]:
    statement = readable(principal)
    if unit:
        statement = statement.where(WorkOrder.handling_unit_code == unit)
    if district:
        statement = statement.where(WorkOrder.district_code == district)
    if kind:
        statement = statement.where(WorkOrder.kind == kind)
    if status:
        statement = statement.where(WorkOrder.status == status)
    if quarantined is not None:
        statement = statement.where(
            WorkOrder.quarantine_reason.is_not(None)
            if quarantined
            else WorkOrder.quarantine_reason.is_(None)
        )
    if q:
        pattern = f"%{q}%"
        statement = statement.where(
            or_(WorkOrder.title.ilike(pattern), WorkOrder.order_no.ilike(pattern))
        )
    total = int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    rows = (
        (
            await session.execute(
                statement.order_by(WorkOrder.received_at.desc().nulls_last(), WorkOrder.order_no)
                .limit(page.limit)
                .offset(page.offset)
            )
        )
        .scalars()
        .all()
    )
    return Page[WorkOrderOut](items=[to_out(o, settings) for o in rows], total=total)


async def _get(session: AsyncSession, principal: Principal, order_no: str) -> WorkOrder:
    order = (
        await session.execute(readable(principal).where(WorkOrder.order_no == order_no))
    ).scalar_one_or_none()
    if order is None:
        raise NotFound(f"工单 {order_no} 不存在或无权查看")
    return order


async def detail(
    session: AsyncSession, settings: Settings, principal: Principal, order_no: str
) -> WorkOrderDetail:
    order = await _get(session, principal, order_no)
    events = (
        (
            await session.execute(
                select(WorkOrderEvent)
                .where(WorkOrderEvent.order_no == order_no)
                .order_by(WorkOrderEvent.occurred_at, WorkOrderEvent.id)
            )
        )
        .scalars()
        .all()
    )
    return WorkOrderDetail(
        **to_out(order, settings).model_dump(),
        content=order.content,
        reply=order.reply,
        events=[
            WorkOrderEventOut(type=e.type, occurred_at=e.occurred_at, data=e.data) for e in events
        ],
    )


async def reveal(
    session: AsyncSession, settings: Settings, principal: Principal, order_no: str, reason: str
) -> Contact:
    order = await _get(session, principal, order_no)
    await audit.record(
        session,
        actor=principal,
        action="work_order.contact_revealed",
        entity_type="work_order",
        entity_id=order_no,
        after={"reason": reason},
    )
    key = settings.pii_encryption_key
    return Contact(
        order_no=order_no,
        contact_name=decrypt(key, order.contact_name_enc),
        contact_phone=decrypt(key, order.contact_phone_enc),
    )
