"""The city's working-day calendar, one definition for every service: Monday to Friday except
the State Council's holidays and 调休 make-up working days, kept in `hotline.calendar_days`
(written only through hotline_ingest's calendar API, which the office edits; read here by the
hotline's limits and by reform_tasks' supervision deadlines)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import SHANGHAI
from shared.models import CalendarDay


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
