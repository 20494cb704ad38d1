"""催办 (issue #26): an order past its signing (签收) or closing (办结) limit gets an escalating
reminder to its handling unit — step 1 to the unit's liaison (联络员); if the order is still past
the limit `HOTLINE_REMINDER_ESCALATION_HOURS` (24, office default) later, step 2 copied to the
unit's leader (单位负责人). Seed 004_1871f105e1d7927d.txt: 12345 tracks and supervises the
handling of every appeal (跟踪督办); the steps and interval are the office's defaults
(docs/RULES.md "催办 …").

Each step is sent once per order, limit and deadline (a reassignment starts a new signing limit,
an extension a new due time): the row's unique key decides, so two sweeps at once (two replicas)
send it once; each order is also locked as the webhook locks it, so a signing stored at the same
moment is either seen (no reminder) or comes after it. Delivered through the hotline's own 催办
list (the unit's to-do: `GET /api/hotline/v1/reminders`, docs/HOTLINE.md "催办" says why not
reform_tasks' inbox) and, with OA_WEBHOOK_URL set, the OA relay (`reminder.hotline_overdue`,
`reminder.hotline_overdue_leader`). Step 2 is told to evaluation (`work_order.escalated`): the
12345 红黑榜 counts it per unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.hotline_ingest.calendar import service as calendar
from services.hotline_ingest.reminders.repository import ReminderRepository
from services.hotline_ingest.reminders.schemas import ReminderOut
from services.hotline_ingest.sweep.repository import SweepRepository
from services.hotline_ingest.sweep.service import SweepResult
from shared import outbox
from shared.auth import Principal
from shared.clock import SHANGHAI
from shared.hotline_rates import signing_deadline
from shared.models import WorkOrder
from shared.models.hotline import OverdueReminder
from shared.pagination import Page, PageParams
from shared.settings import Settings
from shared.working_days import WorkingCalendar

BATCH = 500
LIMIT_NAMES = {"signing": "签收", "closing": "办结"}
RECIPIENTS = {1: "联络员", 2: "单位负责人（抄送）"}
OA_KINDS = {1: "hotline_overdue", 2: "hotline_overdue_leader"}


@dataclass(frozen=True, slots=True)
class Step:
    order_no: str
    limit_kind: str
    deadline: datetime
    step: int
    first_sent_at: datetime | None = None


def _deadline(
    working: WorkingCalendar, settings: Settings, order: WorkOrder, limit_kind: str
) -> datetime | None:
    """The limit as it stands now: signing from the unit's clock, closing the due time."""
    if limit_kind == "closing":
        return order.due_at
    clock = order.assigned_at or order.received_at
    if clock is None:
        return None
    return signing_deadline(working, settings, clock, order.kind, order.urgency)


def _past(
    working: WorkingCalendar, settings: Settings, order: WorkOrder, step: Step, now: datetime
) -> bool:
    """Whether the order is still past that very limit (not signed, closed, reassigned or
    extended meanwhile)."""
    if order.closed_at or order.visited_at or order.status == "returned":
        return False
    if order.quarantine_reason is not None or order.handling_unit_code is None:
        return False
    if step.limit_kind == "signing" and order.accepted_at is not None:
        return False
    return _deadline(working, settings, order, step.limit_kind) == step.deadline < now


async def _due(
    repo: ReminderRepository, working: WorkingCalendar, settings: Settings, now: datetime
) -> list[Step]:
    """Every step due now, in order-number order."""
    limits: list[tuple[str, str, datetime]] = []
    for order in await repo.unsigned():
        deadline = _deadline(working, settings, order, "signing")
        if deadline is not None and deadline < now:
            limits.append((order.order_no, "signing", deadline))
    limits += [
        (o.order_no, "closing", o.due_at) for o in await repo.past_due(now) if o.due_at is not None
    ]
    sent = {
        (r.order_no, r.limit_kind, r.deadline, r.step): r
        for r in await repo.sent_for(sorted({no for no, _, _ in limits}))
    }
    interval = timedelta(hours=settings.hotline_reminder_escalation_hours)
    due = []
    for order_no, kind, deadline in sorted(limits):
        first = sent.get((order_no, kind, deadline, 1))
        if first is None:
            due.append(Step(order_no, kind, deadline, 1))
        elif (order_no, kind, deadline, 2) not in sent and now >= first.sent_at + interval:
            due.append(Step(order_no, kind, deadline, 2, first.sent_at))
    return due


