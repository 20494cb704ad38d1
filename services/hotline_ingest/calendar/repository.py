"""Queries of the working-day calendar (hotline.calendar_days)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import extract, select
from sqlalchemy.dialects.postgresql import insert

from shared.models import CalendarDay
from shared.repository import RepositoryBase


class CalendarRepository(RepositoryBase[CalendarDay]):
    model = CalendarDay

    async def year(self, year: int) -> list[CalendarDay]:
        statement = select(CalendarDay).where(extract("year", CalendarDay.day) == year)
        return list((await self.session.execute(statement.order_by(CalendarDay.day))).scalars())

    async def day(self, day: date, *, fresh: bool = False) -> CalendarDay | None:
        return await self.session.get(CalendarDay, day, populate_existing=fresh)

    async def put(self, day: date, is_workday: bool, note: str, source: str) -> None:
        stmt = insert(CalendarDay).values(day=day, is_workday=is_workday, note=note, source=source)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[CalendarDay.day],
                set_={
                    "is_workday": stmt.excluded.is_workday,
                    "note": stmt.excluded.note,
                    "source": stmt.excluded.source,
                },
            )
        )
