"""Open311 queries: requests are work orders out of quarantine; never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from shared.models import Category, Open311Key, Unit, WorkOrder
from shared.repository import RepositoryBase

CLOSED = ("closed", "visited")
Row = tuple[WorkOrder, str | None, str | None, str | None]
District = aliased(Unit)


def requests_statement() -> Select[WorkOrder, str | None, str | None, str | None]:
    """Each order with its category's, handling unit's and district's names."""
    return (
        select(WorkOrder, Category.name, Unit.name, District.name)
        .outerjoin(Category, Category.code == WorkOrder.category_code)
        .outerjoin(Unit, Unit.code == WorkOrder.handling_unit_code)
        .outerjoin(District, District.code == WorkOrder.district_code)
    )


class Open311Repository(RepositoryBase[WorkOrder]):
    model = WorkOrder

    async def requests(
        self,
        *,
        ids: list[str] | None,
        codes: list[str] | None,
        start: datetime,
        end: datetime,
        statuses: set[str],
        limit: int,
    ) -> list[Row]:
        """Out of quarantine and received within start..end, always; by id, category, status."""
        statement = requests_statement().where(
            WorkOrder.quarantine_reason.is_(None), WorkOrder.received_at.between(start, end)
        )
        if ids is not None:
            statement = statement.where(WorkOrder.order_no.in_(ids))
        if codes:
            statement = statement.where(WorkOrder.category_code.in_(codes))
        if statuses == {"open"}:
            statement = statement.where(WorkOrder.status.not_in(CLOSED))
        elif statuses == {"closed"}:
            statement = statement.where(WorkOrder.status.in_(CLOSED))
        statement = statement.order_by(WorkOrder.received_at.desc(), WorkOrder.order_no)
        rows = await self.session.execute(statement.limit(limit))
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    async def services(self) -> list[Category]:
        return list(await self.session.scalars(select(Category).order_by(Category.code)))

    async def category_exists(self, code: str) -> bool:
        return bool(await self.session.scalar(select(Category.code).where(Category.code == code)))

    async def district_exists(self, code: str) -> bool:
        return bool(
            await self.session.scalar(
                select(Unit.id).where(Unit.code == code, Unit.kind == "district")
            )
        )

    async def active_key(self, key_hash: str) -> Open311Key | None:
        return await self.session.scalar(
            select(Open311Key).where(
                Open311Key.key_hash == key_hash, Open311Key.revoked_at.is_(None)
            )
        )

    async def keys(self) -> list[Open311Key]:
        return list(await self.session.scalars(select(Open311Key).order_by(Open311Key.id)))

    async def key(self, key_id: int) -> Open311Key | None:
        return await self.session.get(Open311Key, key_id)
