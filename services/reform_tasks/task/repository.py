"""Task queries. Every read goes through `readable_statement`: the office and viewers read the
whole list, a unit reads the tasks it leads or is responsible for."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, exists, false, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from shared.auth import Principal
from shared.models import Milestone, Task, Unit, task_responsible_units
from shared.repository import RepositoryBase

# What a task view needs, loaded in a few queries (relations are lazy="raise").
TASK_DETAIL: tuple[LoaderOption, ...] = (
    selectinload(Task.domain),
    selectinload(Task.lead_unit),
    selectinload(Task.responsible_units),
    selectinload(Task.milestones),
)


def involves_unit(unit_code: str) -> ColumnElement[bool]:
    """SQL condition: the unit leads the task or is one of its responsible units."""
    unit_id = select(Unit.id).where(Unit.code == unit_code).scalar_subquery()
    return or_(
        Task.lead_unit_id == unit_id,
        exists().where(
            task_responsible_units.c.task_id == Task.id,
            task_responsible_units.c.unit_id == unit_id,
        ),
    )


class TaskRepository(RepositoryBase[Task]):
    model = Task

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[Task]:
        stmt = select(Task).where(Task.programme_id == programme_id)
        if principal.can_read_unit(None):  # office, viewer, service
            return stmt
        if principal.unit_code is None:
            return stmt.where(false())
        return stmt.where(involves_unit(principal.unit_code))

    async def get_readable(
        self,
        principal: Principal,
        programme_id: int,
        number: int,
        options: Sequence[LoaderOption] = TASK_DETAIL,
    ) -> Task | None:
        stmt = self.readable_statement(principal, programme_id).where(Task.number == number)
        return await self.get_one_or_none(stmt.options(*options))

    async def get_by_number(
        self, programme_id: int, number: int, options: Sequence[LoaderOption] = TASK_DETAIL
    ) -> Task | None:
        stmt = select(Task).where(Task.programme_id == programme_id, Task.number == number)
        return await self.get_one_or_none(stmt.options(*options))

    async def exists(self, programme_id: int, number: int) -> bool:
        stmt = select(Task.id).where(Task.programme_id == programme_id, Task.number == number)
        return (await self.session.execute(stmt)).first() is not None

    async def milestone(
        self, task_id: int, ordinal: int, *, for_update: bool = False
    ) -> Milestone | None:
        stmt = select(Milestone).where(Milestone.task_id == task_id, Milestone.ordinal == ordinal)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalars().one_or_none()
