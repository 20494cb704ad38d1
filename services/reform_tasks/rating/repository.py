"""Rating queries. Reads are scoped by who is reading: the office and viewers see every rating,
a unit the ratings it gave (as a task's lead unit) and the ones it received."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from shared.auth import Principal
from shared.models import Rating, RatingWindow, Task, Unit, task_responsible_units
from shared.pagination import PageParams
from shared.repository import RepositoryBase

Lock = Literal["update", "share"]


@dataclass(frozen=True, slots=True)
class RatingRow:
    """A rating (or an empty cell of a rating sheet) with the names a view needs."""

    window: str
    task_number: int
    task_title: str
    rater_unit: str
    rated_unit: str
    rated_unit_name: str
    rating: Rating | None


class RatingWindowRepository(RepositoryBase[RatingWindow]):
    model = RatingWindow

    async def by_code(
        self, programme_id: int, code: str, *, lock: Lock | None = None
    ) -> RatingWindow | None:
        statement = select(RatingWindow).where(
            RatingWindow.programme_id == programme_id, RatingWindow.code == code
        )
        if lock == "update":
            statement = statement.with_for_update()
        elif lock == "share":
            # Rating saves share the window; closing it waits for them (and they for it).
            statement = statement.with_for_update(read=True)
        return await self.get_one_or_none(statement)

    async def page(self, programme_id: int, page: PageParams) -> tuple[Sequence[RatingWindow], int]:
        statement = (
            select(RatingWindow)
            .where(RatingWindow.programme_id == programme_id)
            .order_by(RatingWindow.opens_on, RatingWindow.code)
        )
        return await self.paginate(statement, page)

    async def lead_unit_ids(self, programme_id: int) -> Sequence[int]:
        """The units that lead at least one task of the programme: the ones who rate."""
        statement = (
            select(Task.lead_unit_id)
            .where(Task.programme_id == programme_id)
            .distinct()
            .order_by(Task.lead_unit_id)
        )
        return (await self.session.execute(statement)).scalars().all()


class RatingRepository(RepositoryBase[Rating]):
    model = Rating

    async def sheet(
        self,
        programme_id: int,
        window: RatingWindow,
        lead_unit_code: str | None,
        page: PageParams,
    ) -> tuple[list[RatingRow], int]:
        """Every (task, responsible unit) pair of the programme — only the tasks led by
        `lead_unit_code` when given — with the window's rating of that pair, if any. A lead unit
        that is also listed as responsible for its own task is left out: it cannot rate itself."""
        lead, rated = aliased(Unit), aliased(Unit)
        statement = (
            select(Task.number, Task.title, lead.code, rated.code, rated.name, Rating)
            .join(lead, lead.id == Task.lead_unit_id)
            .join(task_responsible_units, task_responsible_units.c.task_id == Task.id)
            .join(rated, rated.id == task_responsible_units.c.unit_id)
            .outerjoin(
                Rating,
                and_(
                    Rating.window_id == window.id,
                    Rating.task_id == Task.id,
                    Rating.rated_unit_id == rated.id,
                ),
            )
            .where(Task.programme_id == programme_id, rated.id != Task.lead_unit_id)
        )
        if lead_unit_code is not None:
            statement = statement.where(lead.code == lead_unit_code)
        total = await self._count(statement)
        rows = await self.session.execute(
            statement.order_by(Task.number, rated.code).limit(page.limit).offset(page.offset)
        )
        return [
            RatingRow(window.code, number, title, rater, unit, name, rating)
            for number, title, rater, unit, name, rating in rows.all()
        ], total

    async def insert_if_absent(
        self,
        *,
        window_id: int,
        task_id: int,
        rater_unit_id: int,
        rated_unit_id: int,
        score: Decimal,
        comment: str,
        rated_by: str,
    ) -> bool:
        """Insert the rating unless (window, task, rated unit) already has one; True if
        inserted. Two first saves racing each other cannot both insert."""
        result = await self.session.execute(
            insert(Rating)
            .values(
                window_id=window_id,
                task_id=task_id,
                rater_unit_id=rater_unit_id,
                rated_unit_id=rated_unit_id,
                score=score,
                comment=comment,
                rated_by=rated_by,
            )
            .on_conflict_do_nothing(
                index_elements=[Rating.window_id, Rating.task_id, Rating.rated_unit_id]
            )
            .returning(Rating.id)
        )
        return result.first() is not None

    async def for_update(self, window_id: int, task_id: int, rated_unit_id: int) -> Rating:
        statement = (
            select(Rating)
            .where(
                Rating.window_id == window_id,
                Rating.task_id == task_id,
                Rating.rated_unit_id == rated_unit_id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(statement)).scalars().one()

    async def readable_page(
        self,
        principal: Principal,
        programme_id: int,
        page: PageParams,
        *,
        window: str | None,
        task_number: int | None,
        rated_unit: str | None,
    ) -> tuple[list[RatingRow], int]:
        rater, rated = aliased(Unit), aliased(Unit)
        statement = (
            select(RatingWindow.code, Task.number, Task.title, rater.code, rated.code, rated.name)
            .add_columns(Rating)
            .select_from(Rating)
            .join(RatingWindow, RatingWindow.id == Rating.window_id)
            .join(Task, Task.id == Rating.task_id)
            .join(rater, rater.id == Rating.rater_unit_id)
            .join(rated, rated.id == Rating.rated_unit_id)
            .where(RatingWindow.programme_id == programme_id)
        )
        if not principal.can_read_unit(None):
            code = principal.unit_code
            statement = statement.where(
                or_(rater.code == code, rated.code == code) if code else false()
            )
        if window:
            statement = statement.where(RatingWindow.code == window)
        if task_number is not None:
            statement = statement.where(Task.number == task_number)
        if rated_unit:
            statement = statement.where(rated.code == rated_unit)
        total = await self._count(statement)
        rows = await self.session.execute(
            statement.order_by(RatingWindow.opens_on, RatingWindow.code, Task.number, rated.code)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [
            RatingRow(code, number, title, rater_code, unit, name, rating)
            for code, number, title, rater_code, unit, name, rating in rows.all()
        ], total

    async def _count(self, statement: Select[*tuple[Any, ...]]) -> int:
        count = select(func.count()).select_from(statement.order_by(None).subquery())
        return int((await self.session.execute(count)).scalar_one())
