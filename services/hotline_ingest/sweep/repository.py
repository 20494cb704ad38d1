"""The orders the sweeps tell evaluation about, each locked as the webhook locks it; never
commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update

from shared.models import WorkOrder
from shared.repository import RepositoryBase

# The webhook's lock of one order (SQL `hotline.receive_batch`, which `hotline.receive` calls:
# services/hotline_ingest/sql/receive_batch/). Tried, not waited for: an order the webhook is
# writing is left for the next sweep.
_TRY_LOCK = text(
    "SELECT o FROM unnest(CAST(:orders AS text[])) AS o"
    " WHERE pg_try_advisory_xact_lock(hashtextextended('hotline.work_order:' || o, 0))"
)


class SweepRepository(RepositoryBase[WorkOrder]):
    model = WorkOrder

    async def locked(self, order_nos: Sequence[str]) -> Sequence[WorkOrder]:
        """Those of the given orders this transaction now holds the webhook's lock of, read
        after taking it (so a settle that committed before is seen)."""
        if not order_nos:
            return []
        held = await self.session.execute(_TRY_LOCK, {"orders": sorted(order_nos)})
        rows = await self.session.execute(
            select(WorkOrder)
            .where(WorkOrder.order_no.in_([str(r[0]) for r in held]))
            .order_by(WorkOrder.order_no)
            .execution_options(populate_existing=True)
        )
        return rows.scalars().all()

    async def unsigned(self) -> list[tuple[str, str | None, str, datetime]]:
        """(order, kind, urgency, start of its signing clock) of the orders out of quarantine,
        with a handling unit, not signed for, whose current clock has had no expiry told."""
        clock = func.coalesce(WorkOrder.assigned_at, WorkOrder.received_at)
        rows = await self.session.execute(
            select(WorkOrder.order_no, WorkOrder.kind, WorkOrder.urgency, clock)
            .where(
                WorkOrder.accepted_at.is_(None),
                WorkOrder.quarantine_reason.is_(None),
                WorkOrder.handling_unit_code.is_not(None),
                WorkOrder.status != "returned",  # back with the platform, to be reassigned
                WorkOrder.response_expired_for.is_distinct_from(clock),
                clock.is_not(None),
            )
            .order_by(WorkOrder.order_no)
        )
        return [(str(no), kind, urgency, start) for no, kind, urgency, start in rows]

    async def overdue(self, now: datetime, limit: int) -> list[str]:
        """Up to `limit` orders out of quarantine past their due time, neither closed nor
        visited, not told overdue before."""
        rows = await self.session.execute(
            select(WorkOrder.order_no)
            .where(
                WorkOrder.closed_at.is_(None),
                WorkOrder.visited_at.is_(None),
                WorkOrder.due_at < now,
                WorkOrder.overdue_reported_at.is_(None),
                WorkOrder.quarantine_reason.is_(None),
            )
            .order_by(WorkOrder.order_no)
            .limit(limit)
        )
        return list(rows.scalars().all())

    async def mark_expired(self, order_no: str, clock: datetime) -> None:
        await self.session.execute(
            update(WorkOrder)
            .where(WorkOrder.order_no == order_no)
            .values(response_expired_for=clock)
        )

    async def mark_overdue(self, order_no: str, now: datetime) -> None:
        await self.session.execute(
            update(WorkOrder).where(WorkOrder.order_no == order_no).values(overdue_reported_at=now)
        )
