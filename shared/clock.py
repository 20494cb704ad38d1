"""Business time. Rules that depend on "today" read it here, so tests can freeze it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_frozen: datetime | None = None


def now_utc() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def today_shanghai() -> date:
    return now_utc().astimezone(SHANGHAI).date()


def freeze(moment: datetime | None) -> None:
    """Tests only: pin the clock (None releases it)."""
    global _frozen
    _frozen = moment
