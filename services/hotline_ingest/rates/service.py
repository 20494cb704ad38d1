"""The hotline's three rates (三率) per unit (or district) and period (seed 004: 12345 tracking,
supervision and evaluation; seed 001: 12345 complaints feed the year-end evaluation). Formulas
(docs/HOTLINE.md):

- response rate = orders accepted by the end (Asia/Shanghai) of the N-th working day after the
  handling unit got them (receipt, or the last reassignment; N per appeal kind,
  `HOTLINE_RESPONSE_DAYS`) ÷ orders accepted or past that limit (an order still inside its
  limit and not yet accepted is in neither);
- resolution rate = follow-up visits with `resolved` ÷ orders visited;
- satisfaction rate = visits satisfied or basically satisfied ÷ orders visited.

Orders count in the period they were received; quarantined orders are left out until resolved.
Working days come from `hotline.calendar_days` (holidays and 调休 make-up days).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from services.hotline_ingest.rates import repository
from services.hotline_ingest.rates.schemas import TrendPoint, UnitRates, UnitTrend
from shared.auth import Principal
from shared.errors import NotFound
from shared.periods import SHANGHAI, Period, parse_period
from shared.settings import Settings

SATISFIED = ("satisfied", "basically_satisfied")
COUNTS = ("orders", "in_time", "due", "visited", "resolved", "satisfied", "overdue")


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def _window(period: Period) -> tuple[datetime, datetime]:
    start = datetime.combine(period.start, time(0), tzinfo=SHANGHAI)
    return start, datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=SHANGHAI)


async def compute(
    session: AsyncSession, settings: Settings, period: Period, by: str, now: datetime
) -> dict[str, dict[str, int]]:
    """Counts per unit (or district) for one period."""
    rows = await repository.rate_rows(session, *_window(period), by == "district")
    working = await calendar.load(session)
    totals: dict[str, dict[str, int]] = {}
    for (
        unit,
        kind,
        assigned,
        received,
        accepted,
        visited,
        resolved,
        satisfaction,
        closed,
        due,
    ) in rows:
        start = assigned or received
        t = totals.setdefault(unit, dict.fromkeys(COUNTS, 0))
        t["orders"] += 1
        deadline = working.deadline(start, settings.hotline_response_days.get(kind or "", 1))
        if accepted is not None:
            t["due"] += 1
            t["in_time"] += accepted <= deadline
        elif now > deadline:
            t["due"] += 1
        if visited is not None:
            t["visited"] += 1
            t["resolved"] += bool(resolved)
            t["satisfied"] += satisfaction in SATISFIED
        if closed is None and visited is None and due is not None and now > due:
            t["overdue"] += 1
    return totals


def _rates(code: str, name: str, t: dict[str, int]) -> UnitRates:
    return UnitRates(
        unit_code=code,
        unit_name=name,
        orders=t["orders"],
        responded_in_time=t["in_time"],
        response_due=t["due"],
        visited=t["visited"],
        resolved=t["resolved"],
        satisfied=t["satisfied"],
        response_rate=_ratio(t["in_time"], t["due"]),
        resolution_rate=_ratio(t["resolved"], t["visited"]),
        satisfaction_rate=_ratio(t["satisfied"], t["visited"]),
        overdue=t["overdue"],
    )


async def rates(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    period: Period,
    by: str,
    now: datetime,
) -> list[UnitRates]:
    """Each readable unit's three rates, with the previous period's for the trend."""
    current = await compute(session, settings, period, by, now)
    previous = await compute(session, settings, period.previous(), by, now)
    names = await repository.unit_names(session)
    result = []
    for code, counts in sorted(current.items()):
        if not principal.can_read_unit(code):
            continue
        row = _rates(code, names.get(code, code), counts)
        if code in previous:
            before = _rates(code, code, previous[code])
            row.previous_response_rate = before.response_rate
            row.previous_resolution_rate = before.resolution_rate
            row.previous_satisfaction_rate = before.satisfaction_rate
        result.append(row)
    return result


async def trend(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    unit: str,
    year: int,
    by: str,
    now: datetime,
) -> UnitTrend:
    """One unit's (or district's) three rates month by month through a year."""
    if not principal.can_read_unit(unit):
        raise NotFound(f"单位 {unit} 不存在或无权查看")
    points = []
    for month in range(1, 13):
        period = parse_period(f"{year}-{month:02d}")
        counts = (await compute(session, settings, period, by, now)).get(unit)
        if counts is None:
            points.append(
                TrendPoint(
                    period=period.id,
                    orders=0,
                    response_rate=None,
                    resolution_rate=None,
                    satisfaction_rate=None,
                    overdue=0,
                )
            )
            continue
        rates_ = _rates(unit, unit, counts)
        points.append(
            TrendPoint(
                period=period.id,
                orders=rates_.orders,
                response_rate=rates_.response_rate,
                resolution_rate=rates_.resolution_rate,
                satisfaction_rate=rates_.satisfaction_rate,
                overdue=rates_.overdue,
            )
        )
    names = await repository.unit_names(session)
    return UnitTrend(unit_code=unit, unit_name=names.get(unit, unit), points=points)
