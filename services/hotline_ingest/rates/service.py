"""The hotline's three rates (三率) per unit and period (seed 004: 12345 tracking, supervision and
evaluation; seed 001: complaints feed the year-end evaluation).

- response rate = orders accepted by the end of the N-th working day after receipt ÷ orders
  received in the period (N per appeal kind; an order not yet accepted after its limit counts
  against; one still within its limit is left out of both);
- resolution rate = follow-up visits with `resolved` ÷ orders visited;
- satisfaction rate = visits satisfied or basically satisfied ÷ orders visited.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from shared.auth import Principal
from shared.models import Unit, WorkOrder
from shared.periods import SHANGHAI, Period
from shared.settings import Settings

SATISFIED = ("satisfied", "basically_satisfied")


class UnitRates(BaseModel):
    unit_code: str
    unit_name: str
    orders: int
    responded_in_time: int
    response_due: int
    visited: int
    resolved: int
    satisfied: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    overdue: int
    previous_response_rate: float | None = None
    previous_resolution_rate: float | None = None
    previous_satisfaction_rate: float | None = None


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


async def rates(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    period: Period,
    by: str,
    *,
    now: datetime | None = None,
) -> list[UnitRates]:
    current = await _compute(session, settings, period, by, now=now)
    previous = {
        r.unit_code: r for r in await _compute(session, settings, period.previous(), by, now=now)
    }
    names = {c: n for c, n in (await session.execute(select(Unit.code, Unit.name))).all()}
    result = []
    for row in current:
        if not principal.can_read_unit(row.unit_code):
            continue
        row.unit_name = names.get(row.unit_code, row.unit_code)
        before = previous.get(row.unit_code)
        if before is not None:
            row.previous_response_rate = before.response_rate
            row.previous_resolution_rate = before.resolution_rate
            row.previous_satisfaction_rate = before.satisfaction_rate
        result.append(row)
    return result


async def _compute(
    session: AsyncSession,
    settings: Settings,
    period: Period,
    by: str,
    *,
    now: datetime | None = None,
) -> list[UnitRates]:
    now = now or datetime.now(UTC)
    start = datetime.combine(period.start, datetime.min.time(), tzinfo=SHANGHAI)
    end = datetime.combine(period.end, datetime.max.time(), tzinfo=SHANGHAI)
    key = WorkOrder.district_code if by == "district" else WorkOrder.handling_unit_code
    rows = (
        await session.execute(
            select(
                key,
                WorkOrder.kind,
                WorkOrder.received_at,
                WorkOrder.accepted_at,
                WorkOrder.visited_at,
                WorkOrder.resolved,
                WorkOrder.satisfaction,
                WorkOrder.closed_at,
                WorkOrder.due_at,
            ).where(
                WorkOrder.received_at.between(start, end),
                key.is_not(None),
                WorkOrder.quarantine_reason.is_(None),
            )
        )
    ).all()
    working = await calendar.load(session)
    totals: dict[str, dict[str, int]] = {}
    for unit, kind, received, accepted, visited, resolved, satisfaction, closed, due in rows:
        if unit is None or received is None:
            continue
        t = totals.setdefault(
            unit,
            dict.fromkeys(
                ("orders", "in_time", "due", "visited", "resolved", "satisfied", "overdue"), 0
            ),
        )
        t["orders"] += 1
        deadline = working.deadline(received, settings.hotline_response_days.get(kind or "", 1))
        if accepted is not None:
            t["due"] += 1
            t["in_time"] += accepted <= deadline
        elif now > deadline:
            t["due"] += 1
        if visited is not None:
            t["visited"] += 1
            t["resolved"] += bool(resolved)
            t["satisfied"] += satisfaction in SATISFIED
        if closed is None and due is not None and now > due:
            t["overdue"] += 1
    return [
        UnitRates(
            unit_code=unit,
            unit_name=unit,
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
        for unit, t in sorted(totals.items())
    ]
