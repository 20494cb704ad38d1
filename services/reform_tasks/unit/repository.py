from __future__ import annotations

from sqlalchemy import Select, any_, literal, or_, select
from sqlalchemy.orm import joinedload

from shared.models.platform import Unit, UnitKind
from shared.repository import RepositoryBase


class UnitRepository(RepositoryBase[Unit]):
    model = Unit

    def list_statement(self, *, kind: UnitKind | None, q: str | None) -> Select[Unit]:
        stmt = select(Unit).options(joinedload(Unit.parent)).order_by(Unit.kind, Unit.code)
        if kind is not None:
            stmt = stmt.where(Unit.kind == kind)
        if q:
            pattern = f"%{q}%"
            stmt = stmt.where(
                or_(
                    Unit.name.ilike(pattern),
                    Unit.short_name.ilike(pattern),
                    Unit.code.ilike(pattern),
                    literal(q) == any_(Unit.aliases),
                )
            )
        return stmt

    async def get_by_code(self, code: str, *, populate_existing: bool = False) -> Unit | None:
        stmt = select(Unit).options(joinedload(Unit.parent)).where(Unit.code == code)
        if populate_existing:
            stmt = stmt.execution_options(populate_existing=True)
        return await self.get_one_or_none(stmt)

    async def get_by_name(self, name: str) -> Unit | None:
        return await self.get_one_or_none(select(Unit).where(Unit.name == name))
