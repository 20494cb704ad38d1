from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, any_, func, literal, or_, select
from sqlalchemy.orm import joinedload

from shared.models.platform import Unit, UnitKind
from shared.repository import RepositoryBase

# Advisory-lock key of the unit directory (its writes run one at a time, see `lock_directory`).
UNIT_DIRECTORY_LOCK = 20_260_021


class UnitRepository(RepositoryBase[Unit]):
    model = Unit

    async def lock_directory(self) -> None:
        """Transaction-scoped advisory lock held until the caller's transaction ends: every
        create and update of a unit takes it before reading the names it checks against, so
        two writes that would collide run one after the other, and the second (READ COMMITTED:
        each statement sees what was committed before it started) sees the first's names.
        Readers (lists, the importer) do not take it."""
        await self.session.execute(select(func.pg_advisory_xact_lock(UNIT_DIRECTORY_LOCK)))

    async def active_units(self, *, except_id: int | None = None) -> Sequence[Unit]:
        """Every active unit but `except_id` (the names a unit's names must not repeat)."""
        stmt = select(Unit).where(Unit.is_active.is_(True)).order_by(Unit.code)
        if except_id is not None:
            stmt = stmt.where(Unit.id != except_id)
        return await self.list(stmt)

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
