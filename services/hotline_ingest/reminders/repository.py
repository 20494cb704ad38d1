"""催办 queries: the orders past a limit, the reminders sent, and one insert per step (the unique
(order, limit, deadline, step) makes each step once, whichever replica's sweep gets there first).
Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert

from shared.auth import Principal
from shared.models import WorkOrder
from shared.models.hotline import OverdueReminder
from shared.pagination import PageParams
from shared.repository import RepositoryBase

_OPEN = (
    WorkOrder.quarantine_reason.is_(None),
    WorkOrder.handling_unit_code.is_not(None),
    WorkOrder.status != "returned",  # back with the platform, to be reassigned
    WorkOrder.closed_at.is_(None),
    WorkOrder.visited_at.is_(None),
)


class ReminderRepository(RepositoryBase[OverdueReminder]):
    model = OverdueReminder

    async def unsigned(self) -> Sequence[WorkOrder]:
        """Open orders out of quarantine the handling unit has not signed for."""
        rows = await self.session.execute(
            select(WorkOrder)
            .where(*_OPEN, WorkOrder.accepted_at.is_(None), WorkOrder.received_at.is_not(None))
            .order_by(WorkOrder.order_no)
        )
        return rows.scalars().all()

    async def past_due(self, now: datetime) -> Sequence[WorkOrder]:
        """Open orders out of quarantine past their due time (办结)."""
        rows = await self.session.execute(
            select(WorkOrder).where(*_OPEN, WorkOrder.due_at < now).order_by(WorkOrder.order_no)
        )
        return rows.scalars().all()

    async def sent_for(self, order_nos: Sequence[str]) -> Sequence[OverdueReminder]:
        if not order_nos:
            return []
        rows = await self.session.execute(
            select(OverdueReminder).where(OverdueReminder.order_no.in_(list(order_nos)))
        )
        return rows.scalars().all()

    async def send(
        self,
        *,
        order_no: str,
        unit_code: str,
        limit_kind: str,
        deadline: datetime,
        step: int,
        title: str,
        body: str,
        now: datetime,
    ) -> int | None:
        """The step's row, or None when it was sent already (by this or another sweep)."""
        stmt = (
            insert(OverdueReminder)
            .values(
                order_no=order_no,
                unit_code=unit_code,
                limit_kind=limit_kind,
                deadline=deadline,
                step=step,
                title=title,
                body=body,
                sent_at=now,
            )
            .on_conflict_do_nothing(index_elements=["order_no", "limit_kind", "deadline", "step"])
            .returning(OverdueReminder.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def readable_statement(self, principal: Principal) -> Select[OverdueReminder, WorkOrder]:
        """The office and viewers read every reminder; a unit those sent to it for orders it
        still handles."""
        statement = select(OverdueReminder, WorkOrder).join(
            WorkOrder, WorkOrder.order_no == OverdueReminder.order_no
        )
        if principal.can_read_unit(None):
            return statement
        unit = principal.unit_code or ""
        return statement.where(
            OverdueReminder.unit_code == unit, WorkOrder.handling_unit_code == unit
        )

    async def page(
        self,
        principal: Principal,
        page: PageParams,
        *,
        order_no: str | None,
        unit: str | None,
        step: int | None,
        open_only: bool = False,
    ) -> tuple[list[tuple[OverdueReminder, WorkOrder]], int]:
        statement = self.readable_statement(principal)
        if open_only:  # the order is still past that limit: unsigned, or unclosed
            statement = statement.where(
                WorkOrder.closed_at.is_(None),
                WorkOrder.visited_at.is_(None),
                (OverdueReminder.limit_kind == "closing") | WorkOrder.accepted_at.is_(None),
            )
        for column, value in (
            (OverdueReminder.order_no, order_no),
            (OverdueReminder.unit_code, unit),
            (OverdueReminder.step, step),
        ):
            if value is not None:
                statement = statement.where(column == value)
        total = int(
            await self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        )
        rows = await self.session.execute(
            statement.order_by(OverdueReminder.sent_at.desc(), OverdueReminder.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [(r, o) for r, o in rows], total
