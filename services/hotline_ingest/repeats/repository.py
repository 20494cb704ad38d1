"""Repeat-request queries (hotline.repeat_links) and the SQL that links a caller's orders
(`hotline.link_repeats`, services/hotline_ingest/sql/link_repeats/). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from shared.models import WorkOrder
from shared.models.hotline import RepeatLink
from shared.repository import RepositoryBase

# The lock `hotline.link_repeats` takes per caller, and the webhook's per order.
_LOCK_CALLERS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('hotline.caller:' || k, 0))"
    " FROM (SELECT DISTINCT caller_key AS k FROM hotline.order_callers"
    "       WHERE order_no = ANY (CAST(:orders AS text[])) ORDER BY 1) AS callers"
)
_LOCK_ORDERS = text(
    "SELECT pg_advisory_xact_lock(hashtextextended('hotline.work_order:' || o, 0))"
    " FROM (SELECT DISTINCT o FROM unnest(CAST(:orders AS text[])) AS o ORDER BY 1) AS orders"
)


class RepeatRepository(RepositoryBase[RepeatLink]):
    model = RepeatLink

    async def lock(self, order_nos: Sequence[str]) -> None:
        """The orders (as the webhook locks them), then their callers (as the linking does)."""
        await self.session.execute(_LOCK_ORDERS, {"orders": list(order_nos)})
        await self.session.execute(_LOCK_CALLERS, {"orders": list(order_nos)})

    async def link_of(self, order_no: str) -> RepeatLink | None:
        return (
            await self.session.execute(
                select(RepeatLink)
                .where(RepeatLink.order_no == order_no)
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()

    async def repeats_of(self, order_no: str) -> list[tuple[RepeatLink, WorkOrder]]:
        rows = await self.session.execute(
            select(RepeatLink, WorkOrder)
            .join(WorkOrder, WorkOrder.order_no == RepeatLink.order_no)
            .where(RepeatLink.repeat_of == order_no)
            .order_by(WorkOrder.received_at, WorkOrder.order_no)
        )
        return [(link, order) for link, order in rows]

    async def annotations(self, order_nos: Sequence[str]) -> tuple[dict[str, str], dict[str, int]]:
        """(order → the order it repeats, order → how many repeat it) for the given orders."""
        if not order_nos:
            return {}, {}
        of = await self.session.execute(
            select(RepeatLink.order_no, RepeatLink.repeat_of).where(
                RepeatLink.order_no.in_(order_nos), RepeatLink.repeat_of.is_not(None)
            )
        )
        counts = await self.session.execute(
            select(RepeatLink.repeat_of, func.count())
            .where(RepeatLink.repeat_of.in_(order_nos))
            .group_by(RepeatLink.repeat_of)
        )
        return (
            {str(o): str(r) for o, r in of},
            {str(r): int(n) for r, n in counts},
        )

    async def put_manual(
        self,
        order_no: str,
        repeat_of: str | None,
        username: str,
        reason: str,
        now: datetime,
    ) -> None:
        """The office's own link (or unlink, `repeat_of` None): the system leaves it alone."""
        values: dict[str, object] = {"repeat_of": repeat_of, "manual": True, "reason": reason}
        if repeat_of is not None:
            values |= {
                "linked_by": username,
                "linked_at": now,
                "unlinked_by": None,
                "unlinked_at": None,
            }
        else:
            values |= {"unlinked_by": username, "unlinked_at": now}
        stmt = insert(RepeatLink).values(order_no=order_no, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[RepeatLink.order_no], set_=values)
        )

    async def repoint(self, from_order: str, to_order: str) -> list[str]:
        """The office's links to `from_order` (now a repeat itself) follow it to `to_order`."""
        rows = await self.session.execute(
            update(RepeatLink)
            .where(RepeatLink.repeat_of == from_order, RepeatLink.manual)
            .values(repeat_of=to_order)
            .returning(RepeatLink.order_no)
        )
        return [str(r) for r in rows.scalars()]
