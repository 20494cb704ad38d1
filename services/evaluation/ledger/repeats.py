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
from dataclasses import dataclass, field
from datetime import date

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


@dataclass
class Links:
    """The link facts (not parked) of a batch's orders, read once: order → (version, type,
    event id). Whether an order is a repeat is then decided in memory for each fact."""

    facts: dict[str, list[tuple[int, str, uuid.UUID]]] = field(default_factory=dict)

    def is_repeat(self, order_no: str, pending: Collection[uuid.UUID] = ()) -> bool:
        """Whether the order's newest applied link fact (not one of `pending`) links it."""
        newest = max(
            ((v, t) for v, t, event_id in self.facts.get(order_no, ()) if event_id not in pending),
            default=(0, UNLINKED),
        )
        return newest[1] == LINKED


async def links_of(session: AsyncSession, order_nos: Iterable[str]) -> Links:
    """The orders' link facts, in one query (the index on a work order's facts serves it)."""
    orders = sorted(set(order_nos))
    if not orders:
        return Links()
    order_no = Fact.data["order_no"].astext
    rows = await session.execute(
        select(order_no, Fact.data["version"].astext, Fact.type, Fact.event_id).where(
            Fact.type.like("work_order.%"),
            Fact.type.in_([LINKED, UNLINKED]),
            order_no.in_(orders),
            ~exists().where(
                ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)
            ),
        )
    )
    links = Links()
    for order, version, kind, event_id in rows:
        links.facts.setdefault(order, []).append((int(version), kind, event_id))
    return links


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
    links: Links,
    rules_at: Callable[[date], RuleSetBody],
    event: EventEnvelope,
    data: WorkOrderFacts,
    pending: Collection[uuid.UUID],
) -> list[tuple[date, engine.CounterEffect]]:
    """What a link fact does: if it changes whether the order is a repeat, the counters of the
    order's applied facts taken back (linked) or added again (unlinked), each on its day."""
    before = links.is_repeat(data.order_no, {*pending, event.id})
    after = links.is_repeat(data.order_no, pending)
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
    session: AsyncSession,
    links: Links,
    rules_at: Callable[[date], RuleSetBody],
    event: EventEnvelope,
    data: WorkOrderFacts,
    pending: Collection[uuid.UUID],
) -> tuple[bool, list[tuple[date, engine.CounterEffect]]]:
    """A work-order fact as a repeat request bears on it: whether its own counters count (not a
    link's, not a repeat's), and the counter changes a link makes (each on its day)."""
    if not is_link(data):
        return not counts_nothing(data) and not links.is_repeat(data.order_no, pending), []
    return False, await link_effects(session, links, rules_at, event, data, pending)
