"""The 12345 webhook: every response rule, with the official Standard Webhooks signer producing
the deliveries; nothing lost, nothing counted twice, any arrival order converges."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import AuditLog, Delivery, OutboxEvent, Role, UnitKind, WorkOrder
from tests.conftest import Factory
from tests.hotline.conftest import OLD_SECRET, Platform, at, created

WEBHOOK = "/api/hotline/v1/webhooks/12345"


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _units(factory: Factory) -> None:
    await factory.unit("zhengwu", name="云岭市政务服务管理局")
    await factory.unit("yunzhongqu", UnitKind.district, name="云中区人民政府")


async def test_delivery_creates_work_order_and_tells_evaluation_once(
    platform: Platform, factory: Factory, session: AsyncSession
) -> None:
    await _units(factory)
    first = await platform.send("work_order.created", created("GD001"), webhook_id="msg_1")
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "applied"}
    again = await platform.send("work_order.created", created("GD001"), webhook_id="msg_1")
    assert again.json() == {"status": "duplicate_delivery"}
    new_id = await platform.send("work_order.created", created("GD001"), webhook_id="msg_2")
    assert new_id.json() == {"status": "duplicate_event"}
    order = await session.scalar(select(WorkOrder))
    assert order is not None
    assert (order.status, order.handling_unit_code, order.quarantine_reason) == (
        "created",
        "zhengwu",
        None,
    )
    assert order.contact_phone_enc is not None
    assert b"13812345678" not in order.contact_phone_enc  # encrypted at rest
    events = (await session.scalars(select(OutboxEvent))).all()
    assert [(e.type, e.unit_code, e.data["district_code"]) for e in events] == [
        ("work_order.created", "zhengwu", "yunzhongqu")
    ]
    assert await _count(session, Delivery) == 2


async def test_signature_rules_are_401_and_store_nothing(
    hotline_client: httpx.AsyncClient, platform: Platform, session: AsyncSession
) -> None:
    body = json.dumps(
        {"type": "work_order.accepted", "timestamp": "2026-06-01T00:00:00Z", "data": at("GD9", 1)}
    )
    good = platform.headers(body)
    cases = {
        "missing": {"content-type": "application/json"},
        "wrong signature": {
            **good,
            "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode(),
        },
        "malformed signature": {**good, "webhook-signature": "garbage"},
        "another body": platform.headers(body + " "),
        "too old": platform.headers(body, at=datetime.now(UTC) - timedelta(minutes=6)),
        "too new": platform.headers(body, at=datetime.now(UTC) + timedelta(minutes=6)),
        "unknown secret": Platform(
            hotline_client, "whsec_" + base64.b64encode(b"z" * 32).decode()
        ).headers(body),
        "non-numeric timestamp": {**good, "webhook-timestamp": "yesterday"},
    }
    for name, headers in cases.items():
        response = await hotline_client.post(WEBHOOK, content=body.encode(), headers=headers)
        assert response.status_code == 401, name
        assert response.headers["content-type"] == "application/problem+json", name
    assert await _count(session, Delivery) == 0
    rotated = Platform(hotline_client, OLD_SECRET)
    accepted = await rotated.send("work_order.accepted", at("GD9", 1))
    assert accepted.status_code == 200  # any active secret verifies (rotation)


async def test_body_rules(
    hotline_client: httpx.AsyncClient, platform: Platform, session: AsyncSession
) -> None:
    big = "x" * (256 * 1024 + 1)
    assert (
        await hotline_client.post(WEBHOOK, content=big, headers=platform.headers(big))
    ).status_code == 413
    latin = b"\xff\xfe not utf-8"
    headers = platform.headers("placeholder")
    assert (await hotline_client.post(WEBHOOK, content=latin, headers=headers)).status_code == 400
    not_json = "{not json"
    assert (
        await hotline_client.post(WEBHOOK, content=not_json, headers=platform.headers(not_json))
    ).status_code == 400
    unknown = await platform.send("work_order.teleported", at("GD5", 0))
    assert unknown.json() == {"status": "ignored_type"}
    bad = await platform.send(
        "work_order.created", created("GD6", credit_code="91360100MA35F3WQ1L", kind="chat")
    )
    assert bad.status_code == 422
    fields = {tuple(e["loc"]) for e in bad.json()["errors"]}
    assert fields == {("credit_code",), ("kind",)}
    kept = (await session.scalars(select(Delivery.outcome).order_by(Delivery.id))).all()
    assert kept == ["ignored_type", "rejected_schema"]  # raw deliveries kept for review
    assert await _count(session, WorkOrder) == 0


async def test_any_arrival_order_gives_the_same_work_order(
    platform: Platform, factory: Factory, session: AsyncSession
) -> None:
    await _units(factory)
    sequence = [
        ("work_order.created", created("GD7")),
        ("work_order.accepted", at("GD7", 0.5)),
        ("work_order.replied", {**at("GD7", 2), "reply": "已核实，取消重复提交要求。"}),
        ("work_order.closed", at("GD7", 2.5)),
        ("work_order.visited", {**at("GD7", 3), "satisfaction": "satisfied", "resolved": True}),
    ]
    results = set()
    for number, order in enumerate(itertools.islice(itertools.permutations(sequence), 0, 24, 5)):
        order_no = f"GD7-{number}"
        for event_type, data in order:
            payload = {**data, "order_no": order_no}
            response = await platform.send(event_type, payload)
            assert response.status_code == 200, response.text
        row = await session.scalar(select(WorkOrder).where(WorkOrder.order_no == order_no))
        assert row is not None
        results.add((row.status, row.accepted_at, row.closed_at, row.satisfaction, row.resolved))
    assert results == {
        (
            "visited",
            datetime(2026, 6, 1, 21, tzinfo=UTC),
            datetime(2026, 6, 3, 21, tzinfo=UTC),
            "satisfied",
            True,
        )
    }
    responded = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "work_order.responded"))
    ).all()
    assert len(responded) == 5


async def test_unknown_unit_or_category_waits_in_quarantine_until_mapped_then_replays(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    session: AsyncSession,
    factory: Factory,
) -> None:
    await _units(factory)
    office = factory.headers("office", Role.office_admin, "gaigeban")
    response = await platform.send(
        "work_order.created", created("GD8", handling_unit_code="SJ-ZWJ", category_code="new_cat")
    )
    assert response.json() == {"status": "applied"}
    await platform.send("work_order.accepted", at("GD8", 0.5))
    order = await session.scalar(select(WorkOrder).where(WorkOrder.order_no == "GD8"))
    assert order is not None
    assert order.quarantine_reason == "未知承办单位“SJ-ZWJ”；未知分类“new_cat”"
    assert await _count(session, OutboxEvent) == 0  # kept, not scored
    queue = await hotline_client.get(
        "/api/hotline/v1/work-orders", params={"quarantined": "true"}, headers=office
    )
    assert [o["order_no"] for o in queue.json()["items"]] == ["GD8"]

    half = await hotline_client.post(
        "/api/hotline/v1/quarantine/GD8/resolve", json={"unit_code": "zhengwu"}, headers=office
    )
    assert half.status_code == 200, half.text
    assert half.json()["quarantine_reason"] == "未知分类“new_cat”"
    assert await _count(session, OutboxEvent) == 0
    done = await hotline_client.post(
        "/api/hotline/v1/quarantine/GD8/resolve",
        json={"category": {"name": "新增分类", "domain_code": "zhengwu"}},
        headers=office,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["quarantine_reason"], done.json()["handling_unit_code"]) == (
        None,
        "zhengwu",
    )
    told = (await session.scalars(select(OutboxEvent.type).order_by(OutboxEvent.created_at))).all()
    assert told == ["work_order.created", "work_order.responded"]
    again = await hotline_client.post(
        "/api/hotline/v1/quarantine/GD8/resolve", json={}, headers=office
    )
    assert again.status_code == 409
    # The platform's code now maps for every later order.
    await platform.send("work_order.created", created("GD11", handling_unit_code="SJ-ZWJ"))
    later = await session.scalar(select(WorkOrder).where(WorkOrder.order_no == "GD11"))
    assert later is not None
    assert (later.handling_unit_code, later.quarantine_reason) == ("zhengwu", None)


async def test_contacts_are_masked_and_revealed_only_with_a_reason(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    session: AsyncSession,
) -> None:
    await _units(factory)
    await factory.unit("shuiwu")
    await platform.send("work_order.created", created("GD10"))
    office = factory.headers("office", Role.office_admin, "gaigeban")
    listed = await hotline_client.get("/api/hotline/v1/work-orders", headers=office)
    item = listed.json()["items"][0]
    assert (item["contact_name"], item["contact_phone"]) == ("张**", "138****5678")
    detail = await hotline_client.get("/api/hotline/v1/work-orders/GD10", headers=office)
    assert "13812345678" not in detail.text
    assert [e["type"] for e in detail.json()["events"]] == ["work_order.created"]
    own = await hotline_client.get(
        "/api/hotline/v1/work-orders", headers=factory.headers("zhengwu", Role.unit, "zhengwu")
    )
    assert own.json()["total"] == 1
    other = await hotline_client.get(
        "/api/hotline/v1/work-orders/GD10", headers=factory.headers("shuiwu", Role.unit, "shuiwu")
    )
    assert other.status_code == 404
    staff = await hotline_client.post(
        "/api/hotline/v1/work-orders/GD10/reveal-contact",
        json={"reason": "回访核实诉求"},
        headers=factory.headers("staff", Role.office_staff, "gaigeban"),
    )
    assert staff.status_code == 403
    revealed = await hotline_client.post(
        "/api/hotline/v1/work-orders/GD10/reveal-contact",
        json={"reason": "回访核实诉求"},
        headers=office,
    )
    assert revealed.json()["contact_phone"] == "13812345678"
    audit = await session.scalar(
        select(AuditLog).where(AuditLog.action == "work_order.contact_revealed")
    )
    assert audit is not None
    assert audit.after == {"reason": "回访核实诉求"}
