"""Problem-list queries. Reads are scoped: the office and viewers see the whole list, a unit only
the problems it is responsible for (another unit's problem does not exist for it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload

from shared.auth import Principal
from shared.models import Problem, ProblemSource, ProblemStatus, Programme, Unit
from shared.pagination import PageParams
from shared.repository import RepositoryBase, scoped_to_own_unit


@dataclass(frozen=True, slots=True)
class OverdueProblem:
    id: int
    number: int
    unit_id: int
    unit_code: str
    found_on: date
    due_on: date


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ProblemRepository(RepositoryBase[Problem]):
    model = Problem

    def readable_statement(self, principal: Principal, programme_id: int) -> Select[Problem]:
        statement = (
            select(Problem)
            .options(joinedload(Problem.responsible_unit))
            .where(Problem.programme_id == programme_id)
        )
        return scoped_to_own_unit(statement, principal, Problem.responsible_unit_id)

    async def get_readable(
        self, principal: Principal, programme_id: int, number: int, *, lock: bool = False
    ) -> Problem | None:
        statement = self.readable_statement(principal, programme_id).where(Problem.number == number)
        return await self.get_one_or_none(statement, lock=lock)

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        status: ProblemStatus | None,
        unit: str | None,
        source: ProblemSource | None,
        q: str | None,
    ) -> tuple[Sequence[Problem], int]:
        statement = self.readable_statement(principal, programme_id)
        if status:
            statement = statement.where(Problem.status == status)
        if unit:
            statement = statement.where(
                Problem.responsible_unit_id.in_(select(Unit.id).where(Unit.code == unit))
            )
        if source:
            statement = statement.where(Problem.source == source)
        if q:
            text = func.concat_ws(" ", Problem.problem, Problem.cause, Problem.measure)
            statement = statement.where(text.ilike(_like(q), escape="\\"))
        return await self.paginate(statement.order_by(Problem.number), page)

    async def next_number(self, programme: Programme) -> int:
        """The next problem number of the programme; the programme row is locked so two
        registrations cannot take the same number."""
        await self.session.execute(
            select(Programme.id).where(Programme.id == programme.id).with_for_update()
        )
        current = await self.session.scalar(
            select(func.coalesce(func.max(Problem.number), 0)).where(
                Problem.programme_id == programme.id
            )
        )
        return int(current or 0) + 1

    async def unit_by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def mark_overdue(self, programme_id: int, as_of: date) -> list[OverdueProblem]:
        """Mark every open problem past its due date that was not announced yet, and return
        them. One UPDATE: a concurrent sweep waits for the row and then skips it. A Core update,
        so the problem's version (the office's If-Match) does not change."""
        marked = (
            update(Problem)
            .where(
                Problem.programme_id == programme_id,
                Problem.status == ProblemStatus.open,
                Problem.due_on < as_of,
                Problem.overdue_reported_on.is_(None),
            )
            .values(overdue_reported_on=as_of)
            .returning(
                Problem.id,
                Problem.number,
                Problem.responsible_unit_id,
                Problem.found_on,
                Problem.due_on,
            )
            .cte("marked")
        )
        rows = await self.session.execute(
            select(
                marked.c.id,
                marked.c.number,
                Unit.id,
                Unit.code,
                marked.c.found_on,
                marked.c.due_on,
            )
            .join(Unit, Unit.id == marked.c.responsible_unit_id)
            .order_by(marked.c.number)
        )
        return [OverdueProblem(*row) for row in rows.all()]
