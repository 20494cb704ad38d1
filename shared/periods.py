"""Assessment periods: year `2026`, half `2026-H1`, quarter `2026-Q3`, month `2026-10`."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import AfterValidator

from shared.clock import SHANGHAI
from shared.validation import MAX_YEAR, MIN_YEAR

_PATTERN = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|\d{2}))?$")


@dataclass(frozen=True, slots=True)
class Period:
    id: str
    start: date
    end: date

    @property
    def kind(self) -> str:
        if len(self.id) == 4:
            return "year"
        return {"H": "half", "Q": "quarter"}.get(self.id[5], "month")

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return period_containing(self.start - timedelta(days=1), self.kind)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def window(self) -> tuple[datetime, datetime]:
        """The period as instants [from, to): from the start of its first day to the start of
        the day after its last, in Asia/Shanghai."""
        start = datetime.combine(self.start, time(0), tzinfo=SHANGHAI)
        return start, datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(text: str) -> Period:
    match = _PATTERN.match(text.strip())
    if not match:
        raise ValueError(f"无法识别的考核期“{text}”，应为 2026、2026-H1、2026-Q3 或 2026-10")
    year, part = int(match.group(1)), match.group(2)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"考核期“{text}”的年份应在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间")
    if part is None:
        return Period(str(year), date(year, 1, 1), date(year, 12, 31))
    if part.startswith("H"):
        half = int(part[1])
        first = 1 if half == 1 else 7
        return Period(f"{year}-{part}", date(year, first, 1), _month_end(year, first + 5))
    if part.startswith("Q"):
        quarter = int(part[1])
        first = 3 * quarter - 2
        return Period(f"{year}-{part}", date(year, first, 1), _month_end(year, first + 2))
    month = int(part)
    if not 1 <= month <= 12:
        raise ValueError(f"月份无效：{text}")
    return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))


def _check_period(text: str) -> str:
    parse_period(text)  # its ValueError (in Chinese) becomes the field's 422
    return text


# A period id in a request body: its form and its year range checked (a 422 on the field).
PeriodId = Annotated[str, AfterValidator(_check_period)]


def period_containing(day: date, kind: str) -> Period:
    if kind == "year":
        return parse_period(f"{day.year}")
    if kind == "half":
        return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(f"{day.year}-{day.month:02d}")


def periods_containing(day: date) -> list[Period]:
    """Every period a fact of this day counts in (its month, quarter, half and year)."""
    return [period_containing(day, kind) for kind in ("month", "quarter", "half", "year")]


def business_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def today() -> date:
    return datetime.now(SHANGHAI).date()
