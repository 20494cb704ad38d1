"""The demo 12345 platform (`python -m shared.demo.hotline send`): its signed deliveries —
duplicates and out-of-order events included — all arrive, give one work order per demo order,
and sending them again changes nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.demo.hotline import deliveries, register_categories
from shared.demo.loader import read_json
from shared.models import Unit, UnitKind, WorkOrder
from shared.settings import Settings
from tests.hotline.conftest import Platform


async def test_demo_deliveries_arrive_once_each(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    session: AsyncSession,
    settings: Settings,
) -> None:
    for unit in read_json("units.json")["units"]:
        session.add(
            Unit(
                code=unit["code"],
                name=unit["name"],
                short_name=unit["short_name"],
                kind=UnitKind(unit["kind"]),
            )
        )
    await session.flush()
    assert await register_categories(hotline_client, settings) > 0
    assert await register_categories(hotline_client, settings) == 0
    planned = deliveries(40, seed=7, now=datetime(2026, 11, 1, tzinfo=UTC))
    assert len({webhook_id for webhook_id, _ in planned}) < len(planned)  # some sent twice
    for _ in range(2):
        for webhook_id, body in planned:
            response = await hotline_client.post(
                "/api/hotline/v1/webhooks/12345",
                content=body.encode(),
                headers=platform.headers(body, webhook_id=webhook_id),
            )
            assert response.status_code == 200, response.text
    total = await session.scalar(select(func.count()).select_from(WorkOrder))
    assert total == 40
    held = (
        await session.scalars(
            select(WorkOrder.quarantine_reason).where(WorkOrder.quarantine_reason.is_not(None))
        )
    ).all()
    assert all("SJ-RSJ-02" in reason for reason in held)  # only the deliberate unknown code


def test_the_demo_years_orders_are_a_plausible_city_year() -> None:
    """Issue #19 (a believable demo year): most orders signed in hours, the caller contacted
    first, and closed by their due time; some late, a few never signed — within ranges, not
    merely above zero."""
    from datetime import timedelta

    from shared.demo.hotline import Demo, order_events

    demo = Demo.load()
    rng = random.Random(2026)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    closed = on_time = signed = contacted = orders = 0
    for number in range(2000):
        events = dict(order_events(demo, rng, number, now))
        created = events["work_order.created"]
        if datetime.fromisoformat(created["received_at"]) > now - timedelta(days=30):
            continue  # still running
        orders += 1
        signed += "work_order.accepted" in events
        contacted += "work_order.first_contacted" in events
        due = datetime.fromisoformat(
            events.get("work_order.extended", {}).get("new_due_at")
            or events.get("work_order.assigned", created)["due_at"]
        )
        if "work_order.closed" in events:
            closed += 1
            on_time += datetime.fromisoformat(events["work_order.closed"]["occurred_at"]) <= due
    assert orders > 1500
    assert 0.95 <= signed / orders <= 0.99
    assert 0.80 <= contacted / orders <= 0.92  # 先行联系 (issue #26): most, not all
    assert 0.85 <= closed / orders <= 0.95
    assert 0.80 <= on_time / closed <= 0.95