def _text(order: WorkOrder, step: Step) -> tuple[str, str]:
    name = LIMIT_NAMES[step.limit_kind]
    when = step.deadline.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    title = (
        f"催办：12345 工单 {order.order_no} 已超{name}时限"
        if step.step == 1
        else f"二次催办（抄送单位负责人）：12345 工单 {order.order_no} 仍超{name}时限"
    )
    body = f"工单“{order.title or order.order_no}”的{name}时限已于 {when} 届满，请尽快{name}。"
    if step.first_sent_at is not None:
        first = step.first_sent_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        body += f"已于 {first} 催办单位联络员，至今仍未{name}。"
    return title, body


async def _tell(
    session: AsyncSession, settings: Settings, order: WorkOrder, step: Step, reminder_id: int
) -> None:
    """The OA relay (if set up) for either step; evaluation for the second (红黑榜)."""
    unit = order.handling_unit_code
    title, body = _text(order, step)
    if settings.oa_webhook_url:
        await outbox.enqueue(
            session,
            f"reminder.{OA_KINDS[step.step]}",
            {
                "id": reminder_id,
                "unit_code": unit,
                "kind": OA_KINDS[step.step],
                "title": title,
                "body": body,
                "link": f"/hotline?order={order.order_no}",
            },
            unit_code=unit,
        )
    if step.step == 2 and order.received_at is not None:
        await outbox.enqueue(
            session,
            "work_order.escalated",
            {
                "order_no": order.order_no,
                "kind": order.kind,
                "district_code": order.district_code,
                "received_on": order.received_at.astimezone(SHANGHAI).date().isoformat(),
                "limit_kind": step.limit_kind,
            },
            unit_code=unit,
        )


async def sweep(session: AsyncSession, settings: Settings, now: datetime) -> SweepResult:
    """Send the steps due now, each once (at most `BATCH` per call; `remaining` says more)."""
    repo = ReminderRepository(session)
    working = await calendar.load(session)
    due = await _due(repo, working, settings, now)
    batch = due[:BATCH]
    held = {
        o.order_no: o
        for o in await SweepRepository(session).locked(sorted({s.order_no for s in batch}))
    }
    announced = 0
    for step in batch:
        order = held.get(step.order_no)
        if order is None or not _past(working, settings, order, step, now):
            continue  # the webhook holds it (next sweep), or it was settled meanwhile
        title, body = _text(order, step)
        reminder_id = await repo.send(
            order_no=order.order_no,
            unit_code=order.handling_unit_code or "",
            limit_kind=step.limit_kind,
            deadline=step.deadline,
            step=step.step,
            title=title,
            body=body,
            now=now,
        )
        if reminder_id is None:
            continue  # another sweep sent it
        await _tell(session, settings, order, step, reminder_id)
        announced += 1
    return SweepResult(announced=announced, remaining=len(due) > BATCH)


def to_out(reminder: OverdueReminder, order: WorkOrder) -> ReminderOut:
    still = order.closed_at is None and order.visited_at is None
    if reminder.limit_kind == "signing":
        still = still and order.accepted_at is None
    return ReminderOut(
        id=reminder.id,
        order_no=reminder.order_no,
        unit_code=reminder.unit_code,
        limit_kind="signing" if reminder.limit_kind == "signing" else "closing",
        deadline=reminder.deadline,
        step=reminder.step,
        recipient=RECIPIENTS[reminder.step],
        title=reminder.title,
        body=reminder.body,
        sent_at=reminder.sent_at,
        order_open=still,
    )


async def list_reminders(
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    *,
    order_no: str | None = None,
    unit: str | None = None,
    step: int | None = None,
    open_only: bool = False,
) -> Page[ReminderOut]:
    """The 催办 list: the office all, a unit its own (its to-do: `open_only`, the orders still
    unsigned or unclosed)."""
    rows, total = await ReminderRepository(session).page(
        principal, page, order_no=order_no, unit=unit, step=step, open_only=open_only
    )
    return Page[ReminderOut](items=[to_out(r, o) for r, o in rows], total=total)
