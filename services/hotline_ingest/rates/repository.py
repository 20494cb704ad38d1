"""The rows the three rates are computed from; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Result, Row, exists, select

from shared.models import Unit, WorkOrder
from shared.models.hotline import RepeatLink
from shared.repository import RepositoryBase


class RatesRepository(RepositoryBase[WorkOrder]):
    model = WorkOrder

    async def rate_rows(
        self, start: datetime, end: datetime, by_district: bool
    ) -> Sequence[Row[Any]]:
        """What the rates read of every order received in [start, end), out of quarantine, with
        its unit (or district) as `unit`."""
        key = WorkOrder.district_code if by_district else WorkOrder.handling_unit_code
        rows: Result[Any] = await self.session.execute(
            select(
                key.label("unit"),
                WorkOrder.kind,
                WorkOrder.urgency,
                WorkOrder.assigned_at,
                WorkOrder.received_at,
                WorkOrder.accepted_at,
                WorkOrder.visited_at,
                WorkOrder.resolved,
                WorkOrder.satisfaction,
                WorkOrder.closed_at,
                WorkOrder.due_at,
                WorkOrder.first_contacted_at,
                WorkOrder.satisfaction_overturned,
            ).where(
                WorkOrder.received_at >= start,
                WorkOrder.received_at < end,
                key.is_not(None),
                WorkOrder.quarantine_reason.is_(None),
                # A repeat request counts once, as its first order (issue #26).
                ~exists().where(
                    RepeatLink.order_no == WorkOrder.order_no, RepeatLink.repeat_of.is_not(None)
                ),
            )
        )
        return rows.all()

    async def unit_names(self) -> dict[str, str]:
        return {c: n for c, n in (await self.session.execute(select(Unit.code, Unit.name)))}
