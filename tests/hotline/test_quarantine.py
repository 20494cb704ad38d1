"""The quarantine queue: unknown codes, orders without a unit, and events ahead of their
`created` are kept (never dropped), not scored, and replayed once the office resolves them."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import AuditLog, OutboxEvent, Role
from tests.conftest import Factory
from tests.hotline.conftest import Platform, at, created, stored_order

QUEUE = "/api/hotline/v1/quarantine"


async def _told(session: AsyncSession) -> list[tuple[str, str]]:
    rows = await session.scalars(select(OutboxEvent).order_by(OutboxEvent.occurred_at))
    return [(e.type, e.data["order_no"]) for e in rows]


async def test_unknown_unit_waits_until_mapped_and_the_mapping_releases_every_such_order(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    session: AsyncSession,
    units: None,
    office: dict[str, str],
) -> None:
    for order_no in ("GD8", "GD9"):
        response = await platform.send(
            "work_order.created", created(order_no, handling_unit_code="SJ-ZWJ")
        )
        assert response.json() == {"status": "applied"}
    await platform.send("work_order.accepted", at("GD8", 0.5))
    assert (await stored_order(session, "GD8")).quarantine_reason == "未知承办单位“SJ-ZWJ”"
    assert await _told(session) == []  # kept, not scored
    queue = await hotline_client.get(QUEUE, headers=office)
    assert [o["order_no"] for o in queue.json()["items"]] == ["GD8", "GD9"]

    resolved = await hotline_client.post(
        f"{QUEUE}/GD8/resolve", json={"unit_code": "zhengwu"}, headers=office
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["order"]["quarantine_reason"] is None
    assert resolved.json()["order"]["handling_unit_code"] == "zhengwu"
    assert resolved.json()["released"] == ["GD9"]
    assert sorted(await _told(session)) == [
        ("work_order.created", "GD8"),
        ("work_order.created", "GD9"),
        ("work_order.responded", "GD8"),
    ]
    again = await hotline_client.post(
        f"{QUEUE}/GD8/resolve", json={"unit_code": "zhengwu"}, headers=office
    )
    assert again.status_code == 409
    # The platform's code now maps for every later order.
    await platform.send("work_order.created", created("GD11", handling_unit_code="SJ-ZWJ"))
    later = await stored_order(session, "GD11")
    assert (later.handling_unit_code, later.quarantine_reason) == ("zhengwu", None)
    audit = await session.scalar(
        select(AuditLog).where(AuditLog.action == "work_order.quarantine_resolved")
    )
    assert audit is not None
    assert audit.after is not None
    assert audit.after["released"] == ["GD8", "GD9"]


async def test_a_new_category_is_registered_with_its_domain_and_releases_its_orders(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    session: AsyncSession,
    units: None,
    office: dict[str, str],
) -> None:
    await platform.send("work_order.created", created("GC1", category_code="new_cat"))
    await platform.send("work_order.created", created("GC2", category_code="new_cat"))
    assert (await stored_order(session, "GC1")).quarantine_reason == "未知分类“new_cat”"
    staff = await hotline_client.put(
        "/api/hotline/v1/categories/new_cat",
        json={"name": "新增分类", "domain_code": "zhengwu"},
        headers=office,
    )
    assert staff.status_code == 200, staff.text
    assert (await stored_order(session, "GC1")).quarantine_reason is None
    assert (await stored_order(session, "GC2")).quarantine_reason is None
    assert sorted(await _told(session)) == [
        ("work_order.created", "GC1"),
        ("work_order.created", "GC2"),
    ]
    listed = await hotline_client.get("/api/hotline/v1/categories", headers=office)
    assert {"code": "new_cat", "name": "新增分类", "domain_code": "zhengwu"} in listed.json()[
        "items"
    ]


async def test_events_ahead_of_created_wait_then_are_told_in_order(
    platform: Platform, session: AsyncSession, units: None
) -> None:
    await platform.send("work_order.closed", at("GE1", 2))
    await platform.send("work_order.accepted", at("GE1", 1))
    held = await stored_order(session, "GE1")
    assert held.quarantine_reason == "尚未收到工单受理事件（created）"
    assert held.status == "closed"
    assert await _told(session) == []
    await platform.send("work_order.created", created("GE1"))
    assert (await stored_order(session, "GE1")).quarantine_reason is None
    assert await _told(session) == [
        ("work_order.created", "GE1"),
        ("work_order.responded", "GE1"),
        ("work_order.closed", "GE1"),
    ]


async def test_only_the_office_works_the_queue(
    hotline_client: httpx.AsyncClient, factory: Factory, platform: Platform, units: None
) -> None:
    await platform.send("work_order.created", created("GQ1", handling_unit_code="SJ-X"))
    unit = factory.headers("zhengwu", Role.unit, "zhengwu")
    assert (await hotline_client.get(QUEUE, headers=unit)).status_code == 403
    denied = await hotline_client.post(
        f"{QUEUE}/GQ1/resolve", json={"unit_code": "zhengwu"}, headers=unit
    )
    assert denied.status_code == 403
    office = factory.headers("office", Role.office_admin, None)
    unknown = await hotline_client.post(
        f"{QUEUE}/GQ1/resolve", json={"unit_code": "nope"}, headers=office
    )
    assert unknown.status_code == 422
    empty = await hotline_client.post(f"{QUEUE}/GQ1/resolve", json={}, headers=office)
    assert empty.status_code == 422
    missing = await hotline_client.post(
        f"{QUEUE}/NOPE/resolve", json={"unit_code": "zhengwu"}, headers=office
    )
    assert missing.status_code == 404


async def test_an_order_told_then_held_by_a_reassignment_is_not_told_twice_on_release(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    session: AsyncSession,
    units: None,
    office: dict[str, str],
) -> None:
    await platform.send("work_order.created", created("GD20"))
    await platform.send("work_order.accepted", at("GD20", 0.5))
    told = sorted(await _told(session))
    assert told == [("work_order.created", "GD20"), ("work_order.responded", "GD20")]
    # The platform passes the order to a unit code nobody has mapped yet: held again.
    due = at("GD20", 6)["occurred_at"]
    assigned = at("GD20", 1) | {"handling_unit_code": "SJ-NEW", "due_at": due}
    await platform.send("work_order.assigned", assigned)
    assert (await stored_order(session, "GD20")).quarantine_reason == "未知承办单位“SJ-NEW”"
    resolved = await hotline_client.post(
        f"{QUEUE}/GD20/resolve", json={"unit_code": "zhengwu"}, headers=office
    )
    assert resolved.status_code == 200, resolved.text
    # Released: its events are told again, but an event already told keeps its outbox id, so
    # evaluation (which keys facts by event id) counts each once.
    assert sorted(await _told(session)) == told


async def test_an_order_sent_without_its_codes_is_kept_until_dispatched_and_classified(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    session: AsyncSession,
    units: None,
    office: dict[str, str],
) -> None:
    """Issue #26: a platform that does not know the handling unit, district or category at
    intake sends them null, empty or not at all — the order is stored (200), held as 待派单 and
    待分类, not scored; the platform's `assigned` dispatches it, the office classifies it with a
    known category, and it is released and told with all its events."""
    data = created("NC1", handling_unit_code=None, district_code="", extra_field={"x": 1})
    del data["category_code"]
    sent = await platform.send("work_order.created", data)
    assert sent.status_code == 200, sent.text
    held = await stored_order(session, "NC1")
    assert held.quarantine_reason == "待派单（尚无承办单位）；待分类（尚无诉求分类）"
    assert (held.district_code, held.category_code) == (None, None)
    assert await _told(session) == []

    await platform.send("work_order.assigned", {**at("NC1", 0.1), "handling_unit_code": "zhengwu"})
    assert (await stored_order(session, "NC1")).quarantine_reason == "待分类（尚无诉求分类）"
    unknown = await hotline_client.post(
        f"{QUEUE}/NC1/resolve", json={"category_code": "no_such"}, headers=office
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "category_code"]
    resolved = await hotline_client.post(
        f"{QUEUE}/NC1/resolve", json={"category_code": "qy_kaiban"}, headers=office
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["order"]["quarantine_reason"] is None
    order = await stored_order(session, "NC1")
    assert (order.handling_unit_code, order.category_code) == ("zhengwu", "qy_kaiban")
    assert await _told(session) == [("work_order.created", "NC1")]
    told = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "work_order.created"))
    assert told is not None
    assert (told.unit_code, told.data["category_code"]) == ("zhengwu", "qy_kaiban")
    again = await hotline_client.post(
        f"{QUEUE}/NC1/resolve", json={"category_code": "qy_kaiban"}, headers=office
    )
    assert again.status_code == 409
    audit = await session.scalar(
        select(AuditLog).where(
            AuditLog.action == "work_order.quarantine_resolved", AuditLog.entity_id == "NC1"
        )
    )
    assert audit is not None
    assert audit.after["category_code"] == "qy_kaiban"


async def test_the_platform_may_classify_an_order_itself(
    platform: Platform, session: AsyncSession, units: None
) -> None:
    data = created("NC2", category_code=None)
    assert (await platform.send("work_order.created", data)).status_code == 200
    assert (await stored_order(session, "NC2")).quarantine_reason == "待分类（尚无诉求分类）"
    # Classified at the moment of intake, arriving later: the same state in any order.
    classified = {**at("NC2", 0), "category_code": "qy_kaiban"}
    assert (await platform.send("work_order.categorized", classified)).status_code == 200
    order = await stored_order(session, "NC2")
    assert (order.quarantine_reason, order.category_code) == (None, "qy_kaiban")
