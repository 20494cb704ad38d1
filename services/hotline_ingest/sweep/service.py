"""The hotline's daily sweeps: what only the passing of time makes true, told to evaluation once
(seed 004_1871f105e1d7927d.txt: 12345 tracks and supervises the handling of every appeal, 跟踪督办;
seed 001_643c54550577dac0.txt: 12345 complaints are read as part of the supervision whose results go
into the year-end evaluation). The limits and the rates are office defaults (shared.hotline_rates;
docs/RULES.md: "The hotline decides every fact the rates need …").

- An order's signing limit (签收) passed unsigned: `work_order.response_expired`, once per
  handling unit's clock (receipt or reassignment).
- An order past its due time, neither closed nor visited: `work_order.overdue`, once.

Each order is locked as the webhook locks it, so a signing or closing the webhook is storing at
the same moment is either seen here (and nothing is told) or tells evaluation that the sweep
already counted it (`after_expiry`, `after_overdue`); never both, never neither. An order the
webhook holds is left for the next call. One call tells at most `BATCH` orders (each lock is
held to the commit); `remaining` says more are due, and the scheduler calls again.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from services.hotline_ingest.sweep.repository import SweepRepository
from shared import outbox
from shared.clock import SHANGHAI
from shared.hotline_rates import signing_deadline, signing_limit
from shared.models import WorkOrder
from shared.settings import Settings

BATCH = 500


class SweepResult(BaseModel):
    announced: int = Field(description="本次告知评估服务的工单数")
    remaining: bool = Field(description="还有到期待告知的工单（再次调用继续）")


def _facts(order: WorkOrder, received: datetime) -> dict[str, object]:
    """What every work-order event says (shared.events.WorkOrderFacts; enqueue checks it)."""
    return {
        "order_no": order.order_no,
        "kind": order.kind,
        "district_code": order.district_code,
        "received_on": received.astimezone(SHANGHAI).date().isoformat(),
    }


async def response_expiry(session: AsyncSession, settings: Settings, now: datetime) -> SweepResult:
    """Orders whose signing limit (签收: minutes if urgent, else working days) passed unsigned."""
    repo = SweepRepository(session)
    working = await calendar.load(session)
    expired = [
        no
        for no, kind, urgency, clock in await repo.unsigned()
        if now > signing_deadline(working, settings, clock, kind, urgency)
    ]
    announced = 0
    for order in await repo.locked(expired[:BATCH]):
        clock = order.assigned_at or order.received_at
        if order.received_at is None or clock is None:
            continue  # an order out of quarantine has been received (hotline.settle)
        deadline = signing_deadline(working, settings, clock, order.kind, order.urgency)
        if order.accepted_at is not None or order.response_expired_for == clock or now <= deadline:
            continue  # settled differently while the lock was being taken
        await repo.mark_expired(order.order_no, clock)
        await outbox.enqueue(
            session,
            "work_order.response_expired",
            {
                **_facts(order, order.received_at),
                "limit": signing_limit(settings, order.kind, order.urgency),
            },
            unit_code=order.handling_unit_code,
            occurred_at=deadline,
        )
        announced += 1
    return SweepResult(announced=announced, remaining=len(expired) > BATCH)


async def overdue(session: AsyncSession, now: datetime) -> SweepResult:
    """Orders past their due time, neither closed nor visited."""
    repo = SweepRepository(session)
    working = await calendar.load(session)
    due_orders = await repo.overdue(now, BATCH + 1)
    announced = 0
    for order in await repo.locked(due_orders[:BATCH]):
        due, received = order.due_at, order.received_at
        if due is None or received is None or due >= now or order.closed_at or order.visited_at:
            continue  # settled differently while the lock was being taken
        if order.overdue_reported_at is not None:
            continue
        day, end = due.astimezone(SHANGHAI).date(), now.astimezone(SHANGHAI).date()
        over = 0
        while day < end:
            day = working.add_working_days(day, 1)
            over += day <= end
        await repo.mark_overdue(order.order_no, now)
        await outbox.enqueue(
            session,
            "work_order.overdue",
            {**_facts(order, received), "working_days_over": over},
            unit_code=order.handling_unit_code,
            occurred_at=now,
        )
        announced += 1
    return SweepResult(announced=announced, remaining=len(due_orders) > BATCH)
