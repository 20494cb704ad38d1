"""Work-order queries, every one built from `readable_statement(principal)`: the office and
viewers read all orders, a unit only those it handles (another unit's order is simply not
there). Never commits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from services.hotline_ingest.work_order.schemas import WorkOrderFilters, WorkOrderSort
from shared.auth import Principal
from shared.clock import SHANGHAI
from shared.models import Category, Delivery, WorkOrder, WorkOrderEvent
from shared.pagination import PageParams
from shared.repository import RepositoryBase

Row = tuple[WorkOrder, str | None]


def _is_overdue(now: datetime) -> ColumnElement[bool]:
    return and_(
        WorkOrder.closed_at.is_(None),
        WorkOrder.visited_at.is_(None),
        WorkOrder.due_at < now,
    )


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


class WorkOrderRepository(RepositoryBase[WorkOrder]):
    model = WorkOrder

    def readable_statement(self, principal: Principal) -> Select[WorkOrder, str | None]:
        statement = select(WorkOrder, Category.domain_code).outerjoin(
            Category, Category.code == WorkOrder.category_code
        )
        if principal.can_read_unit(None):
            return statement
        return statement.where(WorkOrder.handling_unit_code == (principal.unit_code or ""))

    def filtered_statement(
        self, principal: Principal, filters: WorkOrderFilters, now: datetime
    ) -> Select[WorkOrder, str | None]:
        statement = self.readable_statement(principal)
        for column, value in (
            (WorkOrder.handling_unit_code, filters.unit),
            (WorkOrder.district_code, filters.district),
            (WorkOrder.kind, filters.kind),
            (WorkOrder.status, filters.status),
            (WorkOrder.channel, filters.channel),
            (WorkOrder.category_code, filters.category),
            (Category.domain_code, filters.domain),
        ):
            if value:
                statement = statement.where(column == value)
        if filters.quarantined is not None:
            held = WorkOrder.quarantine_reason.is_not(None)
            statement = statement.where(held if filters.quarantined else ~held)
        if filters.overdue is not None:
            overdue = _is_overdue(now)
            statement = statement.where(overdue if filters.overdue else ~overdue)
        if filters.received_from:
            statement = statement.where(WorkOrder.received_at >= _start_of(filters.received_from))
        if filters.received_to:
            end = _start_of(filters.received_to) + timedelta(days=1)
            statement = statement.where(WorkOrder.received_at < end)
        if filters.q:
            pattern = (
                "%" + filters.q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
            )
            statement = statement.where(
                or_(
                    WorkOrder.title.ilike(pattern),
                    WorkOrder.order_no.ilike(pattern),
                    WorkOrder.enterprise_name.ilike(pattern),
                )
            )
        order: dict[WorkOrderSort, ColumnElement[Any]] = {
            WorkOrderSort.received_desc: WorkOrder.received_at.desc().nulls_last(),
            WorkOrderSort.received: WorkOrder.received_at.asc().nulls_last(),
            WorkOrderSort.due: WorkOrder.due_at.asc().nulls_last(),
            WorkOrderSort.due_desc: WorkOrder.due_at.desc().nulls_last(),
            WorkOrderSort.updated_desc: WorkOrder.updated_at.desc(),
        }
        return statement.order_by(order[filters.sort], WorkOrder.order_no)

    async def page(
        self, principal: Principal, filters: WorkOrderFilters, now: datetime, page: PageParams
    ) -> tuple[list[Row], int]:
        statement = self.filtered_statement(principal, filters, now)
        total = int(
            await self.session.scalar(
                select(func.count()).select_from(statement.order_by(None).subquery())
            )
            or 0
        )
        rows = (await self.session.execute(statement.limit(page.limit).offset(page.offset))).all()
        return [(row[0], row[1]) for row in rows], total

    async def stream(
        self, principal: Principal, filters: WorkOrderFilters, now: datetime, limit: int
    ) -> AsyncIterator[Row]:
        statement = self.filtered_statement(principal, filters, now)
        result = await self.session.stream(statement.limit(limit).execution_options(yield_per=1000))
        async for row in result:
            yield row[0], row[1]

    async def get_readable(self, principal: Principal, order_no: str) -> Row | None:
        row = (
            await self.session.execute(
                self.readable_statement(principal).where(WorkOrder.order_no == order_no)
            )
        ).one_or_none()
        return None if row is None else (row[0], row[1])

    async def events(self, order_no: str) -> list[tuple[WorkOrderEvent, str, datetime]]:
        rows = await self.session.execute(
            select(WorkOrderEvent, Delivery.source, Delivery.received_at)
            .join(Delivery, Delivery.id == WorkOrderEvent.delivery_id)
            .where(WorkOrderEvent.order_no == order_no)
            .order_by(WorkOrderEvent.occurred_at, WorkOrderEvent.id)
        )
        return [(e, s, r) for e, s, r in rows]
