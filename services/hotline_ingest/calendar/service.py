"""China's working-day calendar as the office edits it: kept per year in `hotline.calendar_days`
(2025–2026 from the notices, 2027 statutory holidays provisional). The rule itself (Monday to
Friday except holidays and 调休 make-up days) is `shared.working_days`, for every service."""

from __future__ import annotations

from datetime import date

from sqlalchemy import extract, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.auth import Principal
from shared.models import CalendarDay
from shared.working_days import WorkingCalendar, load

__all__ = ["WorkingCalendar", "list_days", "load", "set_day"]


async def list_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    statement = select(CalendarDay).where(extract("year", CalendarDay.day) == year)
    return list((await session.execute(statement.order_by(CalendarDay.day))).scalars())


async def set_day(
    session: AsyncSession, principal: Principal, day: date, is_workday: bool, note: str
) -> CalendarDay:
    before = await session.get(CalendarDay, day)
    snapshot = {"is_workday": before.is_workday, "note": before.note} if before else None
    stmt = insert(CalendarDay).values(
        day=day, is_workday=is_workday, note=note, source=f"改革办修订（{principal.username}）"
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[CalendarDay.day],
            set_={
                "is_workday": stmt.excluded.is_workday,
                "note": stmt.excluded.note,
                "source": stmt.excluded.source,
            },
        )
    )
    await audit.record(
        session,
        actor=principal,
        action="calendar.day_set",
        entity_type="calendar_day",
        entity_id=day.isoformat(),
        before=snapshot,
        after={"is_workday": is_workday, "note": note},
    )
    row = await session.get(CalendarDay, day, populate_existing=True)
    assert row is not None
    return row
