"""The returns (退单) review queue and the per-unit counts, read from the work orders and their
events. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, select, text

from shared.auth import Principal
from shared.models import Unit, WorkOrder
from shared.pagination import PageParams
from shared.repository import RepositoryBase

# Each `returned` event, the unit that had the order then (the last `assigned` before it, else
# the `created`'s unit, through the office's unit-code mappings) and the decision that followed
# it before the next return: a (re-)assignment (approved: 改派) or the office's rejection.
_SUMMARY = text(
    """
    WITH r AS (
        SELECT e.order_no, e.occurred_at,
               coalesce(
                   (SELECT a.data->>'handling_unit_code' FROM hotline.work_order_events AS a
                    WHERE a.order_no = e.order_no AND a.type = 'work_order.assigned'
                      AND a.occurred_at <= e.occurred_at
                    ORDER BY a.occurred_at DESC LIMIT 1),
                   (SELECT c.data->>'handling_unit_code' FROM hotline.work_order_events AS c
                    WHERE c.order_no = e.order_no AND c.type = 'work_order.created'
                    LIMIT 1)) AS external_code,
               (SELECT d.type FROM hotline.work_order_events AS d
                WHERE d.order_no = e.order_no
                  AND d.type IN ('work_order.assigned', 'work_order.return_rejected')
                  AND (d.occurred_at, hotline.event_step(d.type))
                      > (e.occurred_at, hotline.event_step(e.type))
                  AND NOT EXISTS (
                      SELECT 1 FROM hotline.work_order_events AS n
                      WHERE n.order_no = e.order_no AND n.type = 'work_order.returned'
                        AND n.occurred_at > e.occurred_at AND n.occurred_at <= d.occurred_at)
                ORDER BY d.occurred_at, hotline.event_step(d.type) LIMIT 1) AS decision
        FROM hotline.work_order_events AS e
        WHERE e.type = 'work_order.returned'
          AND e.occurred_at >= :start AND e.occurred_at < :end
    ),
    per_unit AS (
        SELECT coalesce(m.unit_code, r.external_code) AS unit_code, r.decision
        FROM r
        LEFT JOIN hotline.unit_code_mappings AS m ON m.external_code = r.external_code
    )
    SELECT p.unit_code, coalesce(u.name, p.unit_code) AS unit_name, count(*) AS returned,
           count(*) FILTER (WHERE p.decision = 'work_order.assigned') AS approved,
           count(*) FILTER (WHERE p.decision = 'work_order.return_rejected') AS rejected,
           count(*) FILTER (WHERE p.decision IS NULL) AS pending
    FROM per_unit AS p
    LEFT JOIN platform.units AS u ON u.code = p.unit_code
    WHERE p.unit_code IS NOT NULL
      AND (CAST(:unit AS text) IS NULL OR p.unit_code = CAST(:unit AS text))
    GROUP BY p.unit_code, u.name
    ORDER BY count(*) DESC, p.unit_code
    """
)


class ReturnRepository(RepositoryBase[WorkOrder]):
    model = WorkOrder

    async def queue(
        self, principal: Principal, page: PageParams
    ) -> tuple[Sequence[WorkOrder], int]:
        """Orders whose last step is a return, oldest return first; a unit reads its own."""
        statement = select(WorkOrder).where(WorkOrder.status == "returned")
        if not principal.can_read_unit(None):
            statement = statement.where(WorkOrder.handling_unit_code == (principal.unit_code or ""))
        ordered = statement.order_by(WorkOrder.returned_at.asc().nulls_last(), WorkOrder.order_no)
        return await self.paginate(ordered, page)

    async def order(self, order_no: str) -> WorkOrder | None:
        return await self.session.scalar(
            select(WorkOrder)
            .where(WorkOrder.order_no == order_no)
            .execution_options(populate_existing=True)
        )

    async def unit_exists(self, code: str) -> bool:
        return bool(
            await self.session.scalar(
                select(exists().where(Unit.code == code, Unit.is_active.is_(True)))
            )
        )

    async def summary(
        self, start: datetime, end: datetime, unit: str | None
    ) -> list[tuple[str, str, int, int, int, int]]:
        rows = await self.session.execute(_SUMMARY, {"start": start, "end": end, "unit": unit})
        return [(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]
