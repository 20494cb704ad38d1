"""China's working-day calendar as the office edits it: kept per year in `hotline.calendar_days`
(2025–2026 from the notices, 2027 statutory holidays provisional). The rule itself (Monday to
Friday except holidays and 调休 make-up days) is `shared.working_days`, for every service."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar.repository import CalendarRepository
from shared import audit
from shared.auth import Principal
from shared.models import CalendarDay
from shared.working_days import WorkingCalendar, load

__all__ = ["WorkingCalendar", "list_days", "load", "set_day"]


async def list_days(session: AsyncSession, year: int) -> list[CalendarDay]:
    return await CalendarRepository(session).year(year)


async def set_day(
    session: AsyncSession, principal: Principal, day: date, is_workday: bool, note: str
) -> CalendarDay:
    repo = CalendarRepository(session)
    before = await repo.day(day)
    snapshot = {"is_workday": before.is_workday, "note": before.note} if before else None
    await repo.put(day, is_workday, note, f"改革办修订（{principal.username}）")
    await audit.record(
        session,
        actor=principal,
        action="calendar.day_set",
        entity_type="calendar_day",
        entity_id=day.isoformat(),
        before=snapshot,
        after={"is_workday": is_workday, "note": note},
    )
    row = await repo.day(day, fresh=True)
    assert row is not None
    return row
