"""A small generic repository: the queries every module would otherwise write again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from shared.auth import Principal
from shared.models.base import Base
from shared.models.platform import Unit
from shared.pagination import PageParams

M = TypeVar("M", bound=Base)
S = TypeVar("S", bound=Select[Any])


def scoped_to_own_unit(statement: S, principal: Principal, unit_id: QueryableAttribute[int]) -> S:
    """Office, viewers and services read every row; a unit account only the rows whose
    `unit_id` is its own unit; an account without a unit none."""
    if principal.can_read_unit(None):
        return statement
    if principal.unit_code is None:
        return statement.where(false())
    own = select(Unit.id).where(Unit.code == principal.unit_code).scalar_subquery()
    return statement.where(unit_id == own)


class RepositoryBase(Generic[M]):
    model: type[M]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_one_or_none(self, statement: Select[M], *, lock: bool = False) -> M | None:
        """The row the statement finds, if any; `lock`: `FOR UPDATE` of the model's own table
        (not of what it joins), read afresh from the database (not the session's copy)."""
        if lock:
            statement = statement.with_for_update(of=self.model).execution_options(
                populate_existing=True
            )
        return (await self.session.execute(statement)).scalars().unique().one_or_none()

    async def list(self, statement: Select[M]) -> Sequence[M]:
        return (await self.session.execute(statement)).scalars().unique().all()

    async def paginate(self, statement: Select[M], page: PageParams) -> tuple[Sequence[M], int]:
        count_stmt: Select[int] = select(func.count()).select_from(
            statement.order_by(None).subquery()
        )
        total = int((await self.session.execute(count_stmt)).scalar_one())
        items = await self.list(statement.limit(page.limit).offset(page.offset))
        return items, total

    async def add(self, obj: M, *, flush: bool = True) -> M:
        self.session.add(obj)
        if flush:
            await self.session.flush()
        return obj

    async def update(self, obj: M, values: dict[str, Any]) -> M:
        for key, value in values.items():
            setattr(obj, key, value)
        await self.session.flush()
        return obj
