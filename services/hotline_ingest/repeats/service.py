"""Repeat requests (重复诉求, issue #26; docs/HOTLINE.md "Repeat requests"): orders from the same
caller about the same matter within a window are repeats of the matter's first order, and the
rates count the matter once. No seed gives the rule: the office's default (docs/RULES.md "A
caller's orders about one matter …") — the same caller (keyed hash of the phone number), the same
category (or handling unit while the category is unknown), received within
`HOTLINE_REPEAT_WINDOW_DAYS` (30) days of the first order; linked at intake by
`hotline.link_repeats`. The office links or unlinks by hand (audited); the system leaves such an
order alone from then on. Evaluation is told each change (`work_order.linked_as_repeat`,
`work_order.unlinked`) and leaves a repeat's facts out of the rates.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.repeats.repository import RepeatRepository
from services.hotline_ingest.repeats.schemas import RepeatChange, RepeatOut, RepeatsOut
from services.hotline_ingest.webhook.repository import link_repeats_in_session
from services.hotline_ingest.work_order.repository import WorkOrderRepository
from services.hotline_ingest.work_order.schemas import WorkOrderOut
from shared import audit
from shared.auth import Principal
from shared.crypto import mask_text
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.settings import Settings

Out = TypeVar("Out", bound=WorkOrderOut)


async def annotate(session: AsyncSession, orders: list[Out]) -> list[Out]:
    """The orders with `repeat_of` and `repeat_count` filled in (lists and the detail)."""
    of, counts = await RepeatRepository(session).annotations([o.order_no for o in orders])
    return [
        o.model_copy(
            update={"repeat_of": of.get(o.order_no), "repeat_count": counts.get(o.order_no, 0)}
        )
        for o in orders
    ]


async def _readable(session: AsyncSession, principal: Principal, order_no: str) -> None:
    if await WorkOrderRepository(session).get_readable(principal, order_no) is None:
        raise NotFound(f"工单 {order_no} 不存在或无权查看")


async def repeats(session: AsyncSession, principal: Principal, order_no: str) -> RepeatsOut:
    """The order's link, and its repeats the caller may read (a unit: those it handles)."""
    await _readable(session, principal, order_no)
    repo = RepeatRepository(session)
    link = await repo.link_of(order_no)
    linked = await repo.repeats_of(order_no)
    everything = principal.can_read_unit(None)
    return RepeatsOut(
        order_no=order_no,
        repeat_of=link.repeat_of if link else None,
        manual=link.manual if link else False,
        linked_by=link.linked_by if link else None,
        linked_at=link.linked_at if link else None,
        unlinked_by=link.unlinked_by if link else None,
        unlinked_at=link.unlinked_at if link else None,
        reason=link.reason if link else None,
        repeat_count=len(linked),
        repeats=[
            RepeatOut(
                order_no=order.order_no,
                title=mask_text(order.title),
                status=order.status,
                handling_unit_code=order.handling_unit_code,
                received_at=order.received_at,
                manual=r.manual,
                linked_by=r.linked_by,
                linked_at=r.linked_at,
            )
            for r, order in linked
            if everything or order.handling_unit_code == principal.unit_code
        ],
    )


async def change(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    order_no: str,
    body: RepeatChange,
    now: datetime,
) -> RepeatsOut:
    """The office links the order as a repeat of another (the link goes to that order's own
    first order, so there are no chains) or unlinks it. Audited; evaluation told in the same
    transaction."""
    await _readable(session, principal, order_no)
    repo = RepeatRepository(session)
    if body.action == "link":
        target = body.repeat_of
        if target is None or target == order_no:
            raise ValidationFailed("关联重复诉求须指明另一张工单（首次诉求）的工单号（repeat_of）")
        await _readable(session, principal, target)
        await repo.lock(sorted({order_no, target}))
        target_link = await repo.link_of(target)
        root = target_link.repeat_of if target_link and target_link.repeat_of else target
        if root == order_no:
            raise Conflict(f"工单 {target} 是本工单的重复诉求，不能反向关联")
    else:
        await repo.lock([order_no])
        root = None
    before = await repo.link_of(order_no)
    before_of = before.repeat_of if before else None
    if root is None and before_of is None:
        raise Conflict(f"工单 {order_no} 不是重复诉求，无需解除关联")
    await repo.put_manual(order_no, root, principal.username, body.reason, now)
    moved = await repo.repoint(order_no, root) if root is not None else []
    touched = {order_no, *moved, *(o for o in (root, before_of) if o is not None)}
    await link_repeats_in_session(session, sorted(touched), settings)
    await audit.record(
        session,
        actor=principal,
        action="work_order.repeat_linked" if root else "work_order.repeat_unlinked",
        entity_type="work_order",
        entity_id=order_no,
        before={"repeat_of": before_of, "manual": before.manual if before else False},
        after={"repeat_of": root, "manual": True, "reason": body.reason, "moved": moved},
    )
    return await repeats(session, principal, order_no)
