"""Repeat requests (重复诉求, issue #26): the rates count a matter once. The hotline tells which
orders are repeats of another (`work_order.linked_as_repeat`) and which are no longer
(`work_order.unlinked`), each with the next version of the order's link; the newest version
says. While an order is a repeat, none of its facts counts: a link takes back what its facts
added, an unlink adds it again, and a fact of a linked order adds nothing (docs/HOTLINE.md
"Repeat requests"; docs/RULES.md "A caller's orders about one matter …").

Order-independent within a batch too: a fact sees only the link facts applied before it (the
batch's later facts are `pending`), so whatever order the facts arrive in, the counters end as
the full recompute leaves them (`REPEAT_ORDERS`, left out by `bulk_hotline_counters`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.evaluation.ledger import engine
from services.evaluation.rule_set.schemas import RuleSetBody
from shared.events import (
    EventData,
    EventEnvelope,
    WorkOrderEscalated,
    WorkOrderFacts,
    WorkOrderLinkedAsRepeat,
    WorkOrderUnlinked,
    parse_data,
)
from shared.models import Fact, ParkedEvent

if TYPE_CHECKING:
    from services.evaluation.ledger.repository import LedgerRepository

LINKED, UNLINKED = "work_order.linked_as_repeat", "work_order.unlinked"
# Facts about an order that add to no counter themselves.
UNCOUNTED = (LINKED, UNLINKED, "work_order.escalated")
# The orders whose newest link fact (not parked) says they are repeats (the full recompute).
REPEAT_ORDERS = """
    SELECT newest.order_no FROM (
        SELECT DISTINCT ON (l.data->>'order_no') l.data->>'order_no' AS order_no, l.type
        FROM evaluation.facts AS l
        WHERE l.type IN ('work_order.linked_as_repeat', 'work_order.unlinked')
          AND NOT EXISTS (SELECT 1 FROM evaluation.parked_events AS p
                          WHERE p.event_id = l.event_id AND p.replayed_at IS NULL)
        ORDER BY l.data->>'order_no', (l.data->>'version')::int DESC
    ) AS newest
    WHERE newest.type = 'work_order.linked_as_repeat'"""


def is_link(data: EventData) -> bool:
    return isinstance(data, WorkOrderLinkedAsRepeat | WorkOrderUnlinked)


def counts_nothing(data: EventData) -> bool:
    return is_link(data) or isinstance(data, WorkOrderEscalated)


def _applied(order_no: str, pending: Collection[uuid.UUID]) -> tuple[ColumnElement[bool], ...]:
    """The order's facts applied so far: not parked, not waiting later in this batch."""
    return (
        Fact.type.like("work_order.%"),
        Fact.data["order_no"].astext == order_no,
        Fact.event_id.not_in(list(pending)) if pending else Fact.event_id.is_not(None),
        ~exists().where(ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)),
    )


async def is_repeat(
    session: AsyncSession, order_no: str, pending: Collection[uuid.UUID] = ()
) -> bool:
    """Whether the order's newest applied link fact links it as a repeat."""
    rows = await session.execute(
        select(Fact.type, Fact.data["version"].astext).where(
            *_applied(order_no, pending), Fact.type.in_([LINKED, UNLINKED])
        )
    )
    newest = max(((int(v), t) for t, v in rows), default=(0, UNLINKED))
    return newest[1] == LINKED


async def _counted_facts(
    session: AsyncSession, order_no: str, pending: Collection[uuid.UUID]
) -> list[Fact]:
    rows = await session.execute(
        select(Fact)
        .where(*_applied(order_no, pending), Fact.type.not_in(UNCOUNTED))
        .order_by(Fact.occurred_at, Fact.id)
    )
    return list(rows.scalars().all())


async def units_of(session: AsyncSession, order_nos: Iterable[str]) -> set[str]:
    """Every unit the orders' facts name (a link moves their counters)."""
    orders = sorted(set(order_nos))
    if not orders:
        return set()
    rows = await session.execute(
        select(Fact.unit_code, Fact.data["district_code"].astext).where(
            Fact.type.like("work_order.%"), Fact.data["order_no"].astext.in_(orders)
        )
    )
    return {code for pair in rows for code in pair if code}


async def link_effects(
    session: AsyncSession,
    rules_at: Callable[[date], RuleSetBody],
    event: EventEnvelope,
    data: WorkOrderFacts,
    pending: Collection[uuid.UUID],
) -> list[tuple[date, engine.CounterEffect]]:
    """What a link fact does: if it changes whether the order is a repeat, the counters of the
    order's applied facts taken back (linked) or added again (unlinked), each on its day."""
    before = await is_repeat(session, data.order_no, {*pending, event.id})
    after = await is_repeat(session, data.order_no, pending)
    if before == after:
        return []
    sign = -1.0 if after else 1.0
    found = []
    for fact in await _counted_facts(session, data.order_no, {*pending, event.id}):
        counted = parse_data(fact.type, fact.data)
        if not isinstance(counted, WorkOrderFacts):
            continue
        day = counted.received_on
        for effect in engine.effects(fact.unit_code or "", counted, rules_at(day)):
            if isinstance(effect, engine.CounterEffect):
                found.append(
                    (
                        day,
                        engine.CounterEffect(effect.unit_code, effect.name, sign * effect.value),
                    )
                )
    return found


async def apply(
    repo: LedgerRepository,
    rules_at: Callable[[date], RuleSetBody],
    programme: str,
    event: EventEnvelope,
    data: WorkOrderFacts,
    pending: Collection[uuid.UUID],
) -> tuple[bool, set[str], set[date]]:
    """A work-order fact as a repeat request bears on it: whether its own counters count (not a
    link's, not a repeat's), and the units and days a link moved (written here)."""
    session = repo.session
    if not is_link(data):
        own = not counts_nothing(data) and not await is_repeat(session, data.order_no, pending)
        return own, set(), set()
    units: set[str] = set()
    days: set[date] = set()
    for day, effect in await link_effects(session, rules_at, event, data, pending):
        await repo.add_counter(
            programme=programme,
            unit_code=effect.unit_code,
            day=day,
            name=effect.name,
            value=effect.value,
        )
        units.add(effect.unit_code)
        days.add(day)
    return False, units, days
