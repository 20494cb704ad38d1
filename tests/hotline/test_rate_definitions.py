"""One definition per hotline rate (issue #19, fix 3; shared/hotline_rates.py).

hotline_ingest's live table reads each order's state (`order_counts`); evaluation adds up the
facts the hotline told it (`fact_counters`), which the score and the monthly reports read. For
any order histories — urgent or not; signed in time, late, after the sweep told the limit
passed, or never; closed on time, late, after the sweep told it overdue, or never; visited or
not; with or without a due time from the platform — arriving in any order, with the sweeps run
at any moment between them, the two give the same counts."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from shared import clock, hotline_rates
from shared.appeals import URGENCIES
from shared.events import WorkOrderFacts, parse_data
from shared.models import OutboxEvent, Role, UnitKind
from tests.conftest import Factory
from tests.hotline.conftest import Platform, created

START = datetime(2026, 6, 1, 1, tzinfo=UTC)  # Monday 1 June 2026, 09:00 in Shanghai
END = START + timedelta(days=40)
SHOWN = (  # what the table shows of each count
    "orders",
    "responded_in_time",
    "response_due",
    "visited",
    "resolved",
    "satisfied",
    "closed",
    "closed_on_time",
    "closing_due",
    "overdue",
)
_units = itertools.count(1)

hours = st.floats(min_value=0.05, max_value=400, allow_nan=False)
history = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["consult", "complaint", "help", "suggestion", "report"]),
        "urgency": st.sampled_from(["normal", *URGENCIES]),
        "received": st.floats(min_value=0, max_value=200, allow_nan=False),  # hours after START
        "due": st.one_of(st.none(), st.floats(min_value=4, max_value=300, allow_nan=False)),
        "accepted": st.one_of(st.none(), hours),
        "closed": st.one_of(st.none(), hours),
        "visit": st.one_of(
            st.none(),
            st.tuples(
                st.booleans(),
                st.sampled_from(["satisfied", "basically_satisfied", "dissatisfied"]),
            ),
        ),
    }
)


def _deliveries(order_no: str, unit: str, h: dict[str, Any]) -> list[tuple[datetime, str, dict]]:
    """(moment, type, data) of one order's events as the platform pushes them."""
    received = START + timedelta(hours=h["received"])
    due = None if h["due"] is None else received + timedelta(hours=h["due"])
    data = created(
        order_no,
        kind=h["kind"],
        urgency=h["urgency"],
        occurred_at=received.isoformat(),
        received_at=received.isoformat(),
        handling_unit_code=unit,
        due_at=due.isoformat() if due else None,
    )
    if due is None:
        del data["due_at"]  # the platform sent none: the closing limit applies
    found: list[tuple[datetime, str, dict]] = [(received, "work_order.created", data)]
    moment = received
    if h["accepted"] is not None:
        moment += timedelta(hours=h["accepted"])
        found.append((moment, "work_order.accepted", {}))
    if h["closed"] is not None:
        moment += timedelta(hours=h["closed"])
        found.append((moment, "work_order.closed", {}))
        if h["visit"] is not None:
            moment += timedelta(hours=24)
            resolved, satisfaction = h["visit"]
            found.append(
                (moment, "work_order.visited", {"resolved": resolved, "satisfaction": satisfaction})
            )
    return [
        (at, kind, {"order_no": order_no, "occurred_at": at.isoformat(), **extra})
        for at, kind, extra in found
        if at < END
    ]


async def _sweep(client: httpx.AsyncClient, office: dict[str, str], at: datetime) -> None:
    clock.freeze(at)
    try:
        for sweep in ("response-expiry", "overdue"):
            response = await client.post(f"/api/hotline/v1/sweeps/{sweep}", headers=office)
            assert response.status_code == 200, response.text
    finally:
        clock.freeze(None)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    histories=st.lists(history, min_size=1, max_size=8),
    sweeps=st.lists(st.floats(min_value=0, max_value=39 * 24, allow_nan=False), max_size=3),
    seed=st.integers(0, 2**16),
)
async def test_the_live_table_equals_what_evaluation_was_told(
    histories: list[dict[str, Any]],
    sweeps: list[float],
    seed: int,
    platform: Platform,
    hotline_client: httpx.AsyncClient,
    factory: Factory,
    connection: AsyncConnection,
    session: AsyncSession,
) -> None:
    savepoint = await connection.begin_nested()
    try:
        unit = f"rate{next(_units)}"
        await factory.unit(unit)
        await factory.unit("yunzhongqu", UnitKind.district)
        office = factory.headers("office", Role.office_admin, "gaigeban")
        deliveries = [
            d for n, h in enumerate(histories) for d in _deliveries(f"{unit.upper()}-{n}", unit, h)
        ]
        # The sweeps run at their moments; each delivery arrives after its moment, in any order
        # among those that arrive between two sweeps (the platform retries, reorders).
        moments = [*sorted(START + timedelta(hours=s) for s in sweeps), END]
        rng = random.Random(seed)
        for sweep_at in moments:
            due = [d for d in deliveries if d[0] <= sweep_at]
            deliveries = [d for d in deliveries if d[0] > sweep_at]
            rng.shuffle(due)
            for _at, event_type, data in due:
                sent = await platform.send(event_type, data)
                assert sent.status_code == 200, sent.text
            await _sweep(hotline_client, office, sweep_at)

        clock.freeze(END)
        try:
            table = await hotline_client.get(
                "/api/hotline/v1/rates", params={"period": "2026"}, headers=office
            )
        finally:
            clock.freeze(None)
        [row] = [r for r in table.json()["items"] if r["unit_code"] == unit]
        told = (
            await session.scalars(
                select(OutboxEvent).where(
                    OutboxEvent.unit_code == unit, OutboxEvent.type.like("work_order.%")
                )
            )
        ).all()
        facts = [parse_data(e.type, e.data) for e in told]
        counted = hotline_rates.add_up(
            dict.fromkeys(hotline_rates.fact_counters(f), 1)
            for f in facts
            if isinstance(f, WorkOrderFacts)
        )
        assert {k: row[k] for k in SHOWN} == {k: counted[k] for k in SHOWN}
        assert {str(f.received_on) for f in facts} <= {
            (START + timedelta(hours=h["received"] + 8)).date().isoformat() for h in histories
        }
    finally:
        await session.rollback()
        await savepoint.rollback()
