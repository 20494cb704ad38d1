"""Overdue work orders: open past their due time. Each is told to evaluation once (seed 004:
12345 supervises handling units; seed 001: complaints feed the year-end evaluation)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from shared import outbox
from shared.models import WorkOrder
from shared.periods import SHANGHAI


class OverdueResult(BaseModel):
    announced: int


async def overdue(session: AsyncSession, now: datetime) -> OverdueResult:
    orders = (
        (
            await session.execute(
                select(WorkOrder)
                .where(
                    WorkOrder.closed_at.is_(None),
                    WorkOrder.visited_at.is_(None),
                    WorkOrder.due_at < now,
                    WorkOrder.overdue_reported_at.is_(None),
                    WorkOrder.quarantine_reason.is_(None),
                )
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    working = await calendar.load(session)
    for order in orders:
        assert order.due_at is not None
        day, end = order.due_at.astimezone(SHANGHAI).date(), now.astimezone(SHANGHAI).date()
        over = 0
        while day < end:
            day = working.add_working_days(day, 1)
            over += day <= end
        order.overdue_reported_at = now
        await outbox.enqueue(
            session,
            "work_order.overdue",
            {
                "order_no": order.order_no,
                "kind": order.kind,
                "district_code": order.district_code,
                "working_days_over": over,
            },
            unit_code=order.handling_unit_code,
            occurred_at=now,
        )
    await session.flush()
    return OverdueResult(announced=len(orders))
