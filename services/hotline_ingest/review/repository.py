"""Service reviews read from the work orders' follow-up visits; scoped like work orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, case, func, select

from shared.auth import Principal
from shared.models import Unit, WorkOrder
from shared.pagination import PageParams
from shared.repository import RepositoryBase

GOOD = ("satisfied", "basically_satisfied")


class ReviewRepository(RepositoryBase[WorkOrder]):
    model = WorkOrder

    def readable_statement(
        self, principal: Principal, start: datetime, end: datetime
    ) -> Select[WorkOrder]:
        """The orders visited in [start, end) with a satisfaction, out of quarantine; a unit
        reads only those it handles."""
        statement = select(WorkOrder).where(
            WorkOrder.visited_at >= start,
            WorkOrder.visited_at < end,
            WorkOrder.satisfaction.is_not(None),
            WorkOrder.quarantine_reason.is_(None),
        )
        if not principal.can_read_unit(None):
            statement = statement.where(WorkOrder.handling_unit_code == (principal.unit_code or ""))
        return statement

    async def reviews(
        self,
        principal: Principal,
        window: tuple[datetime, datetime],
        page: PageParams,
        *,
        unit: str | None,
        rating: str | None,
    ) -> tuple[Sequence[WorkOrder], int]:
        """Newest visit first; `rating` good or bad."""
        statement = self.readable_statement(principal, *window)
        if unit:
            statement = statement.where(WorkOrder.handling_unit_code == unit)
        if rating == "good":
            statement = statement.where(WorkOrder.satisfaction.in_(GOOD))
        elif rating == "bad":
            statement = statement.where(WorkOrder.satisfaction == "dissatisfied")
        ordered = statement.order_by(WorkOrder.visited_at.desc(), WorkOrder.order_no)
        return await self.paginate(ordered, page)

    async def summary(
        self, principal: Principal, window: tuple[datetime, datetime], by_district: bool
    ) -> list[tuple[str, str, int, int]]:
        """(unit or district, its name, good, bad), those with reviews first."""
        orders = self.readable_statement(principal, *window).subquery()
        column = orders.c.district_code if by_district else orders.c.handling_unit_code
        good = func.count().filter(orders.c.satisfaction.in_(GOOD))
        bad = func.count().filter(orders.c.satisfaction == "dissatisfied")
        rows = await self.session.execute(
            select(column, func.coalesce(Unit.name, column), good, bad)
            .select_from(orders)
            .outerjoin(Unit, Unit.code == column)
            .where(column.is_not(None))
            .group_by(column, Unit.name)
            .order_by(case((good + bad == 0, 1), else_=0), column)
        )
        return [(str(c), str(n), int(g), int(b)) for c, n, g, b in rows]
