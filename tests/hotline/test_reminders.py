"""催办 (issue #26): an order past its signing or closing limit is reminded — step 1 to the unit's
liaison, step 2 copied to its leader an interval later — each step once per order and limit,
also with two sweeps at once; units read their own; step 2 is told to evaluation and counted on
the 12345 红黑榜."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.hotline_ingest.reminders import service as reminders
from services.hotline_ingest.webhook.repository import receive_in_session
from services.hotline_ingest.webhook.schemas import Created
from services.hotline_ingest.webhook.service import event_receipt
from shared import clock
from shared.models import OutboxEvent, Role
from shared.settings import Settings
from tests.conftest import Factory
from tests.hotline.conftest import Platform, created, tell_evaluation

SWEEP = "/api/hotline/v1/sweeps/reminders"
REMINDERS = "/api/hotline/v1/reminders"
# Monday 1 June 2026, 09:00 in Shanghai: signing limit (1 working day) ends with Tuesday 2 June,
# i.e. 00:00 Wednesday 3 June in Shanghai (16:00 UTC on the 2nd); due Saturday 6 June 09:00 UTC.
RECEIVED = datetime(2026, 6, 1, 1, tzinfo=UTC)
SIGNING_END = datetime(2026, 6, 2, 16, tzinfo=UTC)
DUE = datetime(2026, 6, 6, 9, tzinfo=UTC)


async def _sweep(client: httpx.AsyncClient, headers: dict[str, str], at: datetime) -> int:
    clock.freeze(at)
    try:
        response = await client.post(SWEEP, headers=headers)
    finally:
        clock.freeze(None)
    assert response.status_code == 200, response.text
    return int(response.json()["announced"])


def _order(order_no: str, **override: Any) -> dict[str, Any]:
    return created(
        order_no,
        occurred_at=RECEIVED.isoformat(),
        received_at=RECEIVED.isoformat(),
        due_at=DUE.isoformat(),
        **override,
    )


async def test_a_late_order_is_reminded_then_copied_to_the_leader_each_step_once(
    platform: Platform,
    units: None,
    hotline_client: httpx.AsyncClient,
    evaluation_client: httpx.AsyncClient,
    office: dict[str, str],
    factory: Factory,
    session: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "oa_webhook_url", "https://oa.example.gov.cn/hooks")
    for order in (
        _order("C1"),
        _order("C2"),  # signed in time: never reminded for signing
        _order("C3", handling_unit_code="shuiwu", category_code="shuifei"),
    ):
        assert (await platform.send("work_order.created", order)).status_code == 200
    signed = {"order_no": "C2", "occurred_at": (RECEIVED + timedelta(hours=2)).isoformat()}
    assert (await platform.send("work_order.accepted", signed)).status_code == 200

    assert await _sweep(hotline_client, office, SIGNING_END - timedelta(minutes=1)) == 0
    assert await _sweep(hotline_client, office, SIGNING_END + timedelta(hours=1)) == 2
    assert await _sweep(hotline_client, office, SIGNING_END + timedelta(hours=2)) == 0
    # 24 hours (office default) after the first: still unsigned, copied to the leaders.
    assert await _sweep(hotline_client, office, SIGNING_END + timedelta(hours=24)) == 0
    assert await _sweep(hotline_client, office, SIGNING_END + timedelta(hours=25)) == 2
    assert await _sweep(hotline_client, office, SIGNING_END + timedelta(hours=30)) == 0
    # C3 signs; then every open order passes its due time: C1 and C2 (closing), not C3's step 2
    # again (its signing steps are done) — C3 is past due too.
    late = {"order_no": "C3", "occurred_at": (SIGNING_END + timedelta(hours=40)).isoformat()}
    assert (await platform.send("work_order.accepted", late)).status_code == 200
    assert await _sweep(hotline_client, office, DUE + timedelta(hours=1)) == 3

    listed = await hotline_client.get(REMINDERS, params={"limit": 50}, headers=office)
    assert listed.status_code == 200, listed.text
    rows = sorted(
        (r["order_no"], r["limit_kind"], r["step"], r["recipient"], r["order_open"])
        for r in listed.json()["items"]
    )
    assert rows == [
        ("C1", "closing", 1, "联络员", True),
        ("C1", "signing", 1, "联络员", True),
        ("C1", "signing", 2, "单位负责人（抄送）", True),
        ("C2", "closing", 1, "联络员", True),
        ("C3", "closing", 1, "联络员", True),
        ("C3", "signing", 1, "联络员", False),
        ("C3", "signing", 2, "单位负责人（抄送）", False),
    ]
    # A unit reads its own (its to-do), not another unit's.
    shuiwu = factory.headers("sw", Role.unit, "shuiwu")
    own = await hotline_client.get(REMINDERS, headers=shuiwu)
    assert {r["order_no"] for r in own.json()["items"]} == {"C3"}
    still = await hotline_client.get(REMINDERS, params={"open": "true"}, headers=shuiwu)
    assert [(r["limit_kind"], r["step"]) for r in still.json()["items"]] == [("closing", 1)]
    one = await hotline_client.get(REMINDERS, params={"order_no": "C1"}, headers=shuiwu)
    assert one.json() == {"items": [], "total": 0}

    told = (
        await session.execute(
            select(OutboxEvent.type, OutboxEvent.consumer, OutboxEvent.data).where(
                OutboxEvent.type.like("reminder.%") | (OutboxEvent.type == "work_order.escalated")
            )
        )
    ).all()
    oa = sorted(t for t, c, _ in told if c == "oa")
    assert oa == ["reminder.hotline_overdue"] * 5 + ["reminder.hotline_overdue_leader"] * 2
    escalated = sorted(
        (d["order_no"], d["limit_kind"]) for t, _, d in told if t == "work_order.escalated"
    )
    assert escalated == [("C1", "signing"), ("C3", "signing")]

    # The 12345 红黑榜 shows each unit's orders whose 催办 reached the leader.
    await tell_evaluation(session, evaluation_client, factory, 1)
    board = await evaluation_client.get(
        "/api/evaluation/v1/rankings/hotline",
        params={"programme": "2026", "period": "2026-06"},
        headers=office,
    )
    assert board.status_code == 200, board.text
    assert {i["unit_code"]: i["escalated"] for i in board.json()["items"]} == {
        "zhengwu": 1,
        "shuiwu": 1,
    }


async def test_an_order_returned_or_in_quarantine_is_not_reminded(
    platform: Platform, units: None, hotline_client: httpx.AsyncClient, office: dict[str, str]
) -> None:
    await platform.send("work_order.created", _order("Q1", handling_unit_code="nobody"))
    await platform.send("work_order.created", _order("Q2"))
    back = {"order_no": "Q2", "occurred_at": (RECEIVED + timedelta(hours=1)).isoformat()}
    await platform.send("work_order.returned", {**back, "reason": "不属于本单位职责"})
    assert await _sweep(hotline_client, office, DUE + timedelta(days=3)) == 0


PREFIX = "RMDCONC"


async def test_two_sweeps_at_once_send_each_step_once(settings: Settings) -> None:
    """Two sweeps (two replicas) at the same moment, each in its own transaction, committed for
    real (cleaned up)."""
    engine = create_async_engine(settings.database_url)
    make = async_sessionmaker(engine, expire_on_commit=False)
    orders = [f"{PREFIX}{n}" for n in range(6)]

    async def clean() -> None:
        async with make() as s, s.begin():
            for table, column in (
                ("hotline.overdue_reminders", "order_no"),
                ("hotline.repeat_links", "order_no"),
                ("hotline.order_callers", "order_no"),
                ("hotline.work_order_events", "order_no"),
                ("hotline.work_orders", "order_no"),
            ):
                await s.execute(text(f"DELETE FROM {table} WHERE {column} LIKE '{PREFIX}%'"))
            await s.execute(
                text(f"DELETE FROM hotline.deliveries WHERE webhook_id LIKE '{PREFIX}%'")
            )
            await s.execute(
                text(f"DELETE FROM platform.outbox WHERE data->>'order_no' LIKE '{PREFIX}%'")
            )
            await s.execute(text("DELETE FROM platform.units WHERE code = 'rmdconc'"))

    try:
        await clean()
        async with make() as s, s.begin():
            await s.execute(
                text(
                    "INSERT INTO platform.units (code, name, short_name, kind)"
                    " VALUES ('rmdconc', '并发催办测试单位', 'rmdconc', 'department')"
                )
            )
            for n, order_no in enumerate(orders):
                data = Created.model_validate(
                    _order(order_no, handling_unit_code="rmdconc", district_code=None,
                           contact_phone=f"1370000{n:04d}")
                )  # fmt: skip
                base = {
                    "webhook_id": f"{PREFIX}-{n}",
                    "source": "webhook",
                    "headers": "{}",
                    "body": "{}",
                    "event_type": "work_order.created",
                }
                await receive_in_session(s, event_receipt(settings, base, data), settings)

        async def one_sweep(at: datetime) -> int:
            async with make() as s, s.begin():
                return (await reminders.sweep(s, settings, at)).announced

        first = SIGNING_END + timedelta(hours=1)
        assert sum(await asyncio.gather(one_sweep(first), one_sweep(first))) == 6
        second = SIGNING_END + timedelta(hours=26)
        assert sum(await asyncio.gather(one_sweep(second), one_sweep(second))) == 6
        async with make() as s:
            steps = (
                await s.execute(
                    text(
                        "SELECT step, count(*) FROM hotline.overdue_reminders"
                        f" WHERE order_no LIKE '{PREFIX}%' GROUP BY step ORDER BY step"
                    )
                )
            ).all()
            escalated = await s.scalar(
                text(
                    "SELECT count(*) FROM platform.outbox WHERE type = 'work_order.escalated'"
                    f" AND data->>'order_no' LIKE '{PREFIX}%'"
                )
            )
        assert [tuple(r) for r in steps] == [(1, 6), (2, 6)]
        assert escalated == 6
    finally:
        await clean()
        await engine.dispose()
