"""The 12345 hotline's four rates, defined once (issue #19, fix 3; docs/HOTLINE.md "Rates").

No seed gives the formulas (seed 004_1871f105e1d7927d.txt names 12345's tracking, supervision and
evaluation, 跟踪督办、考核评价, and raising its satisfaction rate, 满意率;
seed 001_643c54550577dac0.txt has 12345 complaints read as part of the supervision that feeds the
year-end evaluation): they are the office's defaults, one row of docs/RULES.md ("Each rate is
defined once: …").

An order counts in the period it was received (its receipt day, Asia/Shanghai):

- 响应率 (response) = orders signed for (accepted) within the signing limit ÷ orders signed for,
  or whose signing limit passed unsigned (an order still inside its limit is in neither). The
  limit (`signing_deadline`) runs from when the handling unit got the order (receipt, or the
  last reassignment): minutes for an urgent order, else working days per appeal kind.
- 解决率 (resolution) = follow-up visits saying resolved ÷ orders visited.
- 满意率 (satisfaction) = visits satisfied or basically satisfied ÷ orders visited, less the
  dissatisfied visits the office overturned on the unit's appeal (申诉, issue #26).
- 按时办结率 (on-time closing) = orders closed by their due time ÷ orders closed, or past their
  due time unclosed. The due time is the platform's `due_at`, else `HOTLINE_CLOSING_DAYS`
  working days per kind (the closing limit, 办结, a setting apart from the signing limit, 签收).
- 先行联系率 (first contact, issue #26) = orders whose caller was first contacted within the
  limit ÷ orders received. The limit is an office default: the signing limit (签收) of the
  order's urgency and kind, counted from receipt (the caller's clock, whichever unit has it). An
  order still inside its limit and not yet contacted counts as not contacted until it is. Shown,
  not scored (the rule set's hotline shares name the four rates above).

Two readings of the same counts, held equal by tests/hotline/test_rate_definitions.py:

- `order_counts`: what one order's state adds (hotline_ingest's live table, per current handling
  unit, `GET /api/hotline/v1/rates`);
- `fact_counters`: what each fact the hotline tells evaluation adds (evaluation's counters, which
  the score and the monthly reports read). The hotline decides every flag those facts carry —
  signed in time, already expired, closed on time, already overdue — so evaluation adds them up
  and derives nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events import (
    WorkOrderClosed,
    WorkOrderCreated,
    WorkOrderFacts,
    WorkOrderFirstContacted,
    WorkOrderOverdue,
    WorkOrderResponded,
    WorkOrderResponseExpired,
    WorkOrderVisited,
    WorkOrderVisitOverturned,
)
from shared.models.evaluation import HOTLINE_COUNTER_COLUMNS
from shared.settings import Settings
from shared.working_days import WorkingCalendar

SATISFIED = ("satisfied", "basically_satisfied")

# The counts, one column each in evaluation.unit_counters:
# orders; responded (signed for, in time or late); responded_in_time; response_due (the
# response rate's denominator); visited; resolved; satisfied; overdue (closed late, or past due
# and unclosed); closed; closed_on_time; closing_due (the on-time closing rate's denominator);
# first_contacted_in_time (先行联系 within the limit); overturned (dissatisfied visits overturned
# on appeal: out of the satisfaction rate's denominator).
COUNTERS = HOTLINE_COUNTER_COLUMNS


def limits_json(settings: Settings) -> str:
    """The signing (签收: minutes per urgency, working days per appeal kind) and closing (办结:
    working days per kind) limits, as the hotline's SQL functions read them (hotline_ingest's
    deliveries, and reform_tasks when a unit merge re-derives the merged unit's open orders)."""
    return json.dumps(
        {
            "urgent": settings.hotline_urgent_signing_minutes,
            "response": settings.hotline_response_days,
            "closing": settings.hotline_closing_days,
        },
        sort_keys=True,
    )


def _signing_limit(settings: Settings, kind: str | None, urgency: str | None) -> tuple[int, bool]:
    """(amount, in minutes?): minutes on the clock for an urgent order
    (`HOTLINE_URGENT_SIGNING_MINUTES`), else working days per kind (`HOTLINE_RESPONSE_DAYS`)."""
    minutes = settings.hotline_urgent_signing_minutes.get(urgency or "")
    if minutes is not None:
        return minutes, True
    return settings.hotline_response_days.get(kind or "", 1), False


def signing_deadline(
    calendar: WorkingCalendar,
    settings: Settings,
    clock: datetime,
    kind: str | None,
    urgency: str | None,
) -> datetime:
    """End of the signing limit (签收) from the handling unit's clock (receipt or the last
    reassignment): the minutes after it for an urgent order, else the end of the N-th working
    day. SQL `hotline.signing_deadline` is the same rule (tests/hotline/test_rates.py compares
    them)."""
    amount, in_minutes = _signing_limit(settings, kind, urgency)
    return clock + timedelta(minutes=amount) if in_minutes else calendar.deadline(clock, amount)


