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


ORDER_NO = Fact.data["order_no"].astext


def _applied_facts_of(order_nos: list[str]) -> tuple[ColumnElement[bool], ...]:
    """The orders' facts that were applied: 12345 facts (the index on a work order's facts
    serves them), not parked."""
    return (
        Fact.type.like("work_order.%"),
        ORDER_NO.in_(order_nos),
        ~exists().where(ParkedEvent.event_id == Fact.event_id, ParkedEvent.replayed_at.is_(None)),
    )


@dataclass
class Links:
    """The link facts (not parked) of a batch's orders, read once: order → (version, type,
    event id). Whether an order is a repeat is then decided in memory for each fact. For the
    orders the batch links or unlinks, also their counted facts (what a link takes back or adds
    again). Read once the batch holds its units' locks (`consume_many`)."""

    facts: dict[str, list[tuple[int, str, uuid.UUID]]] = field(default_factory=dict)
    counted: dict[str, list[Fact]] = field(default_factory=dict)

    def is_repeat(self, order_no: str, pending: Collection[uuid.UUID] = ()) -> bool:
        """Whether the order's newest applied link fact (not one of `pending`) links it."""
        newest = max(
            ((v, t) for v, t, event_id in self.facts.get(order_no, ()) if event_id not in pending),
            default=(0, UNLINKED),
        )
        return newest[1] == LINKED


async def links_of(
    session: AsyncSession, order_nos: Iterable[str], linked: Iterable[str] = ()
) -> Links:
    """The orders' link facts, in one query (the index on a work order's facts serves it), and
    the counted facts of the `linked` ones (those the batch links or unlinks), in another."""
    orders = sorted(set(order_nos))
    if not orders:
        return Links()
    rows = await session.execute(
        select(ORDER_NO, Fact.data["version"].astext, Fact.type, Fact.event_id).where(
            *_applied_facts_of(orders), Fact.type.in_([LINKED, UNLINKED])
        )
    )
    links = Links()
    for order, version, kind, event_id in rows:
        links.facts.setdefault(order, []).append((int(version), kind, event_id))
    for fact in await _counted_facts(session, sorted(set(linked))):
        links.counted.setdefault(fact.data["order_no"], []).append(fact)
    return links


async def _counted_facts(session: AsyncSession, order_nos: list[str]) -> list[Fact]:
    """The orders' facts that count (not parked, not a link's), oldest first."""
    if not order_nos:
        return []
    rows = await session.execute(
        select(Fact)
        .where(*_applied_facts_of(order_nos), Fact.type.not_in(UNCOUNTED))
        .order_by(Fact.occurred_at, Fact.id)
    )
    return list(rows.scalars().all())


async def units_by_order(session: AsyncSession, order_nos: Iterable[str]) -> dict[str, set[str]]:
    """Every unit each order's facts name (a link moves their counters), in one query."""
    orders = sorted(set(order_nos))
    if not orders:
        return {}
    rows = await session.execute(
        select(ORDER_NO, Fact.unit_code, Fact.data["district_code"].astext).where(
            Fact.type.like("work_order.%"), ORDER_NO.in_(orders)
        )
    )
    found: dict[str, set[str]] = {}
    for order, *codes in rows:
        found.setdefault(order, set()).update(code for code in codes if code)
    return found


def link_effects(
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
    waiting = {*pending, event.id}  # the batch's facts not applied before this one
    for fact in links.counted.get(data.order_no, ()):
        if fact.event_id in waiting:
            continue
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


def apply(
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
    return False, link_effects(links, rules_at, event, data, pending)
