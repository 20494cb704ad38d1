"""Units are readable by every logged-in user: task lists and rankings name them all."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reform_tasks.unit.repository import UnitRepository
from services.reform_tasks.unit.schemas import UnitOut
from shared.errors import NotFound
from shared.models.platform import Unit, UnitKind
from shared.pagination import Page, PageParams


def to_out(unit: Unit) -> UnitOut:
    return UnitOut(
        code=unit.code,
        name=unit.name,
        short_name=unit.short_name,
        aliases=list(unit.aliases),
        kind=unit.kind,
        parent_code=unit.parent.code if unit.parent else None,
        is_active=unit.is_active,
    )


async def list_units(
    session: AsyncSession, page: PageParams, *, kind: UnitKind | None, q: str | None
) -> Page[UnitOut]:
    repo = UnitRepository(session)
    items, total = await repo.paginate(repo.list_statement(kind=kind, q=q), page)
    return Page[UnitOut](items=[to_out(u) for u in items], total=total)


async def get_unit(session: AsyncSession, code: str) -> UnitOut:
    unit = await UnitRepository(session).get_by_code(code)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在")
    return to_out(unit)
