"""退单 / 改派 review (issue #26). A handling unit's return (`work_order.returned`, with its
reason) waits in the office's review queue; the office

- approves: re-dispatches the order to another unit (an `assigned` event, source office): the
  new unit's signing and closing clocks start at the decision — for the new unit only (the
  returning unit's facts told before stay with it);
- rejects: sends it back to the unit (`work_order.return_rejected`, source office): the order
  carries on from the step it was at, on the clock it had — the return did not stop it.

Each decision is audited; the returns per unit (returned, approved, rejected, pending) are the
report's `GET /returns/summary`. A unit reads its own returns only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest import office_events
from services.hotline_ingest.returns.repository import ReturnRepository
from services.hotline_ingest.webhook.schemas import Assigned
from shared import audit
from shared.auth import Principal
from shared.clock import now_utc
from shared.errors import Conflict, FieldError, NotFound, ValidationFailed
from shared.models import WorkOrder
from shared.pagination import PageParams
from shared.periods import Period
from shared.settings import Settings


async def queue(
    session: AsyncSession, principal: Principal, page: PageParams
) -> tuple[Sequence[WorkOrder], int]:
    return await ReturnRepository(session).queue(principal, page)


async def summary(
    session: AsyncSession, principal: Principal, period: Period
) -> list[tuple[str, str, int, int, int, int]]:
    """Per unit, the returns made in the period; a unit sees its own row only."""
    unit = None if principal.can_read_unit(None) else (principal.unit_code or "")
    return await ReturnRepository(session).summary(*period.window(), unit)


async def decide(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    order_no: str,
    *,
    approve: bool,
    unit_code: str | None,
    reason: str,
) -> WorkOrder:
    repo = ReturnRepository(session)
    order = await repo.order(order_no)
    if order is None:
        raise NotFound(f"工单 {order_no} 不存在")
    if order.status != "returned":
        raise Conflict("该工单不在退单审核队列中（没有待审核的退单）")
    before = {
        "status": order.status,
        "handling_unit_code": order.handling_unit_code,
        "returned_reason": order.returned_reason,
    }
    now = now_utc()
    if approve:
        await _reassign(session, settings, principal, order, unit_code or "", now)
    else:
        rejected = office_events.ReturnRejected(order_no=order_no, occurred_at=now, reason=reason)
        await office_events.record(
            session, settings, principal, office_events.RETURN_REJECTED, rejected
        )
    order = await repo.order(order_no)
    assert order is not None
    await audit.record(
        session,
        actor=principal,
        action="work_order.return_approved" if approve else "work_order.return_rejected",
        entity_type="work_order",
        entity_id=order_no,
        before=before,
        after={
            "status": order.status,
            "handling_unit_code": order.handling_unit_code,
            "reason": reason,
        },
    )
    return order


async def _reassign(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    order: WorkOrder,
    unit_code: str,
    now: datetime,
) -> None:
    """改派: to another of our units, with no due time of its own (the closing limit then runs
    from the re-dispatch: the new unit's clock)."""
    if unit_code == order.handling_unit_code:
        raise ValidationFailed(
            "改派须选择退单单位以外的承办单位",
            errors=[
                FieldError(loc=["body", "unit_code"], msg="与原承办单位相同", type="value_error")
            ],
        )
    if not await ReturnRepository(session).unit_exists(unit_code):
        raise ValidationFailed(
            f"单位 {unit_code} 不存在",
            errors=[FieldError(loc=["body", "unit_code"], msg="单位不存在", type="unknown")],
        )
    assigned = Assigned(order_no=order.order_no, occurred_at=now, handling_unit_code=unit_code)
    await office_events.record(session, settings, principal, "work_order.assigned", assigned)
