"""Queries of the quarantine queue and the office's code tables; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from shared.models import Category, Unit, UnitCodeMapping, WorkOrder
from shared.pagination import PageParams
from shared.repository import RepositoryBase


class QuarantineRepository(RepositoryBase[WorkOrder]):
    model = WorkOrder

    async def order(self, order_no: str) -> WorkOrder | None:
        return await self.session.scalar(
            select(WorkOrder)
            .where(WorkOrder.order_no == order_no)
            .execution_options(populate_existing=True)
        )

    async def queue(self, page: PageParams) -> tuple[Sequence[WorkOrder], int]:
        """The held orders, longest untouched first."""
        return await self.paginate(
            select(WorkOrder)
            .where(WorkOrder.quarantine_reason.is_not(None))
            .order_by(WorkOrder.updated_at, WorkOrder.order_no),
            page,
        )

    async def orders_waiting_for(
        self, *, unit_code: str | None = None, category_code: str | None = None
    ) -> list[str]:
        """Quarantined orders a new mapping may release (replayed together)."""
        statement = select(WorkOrder.order_no).where(WorkOrder.quarantine_reason.is_not(None))
        if unit_code is not None:
            statement = statement.where(WorkOrder.handling_unit_code == unit_code)
        if category_code is not None:
            statement = statement.where(WorkOrder.category_code == category_code)
        return list(await self.session.scalars(statement.order_by(WorkOrder.order_no).limit(10000)))

    async def unit_exists(self, code: str) -> bool:
        return bool(await self.session.scalar(select(Unit.id).where(Unit.code == code)))

    async def map_unit_code(self, external: str, unit_code: str, by: str) -> None:
        stmt = insert(UnitCodeMapping).values(
            external_code=external, unit_code=unit_code, mapped_by=by
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[UnitCodeMapping.external_code],
                set_={"unit_code": unit_code, "mapped_by": by, "mapped_at": func.now()},
            )
        )

    async def unit_mappings(self) -> list[UnitCodeMapping]:
        return list(
            await self.session.scalars(
                select(UnitCodeMapping).order_by(UnitCodeMapping.external_code)
            )
        )

    async def category(self, code: str) -> Category | None:
        return await self.session.get(Category, code, populate_existing=True)

    async def upsert_category(self, code: str, name: str, domain_code: str | None) -> None:
        stmt = insert(Category).values(code=code, name=name, domain_code=domain_code)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[Category.code], set_={"name": name, "domain_code": domain_code}
            )
        )

    async def categories(self) -> list[Category]:
        return list(await self.session.scalars(select(Category).order_by(Category.code)))
