"""先行联系 (issue #26): the platform's `work_order.first_contacted` (`contacted_at`) sets the
order's first contact (the earliest, whatever arrives first); evaluation is told once per order
whether it came within the limit — office default: the signing limit of the order's urgency and
kind, counted from receipt — and the live table shows the 先行联系率."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import OutboxEvent, WorkOrder
from tests.hotline.conftest import Platform, created

HL = "/api/hotline/v1"
T0 = datetime(2026, 6, 1, 1, tzinfo=UTC)  # Monday 1 June 2026, 09:00 in Shanghai


def contact(order_no: str, hours: float, reported: float | None = None) -> dict[str, Any]:
    moment = (T0 + timedelta(hours=hours)).isoformat()
    occurred = moment if reported is None else (T0 + timedelta(hours=reported)).isoformat()
    return {"order_no": order_no, "occurred_at": occurred, "contacted_at": moment}


def order(order_no: str, **extra: Any) -> dict[str, Any]:
    return created(order_no, occurred_at=T0.isoformat(), received_at=T0.isoformat(), **extra)


async def _told(session: AsyncSession, order_no: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(OutboxEvent).where(
            OutboxEvent.type == "work_order.first_contacted",
            OutboxEvent.data["order_no"].astext == order_no,
        )
    )
    return [dict(r.data) for r in rows]


async def _first_contacted_at(session: AsyncSession, order_no: str) -> datetime | None:
    return await session.scalar(
        select(WorkOrder.first_contacted_at)
        .where(WorkOrder.order_no == order_no)
        .execution_options(populate_existing=True)
    )


async def test_the_first_contact_is_the_earliest_and_told_once(
    platform: Platform, units: None, session: AsyncSession
) -> None:
    assert (await platform.send("work_order.created", order("FC1"))).status_code == 200
    # Reported in time (Monday afternoon), then another contact on Wednesday.
    for data in (contact("FC1", 5), contact("FC1", 50)):
        response = await platform.send("work_order.first_contacted", data)
        assert response.json() == {"status": "applied"}
    assert await _first_contacted_at(session, "FC1") == T0 + timedelta(hours=5)
    [told] = await _told(session, "FC1")
    assert told["within_limit"] is True
    assert told["received_on"] == "2026-06-01"

    # An earlier contact reported late still makes the order's first contact earlier.
    response = await platform.send("work_order.first_contacted", contact("FC1", 2, reported=60))
    assert response.status_code == 200
    assert await _first_contacted_at(session, "FC1") == T0 + timedelta(hours=2)
    assert len(await _told(session, "FC1")) == 1  # one per order


async def test_within_limit_is_the_signing_limit_from_receipt(
    platform: Platform, units: None, session: AsyncSession
) -> None:
    # A risk to life or property: 15 minutes (HOTLINE_URGENT_SIGNING_MINUTES).
    sent = [
        await platform.send("work_order.created", order("FC2", urgency="life_property")),
        await platform.send("work_order.first_contacted", contact("FC2", 0.5)),
        # An ordinary complaint: by the end of the next working day (Tuesday 2 June).
        await platform.send("work_order.created", order("FC3")),
        await platform.send("work_order.first_contacted", contact("FC3", 38)),
        await platform.send("work_order.created", order("FC4")),
        await platform.send("work_order.first_contacted", contact("FC4", 40)),
    ]
    assert all(r.status_code == 200 for r in sent), [r.text for r in sent]
    assert [(await _told(session, n))[0]["within_limit"] for n in ("FC2", "FC3", "FC4")] == [
        False,
        True,  # Tuesday 23:00 in Shanghai
        False,  # Wednesday 01:00 in Shanghai
    ]


async def test_a_held_order_tells_its_first_contact_when_released(
    platform: Platform,
    units: None,
    office: dict[str, str],
    hotline_client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    await platform.send("work_order.created", order("FC5", handling_unit_code=None))
    await platform.send("work_order.first_contacted", contact("FC5", 1))
    assert await _told(session, "FC5") == []  # waiting as 待派单: nothing scored
    resolved = await hotline_client.post(
        f"{HL}/quarantine/FC5/resolve", json={"unit_code": "zhengwu"}, headers=office
    )
    assert resolved.status_code == 200, resolved.text
    [told] = await _told(session, "FC5")
    assert told["within_limit"] is True


async def test_a_first_contact_without_its_time_is_a_schema_error(platform: Platform) -> None:
    response = await platform.send(
        "work_order.first_contacted", {"order_no": "FC6", "occurred_at": T0.isoformat()}
    )
    assert response.status_code == 422
    assert ["data", "contacted_at"] in [e["loc"] for e in response.json()["errors"]]


async def test_the_live_table_shows_the_first_contact_rate(
    platform: Platform, units: None, office: dict[str, str], hotline_client: httpx.AsyncClient
) -> None:
    for order_no, hours in (("FR1", 1.0), ("FR2", 60.0), ("FR3", None), ("FR4", 3.0)):
        assert (await platform.send("work_order.created", order(order_no))).status_code == 200
        if hours is not None:
            response = await platform.send("work_order.first_contacted", contact(order_no, hours))
            assert response.status_code == 200
    table = await hotline_client.get(f"{HL}/rates", params={"period": "2026-06"}, headers=office)
    [row] = [r for r in table.json()["items"] if r["unit_code"] == "zhengwu"]
    assert (row["orders"], row["first_contacted_in_time"], row["first_contact_rate"]) == (
        4,
        2,
        0.5,
    )
