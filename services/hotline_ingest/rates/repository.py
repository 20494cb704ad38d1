"""The rows the three rates are computed from; never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import Unit, WorkOrder


async def rate_rows(
    session: AsyncSession, start: datetime, end: datetime, by_district: bool
) -> list[tuple[Any, ...]]:
    """(unit or district, kind, start of the response clock, accepted, visited, resolved,
    satisfaction, closed, due) of every order received in [start, end), out of quarantine."""
    key = WorkOrder.district_code if by_district else WorkOrder.handling_unit_code
    rows = await session.execute(
        select(
            key,
            WorkOrder.kind,
            WorkOrder.assigned_at,
            WorkOrder.received_at,
            WorkOrder.accepted_at,
            WorkOrder.visited_at,
            WorkOrder.resolved,
            WorkOrder.satisfaction,
            WorkOrder.closed_at,
            WorkOrder.due_at,
        ).where(
            WorkOrder.received_at >= start,
            WorkOrder.received_at < end,
            key.is_not(None),
            WorkOrder.quarantine_reason.is_(None),
        )
    )
    return [tuple(r) for r in rows]


async def unit_names(session: AsyncSession) -> dict[str, str]:
    return {c: n for c, n in (await session.execute(select(Unit.code, Unit.name)))}
