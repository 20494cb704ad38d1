"""Queries of the quarantine queue and the office's code tables; never commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Category, Unit, UnitCodeMapping, WorkOrder


async def order(session: AsyncSession, order_no: str) -> WorkOrder | None:
    return await session.scalar(
        select(WorkOrder)
        .where(WorkOrder.order_no == order_no)
        .execution_options(populate_existing=True)
    )


async def queue(session: AsyncSession, limit: int, offset: int) -> tuple[list[WorkOrder], int]:
    statement = select(WorkOrder).where(WorkOrder.quarantine_reason.is_not(None))
    total = int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    rows = await session.scalars(
        statement.order_by(WorkOrder.updated_at, WorkOrder.order_no).limit(limit).offset(offset)
    )
    return list(rows), total


async def unit_exists(session: AsyncSession, code: str) -> bool:
    return bool(await session.scalar(select(Unit.id).where(Unit.code == code)))


async def map_unit_code(session: AsyncSession, external: str, unit_code: str, by: str) -> None:
    stmt = insert(UnitCodeMapping).values(external_code=external, unit_code=unit_code, mapped_by=by)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[UnitCodeMapping.external_code],
            set_={"unit_code": unit_code, "mapped_by": by, "mapped_at": func.now()},
        )
    )


async def unit_mappings(session: AsyncSession) -> list[UnitCodeMapping]:
    return list(
        await session.scalars(select(UnitCodeMapping).order_by(UnitCodeMapping.external_code))
    )


async def category(session: AsyncSession, code: str) -> Category | None:
    return await session.get(Category, code, populate_existing=True)


async def upsert_category(
    session: AsyncSession, code: str, name: str, domain_code: str | None
) -> None:
    stmt = insert(Category).values(code=code, name=name, domain_code=domain_code)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Category.code], set_={"name": name, "domain_code": domain_code}
        )
    )


async def categories(session: AsyncSession) -> list[Category]:
    return list(await session.scalars(select(Category).order_by(Category.code)))


async def orders_waiting_for(
    session: AsyncSession, *, unit_code: str | None = None, category_code: str | None = None
) -> list[str]:
    """Quarantined orders a new mapping may release (replayed together)."""
    statement = select(WorkOrder.order_no).where(WorkOrder.quarantine_reason.is_not(None))
    if unit_code is not None:
        statement = statement.where(WorkOrder.handling_unit_code == unit_code)
    if category_code is not None:
        statement = statement.where(WorkOrder.category_code == category_code)
    return list(await session.scalars(statement.order_by(WorkOrder.order_no).limit(10000)))
