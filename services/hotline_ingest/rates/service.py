"""The hotline's live table of its four rates per unit (or district) and period: the
definitions are shared.hotline_rates (one for the whole platform; docs/HOTLINE.md "Rates"),
applied here to each order's current state, for its current handling unit. Evaluation adds up
the facts the hotline told it instead (the score and the monthly reports read those).

Orders count in the period they were received; quarantined orders are left out until resolved.
Working days come from `hotline.calendar_days` (holidays and 调休 make-up days).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from services.hotline_ingest.rates.repository import RatesRepository
from services.hotline_ingest.rates.schemas import TrendPoint, UnitRates, UnitTrend
from shared import hotline_rates
from shared.auth import Principal
from shared.errors import NotFound
from shared.hotline_rates import OrderState, closing_deadline, order_counts, signing_deadline
from shared.periods import Period, parse_period
from shared.settings import Settings


async def compute(
    session: AsyncSession, settings: Settings, period: Period, by: str, now: datetime
) -> dict[str, dict[str, int]]:
    """Counts per unit (or district) for one period."""
    rows = await RatesRepository(session).rate_rows(*period.window(), by == "district")
    working = await calendar.load(session)
    orders: dict[str, list[dict[str, int]]] = {}
    for row in rows:
        start = row.assigned_at or row.received_at
        state = OrderState(
            accepted_at=row.accepted_at,
            response_deadline=signing_deadline(working, settings, start, row.kind, row.urgency),
            visited=row.visited_at is not None,
            resolved=row.resolved,
            satisfaction=row.satisfaction,
            closed_at=row.closed_at,
            # Orders stored before due times were filled in from the closing limit.
            due_at=row.due_at or closing_deadline(working, settings, start, row.kind),
            # 先行联系: within the signing limit counted from receipt (office default).
            first_contacted_in_time=row.first_contacted_at is not None
            and row.first_contacted_at
            <= signing_deadline(working, settings, row.received_at, row.kind, row.urgency),
            overturned=row.satisfaction_overturned,
        )
        orders.setdefault(row.unit, []).append(order_counts(state, now))
    return {unit: hotline_rates.add_up(counts) for unit, counts in orders.items()}


def _shown(rate: float | None) -> float | None:
    return None if rate is None else round(rate, 4)


def _rates(code: str, name: str, t: dict[str, int]) -> UnitRates:
    r = hotline_rates.rates(t)
    return UnitRates(
        unit_code=code,
        unit_name=name,
        orders=t["orders"],
        responded_in_time=t["responded_in_time"],
        response_due=t["response_due"],
        visited=t["visited"],
        resolved=t["resolved"],
        satisfied=t["satisfied"],
        closed=t["closed"],
        closed_on_time=t["closed_on_time"],
        closing_due=t["closing_due"],
        response_rate=_shown(r.response),
        resolution_rate=_shown(r.resolution),
        satisfaction_rate=_shown(r.satisfaction),
        on_time_closing_rate=_shown(r.on_time_closing),
        overdue=t["overdue"],
        first_contacted_in_time=t["first_contacted_in_time"],
        overturned=t["overturned"],
        first_contact_rate=_shown(r.first_contact),
    )


async def rates(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    period: Period,
    by: str,
    now: datetime,
) -> list[UnitRates]:
    """Each readable unit's four rates, with the previous period's for the trend."""
    current = await compute(session, settings, period, by, now)
    previous = await compute(session, settings, period.previous(), by, now)
    names = await RatesRepository(session).unit_names()
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
            row.previous_on_time_closing_rate = before.on_time_closing_rate
        result.append(row)
    return result


async def total(
    session: AsyncSession, settings: Settings, principal: Principal, period: Period, now: datetime
) -> UnitRates:
    """The four rates over every order the caller can read (the city's, for the office)."""
    current = await compute(session, settings, period, "unit", now)
    readable = [c for code, c in current.items() if principal.can_read_unit(code)]
    return _rates("total", "合计", hotline_rates.add_up(readable))


async def trend(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    unit: str,
    year: int,
    by: str,
    now: datetime,
) -> UnitTrend:
    """One unit's (or district's) four rates month by month through a year."""
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
                    on_time_closing_rate=None,
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
                on_time_closing_rate=rates_.on_time_closing_rate,
                overdue=rates_.overdue,
            )
        )
    names = await RatesRepository(session).unit_names()
    return UnitTrend(unit_code=unit, unit_name=names.get(unit, unit), points=points)
