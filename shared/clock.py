"""Business time. Rules that depend on "today" read it here, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now_utc() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def today_shanghai() -> date:
    return now_utc().astimezone(SHANGHAI).date()


def moment_of(day: date) -> datetime:
    """When a step taken "as of" a business day happened: now if that day is today, else 09:00
    Shanghai on that day (a sweep run for another date is dated on that date)."""
    if day == today_shanghai():
        return now_utc()
    return datetime.combine(day, time(9), tzinfo=SHANGHAI).astimezone(UTC)


def freeze(moment: datetime | None) -> None:
    """Tests only: pin the clock (None releases it)."""
    global _frozen
    _frozen = moment
