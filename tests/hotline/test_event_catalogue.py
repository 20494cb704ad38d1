"""The hotline's events are built in SQL (`hotline.receive`, migration 0010h) and by the overdue
sweep in Python: every one of them must fit the catalogue's model for its type (shared/events.py),
the same model evaluation validates against when it consumes them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.events import EVENTS, parse_data
from shared.models import OutboxEvent, Role
from tests.conftest import Factory
from tests.hotline.conftest import Platform, at, created

KINDS = ("consult", "complaint", "help", "suggestion", "report")


async def test_every_event_the_hotline_writes_fits_the_catalogue(
    platform: Platform,
    units: None,
    factory: Factory,
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    for n, kind in enumerate(KINDS):
        order = f"CAT{n}"
        sent = await platform.send("work_order.created", created(order, kind=kind))
        assert sent.status_code == 200, sent.text
        await platform.send("work_order.accepted", at(order, 0.2 + 2 * n))  # in time, or late
        if n < 3:
            visit = {"satisfaction": ("satisfied", "dissatisfied")[n % 2], "resolved": n == 0}
            await platform.send("work_order.closed", at(order, 5.5))
            await platform.send("work_order.visited", {**at(order, 6), **visit})
    clock.freeze(datetime(2026, 6, 30, 4, tzinfo=ZoneInfo("UTC")))
    try:
        office = factory.headers("office", Role.office_admin, "gaigeban")
        swept = await hotline_client.post("/api/hotline/v1/sweeps/overdue", headers=office)
    finally:
        clock.freeze(None)
    assert swept.json() == {"announced": 2, "remaining": False}

    rows = (await session.scalars(select(OutboxEvent))).all()
    assert {r.type for r in rows} == {
        "work_order.created",
        "work_order.responded",
        "work_order.closed",
        "work_order.visited",
        "work_order.overdue",
    }
    for row in rows:
        assert row.consumer == EVENTS[row.type].consumer
        parse_data(row.type, row.data)  # raises on a missing, renamed, extra or mistyped key
    responded = [parse_data(r.type, r.data) for r in rows if r.type == "work_order.responded"]
    assert {d.within_limit for d in responded} == {True, False}
    assert max(r.occurred_at for r in rows) <= datetime(2026, 6, 30, 4, tzinfo=UTC)
