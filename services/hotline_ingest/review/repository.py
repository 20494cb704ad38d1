"""Service reviews read from the work orders' follow-up visits; scoped like work orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.models import Unit, WorkOrder

GOOD = ("satisfied", "basically_satisfied")


def readable(principal: Principal, start: datetime, end: datetime) -> Select[WorkOrder]:
    statement = select(WorkOrder).where(
        WorkOrder.visited_at >= start,
        WorkOrder.visited_at < end,
        WorkOrder.satisfaction.is_not(None),
        WorkOrder.quarantine_reason.is_(None),
    )
    if not principal.can_read_unit(None):
        statement = statement.where(WorkOrder.handling_unit_code == (principal.unit_code or ""))
    return statement


async def page(
    session: AsyncSession, statement: Select[WorkOrder], limit: int, offset: int
) -> tuple[list[WorkOrder], int]:
    total = int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    rows = await session.scalars(
        statement.order_by(WorkOrder.visited_at.desc(), WorkOrder.order_no)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


async def summary(
    session: AsyncSession, statement: Select[WorkOrder], by_district: bool
) -> list[tuple[str, str, int, int]]:
    orders = statement.subquery()
    column = orders.c.district_code if by_district else orders.c.handling_unit_code
    good = func.count().filter(orders.c.satisfaction.in_(GOOD))
    bad = func.count().filter(orders.c.satisfaction == "dissatisfied")
    rows = await session.execute(
        select(column, func.coalesce(Unit.name, column), good, bad)
        .select_from(orders)
        .outerjoin(Unit, Unit.code == column)
        .where(column.is_not(None))
        .group_by(column, Unit.name)
        .order_by(case((good + bad == 0, 1), else_=0), column)
    )
    return [(str(c), str(n), int(g), int(b)) for c, n, g, b in rows]
