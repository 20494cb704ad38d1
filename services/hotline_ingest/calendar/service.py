"""China's working-day calendar: Monday to Friday, except the State Council's holidays and 调休
make-up working days, kept per year in `hotline.calendar_days` (2025–2026 from the notices,
2027 statutory holidays provisional; the office edits it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import extract, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit
from shared.auth import Principal
from shared.models import CalendarDay

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class WorkingCalendar:
    exceptions: dict[date, bool]

    def is_workday(self, day: date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)

    def add_working_days(self, day: date, days: int) -> date:
        """The `days`-th working day after `day` (the day itself does not count)."""
        current = day
        while days > 0:
            current += timedelta(days=1)
            if self.is_workday(current):
                days -= 1
        return current

    def deadline(self, received_at: datetime, days: int) -> datetime:
        """End of the last working day allowed, in Asia/Shanghai, as a UTC instant."""
        local = received_at.astimezone(SHANGHAI).date()
        last = self.add_working_days(local, days)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)


async def load(session: AsyncSession) -> WorkingCalendar:
    rows = (await session.execute(select(CalendarDay.day, CalendarDay.is_workday))).all()
    return WorkingCalendar({day: workday for day, workday in rows})


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