def signing_limit(settings: Settings, kind: str | None, urgency: str | None) -> str:
    """The signing limit as the office reads it: 15分钟, 1个工作日."""
    amount, in_minutes = _signing_limit(settings, kind, urgency)
    return f"{amount}分钟" if in_minutes else f"{amount}个工作日"


def closing_deadline(
    calendar: WorkingCalendar, settings: Settings, clock: datetime, kind: str | None
) -> datetime:
    """The due time of an order the platform sent none for: the closing limit (办结,
    `HOTLINE_CLOSING_DAYS` working days per kind) from the handling unit's clock. SQL: the
    `due_at` of `hotline.settle`."""
    return calendar.deadline(clock, settings.hotline_closing_days.get(kind or "", 1))


@dataclass(frozen=True, slots=True)
class Rates:
    response: float | None
    resolution: float | None
    satisfaction: float | None
    on_time_closing: float | None
    first_contact: float | None = None


def ratio(numerator: float, denominator: float) -> float | None:
    """A rate, or None when nothing counts for it yet (shown as “—”; the score counts it
    full)."""
    return numerator / denominator if denominator else None


def rates(counts: Mapping[str, float]) -> Rates:
    c = counts.get
    return Rates(
        response=ratio(c("responded_in_time", 0), c("response_due", 0)),
        resolution=ratio(c("resolved", 0), c("visited", 0)),
        satisfaction=ratio(c("satisfied", 0), c("visited", 0) - c("overturned", 0)),
        on_time_closing=ratio(c("closed_on_time", 0), c("closing_due", 0)),
        first_contact=ratio(c("first_contacted_in_time", 0), c("orders", 0)),
    )


@dataclass(frozen=True, slots=True)
class OrderState:
    """One order as hotline_ingest holds it, with its two limits worked out."""

    accepted_at: datetime | None
    response_deadline: datetime  # end of the signing limit, from the current handling unit's start
    visited: bool
    resolved: bool | None
    satisfaction: str | None
    closed_at: datetime | None
    due_at: datetime  # the platform's, else the closing limit
    # 先行联系 by the end of the limit (the signing limit from receipt); the dissatisfied visit
    # overturned on appeal (issue #26).
    first_contacted_in_time: bool = False
    overturned: bool = False


def order_counts(order: OrderState, now: datetime) -> dict[str, int]:
    """What one order adds to its handling unit's counts at `now`."""
    counts = dict.fromkeys(COUNTERS, 0)
    counts["orders"] = 1
    if order.accepted_at is not None:
        counts["responded"] = counts["response_due"] = 1
        counts["responded_in_time"] = int(order.accepted_at <= order.response_deadline)
    elif now > order.response_deadline:
        counts["response_due"] = 1
    if order.visited:
        counts["visited"] = 1
        counts["resolved"] = int(bool(order.resolved))
        counts["satisfied"] = int(order.satisfaction in SATISFIED)
        counts["overturned"] = int(order.overturned)
    counts["first_contacted_in_time"] = int(order.first_contacted_in_time)
    if order.closed_at is not None:
        on_time = order.closed_at <= order.due_at
        counts["closed"] = counts["closing_due"] = 1
        counts["closed_on_time"] = int(on_time)
        counts["overdue"] = int(not on_time)
    elif not order.visited and now > order.due_at:
        counts["closing_due"] = counts["overdue"] = 1
    return counts


def fact_counters(fact: WorkOrderFacts) -> list[str]:
    """The counters one told fact adds one to. A late signing or closing after the sweep has
    already told the expiry (overdue) was counted then, and is not counted twice."""
    match fact:
        case WorkOrderCreated():
            return ["orders"]
        case WorkOrderResponded():
            names = ["responded"]
            names += ["responded_in_time"] if fact.within_limit else []
            names += [] if fact.after_expiry else ["response_due"]
            return names
        case WorkOrderResponseExpired():
            return ["response_due"]
        case WorkOrderVisited():
            names = ["visited"]
            names += ["resolved"] if fact.resolved else []
            names += ["satisfied"] if fact.satisfaction in SATISFIED else []
            return names
        case WorkOrderClosed():
            names = ["closed"]
            names += ["closed_on_time"] if fact.on_time else []
            names += [] if fact.after_overdue else ["closing_due"]
            names += [] if fact.on_time or fact.after_overdue else ["overdue"]
            return names
        case WorkOrderOverdue():
            return ["overdue", "closing_due"]
        case WorkOrderFirstContacted():
            return ["first_contacted_in_time"] if fact.within_limit else []
        case WorkOrderVisitOverturned():
            return ["overturned"]
    return []


def add_up(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(COUNTERS, 0)
    for c in counts:
        for name in COUNTERS:
            total[name] += c.get(name, 0)
    return total
