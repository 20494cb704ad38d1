"""Open311 GeoReport v2 for other city systems: the spec's shapes and errors, the 90-day and
1000-row limits, api keys (hashed, scoped, issued and revoked by the office), no citizen's text
in public reads."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import AuditLog, Open311Key, OutboxEvent, Role, WorkOrder
from tests.conftest import Factory
from tests.hotline.conftest import Platform, at, created

BASE = "/api/hotline/open311/v2"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


async def test_services_are_the_hotline_categories(hotline_client: httpx.AsyncClient) -> None:
    response = await hotline_client.get(f"{BASE}/services.json")
    assert response.status_code == 200
    services = {s["service_code"]: s for s in response.json()}
    assert services["qy_kaiban"] == {
        "service_code": "qy_kaiban",
        "service_name": "企业开办",
        "description": "12345热线 · 企业开办",
        "metadata": False,
        "type": "realtime",
        "keywords": "企业开办",
        "group": "shangshi",
    }


async def test_requests_have_the_spec_shape_and_filters(
    hotline_client: httpx.AsyncClient, platform: Platform, units: None
) -> None:
    content = "联系人电话13812345678，反映企业开办被要求重复提交材料。"
    await platform.send("work_order.created", created("OP1", content=content))
    await platform.send("work_order.created", created("OP2", category_code="shuifei"))
    await platform.send("work_order.closed", at("OP2", 1))
    await platform.send("work_order.created", created("OP3", handling_unit_code="SJ-X"))
    clock.freeze(datetime(2026, 6, 10, tzinfo=UTC))
    try:
        everything = await hotline_client.get(f"{BASE}/requests.json")
        open_ = await hotline_client.get(f"{BASE}/requests.json", params={"status": "open"})
        by_code = await hotline_client.get(
            f"{BASE}/requests.json", params={"service_code": "shuifei"}
        )
        old = await hotline_client.get(f"{BASE}/requests.json", params={"end_date": "2026-01-01"})
        one = await hotline_client.get(f"{BASE}/requests/OP2.json")
    finally:
        clock.freeze(None)
    items = {r["service_request_id"]: r for r in everything.json()}
    assert set(items) == {"OP1", "OP2"}  # a quarantined order is not published
    assert set(items["OP1"]) == REQUEST_FIELDS
    assert items["OP1"]["status"] == "open"
    assert items["OP2"]["status"] == "closed"
    assert [r["service_request_id"] for r in open_.json()] == ["OP1"]
    assert [r["service_request_id"] for r in by_code.json()] == ["OP2"]
    assert old.json() == []
    assert [r["service_request_id"] for r in one.json()] == ["OP2"]


async def test_public_reads_carry_no_citizen_text_and_a_read_key_sees_it_masked(
    hotline_client: httpx.AsyncClient, platform: Platform, units: None, office: dict[str, str]
) -> None:
    """Issue #23: anonymous reads show category, status, dates and the district only."""
    content = "张三，电话13812345678，住云中区幸福路88号，反映云岭某某科技有限公司开办被卡。"
    await platform.send(
        "work_order.created",
        created("PUB1", content=content, enterprise_name="云岭某某科技有限公司"),
    )
    await platform.send("work_order.replied", {**at("PUB1", 1), "reply": "已联系张三处理"})
    issued = await hotline_client.post(
        "/api/hotline/v1/open311-keys",
        json={"name": "城市运行管理平台", "scopes": ["read"]},
        headers=office,
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["scopes"] == ["read"]
    reader = issued.json()["api_key"]
    clock.freeze(datetime(2026, 6, 10, tzinfo=UTC))
    try:
        public_list = await hotline_client.get(f"{BASE}/requests.json")
        public_one = await hotline_client.get(f"{BASE}/requests/PUB1.json")
        full = await hotline_client.get(f"{BASE}/requests/PUB1.json", params={"api_key": reader})
        forged = await hotline_client.get(f"{BASE}/requests.json", params={"api_key": "o311_x"})
    finally:
        clock.freeze(None)
    for response in (public_list, public_one):
        assert response.status_code == 200, response.text
        [item] = [r for r in response.json() if r["service_request_id"] == "PUB1"]
        assert item["description"] is None
        assert item["status_notes"] is None
        assert item["agency_responsible"] is None
        assert item["address_id"] == "yunzhongqu"
        for secret in ("张三", "13812345678", "138****5678", "幸福路", "某某科技", "已联系"):
            assert secret not in response.text, secret
    [item] = full.json()
    assert "138****5678" in item["description"]
    assert "13812345678" not in full.text
    assert item["agency_responsible"] == "云岭市政务服务管理局"
    assert forged.status_code == 403


async def test_id_lookups_obey_quarantine_and_the_90_day_window(
    hotline_client: httpx.AsyncClient, platform: Platform, units: None
) -> None:
    await platform.send("work_order.created", created("W1"))
    await platform.send("work_order.created", created("W2", handling_unit_code="SJ-X"))
    clock.freeze(datetime(2026, 6, 10, tzinfo=UTC))
    try:
        recent = await hotline_client.get(f"{BASE}/requests/W1.json")
        quarantined = await hotline_client.get(f"{BASE}/requests/W2.json")
        listed = await hotline_client.get(
            f"{BASE}/requests.json", params={"service_request_id": "W1,W2"}
        )
    finally:
        clock.freeze(None)
    clock.freeze(datetime(2026, 10, 1, tzinfo=UTC))  # four months later
    try:
        aged = await hotline_client.get(f"{BASE}/requests/W1.json")
    finally:
        clock.freeze(None)
    assert recent.status_code == 200
    assert quarantined.status_code == 404
    assert [r["service_request_id"] for r in listed.json()] == ["W1"]
    assert aged.status_code == 404


async def test_errors_are_open311_arrays(hotline_client: httpx.AsyncClient) -> None:
    cases = [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, 400),
        ({"start_date": "yesterday"}, 400),
        ({"status": "pending"}, 400),
        ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, 400),
    ]
    for params, status in cases:
        response = await hotline_client.get(f"{BASE}/requests.json", params=params)
        assert response.status_code == status, params
        [error] = response.json()
        assert set(error) == {"code", "description"}
        assert error["code"] == status
    missing = await hotline_client.get(f"{BASE}/requests/NOPE.json")
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": "service_request_id NOPE not found"}]


async def test_at_most_1000_requests_are_returned(
    hotline_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    session.add_all(
        WorkOrder(order_no=f"BULK{n}", status="created", received_at=moment, category_code=None)
        for n in range(1005)
    )
    await session.flush()
    response = await hotline_client.get(
        f"{BASE}/requests.json", params={"end_date": "2026-06-02T00:00:00Z"}
    )
    assert len(response.json()) == 1000


async def test_posting_a_request_needs_a_key_the_office_issued(
    hotline_client: httpx.AsyncClient,
    factory: Factory,
    session: AsyncSession,
    units: None,
    office: dict[str, str],
) -> None:
    form = {
        "service_code": "qy_kaiban",
        "description": "营业执照变更登记一直显示审核中，电话13912345678。",
        "address_id": "yunzhongqu",
        "last_name": "李",
        "first_name": "四",
        "phone": "13912345678",
    }
    anonymous = await hotline_client.post(f"{BASE}/requests.json", data=form)
    assert anonymous.status_code == 403
    assert anonymous.json() == [{"code": 403, "description": "api_key is missing or not valid"}]
    unit = factory.headers("zhengwu", Role.unit, "zhengwu")
    assert (
        await hotline_client.post("/api/hotline/v1/open311-keys", json={"name": "x"}, headers=unit)
    ).status_code == 403
    issued = await hotline_client.post(
        "/api/hotline/v1/open311-keys", json={"name": "城市运行管理平台"}, headers=office
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()["api_key"]
    stored = await session.scalar(select(Open311Key))
    assert stored is not None
    assert key not in stored.key_hash

    bad = await hotline_client.post(
        f"{BASE}/requests.json", data={**form, "api_key": key, "service_code": "nope"}
    )
    assert bad.status_code == 400
    created_ = await hotline_client.post(f"{BASE}/requests.json", data={**form, "api_key": key})
    assert created_.status_code == 201, created_.text
    [answer] = created_.json()
    order = await session.scalar(
        select(WorkOrder).where(WorkOrder.order_no == answer["service_request_id"])
    )
    assert order is not None
    assert order.quarantine_reason == "待派单（尚无承办单位）"
    assert order.contact_phone_enc is not None
    assert b"13912345678" not in order.contact_phone_enc
    assert await session.scalar(select(OutboxEvent)) is None  # not scored until dispatched

    dispatched = await hotline_client.post(
        f"/api/hotline/v1/quarantine/{order.order_no}/resolve",
        json={"unit_code": "zhengwu"},
        headers=office,
    )
    assert dispatched.status_code == 200, dispatched.text
    assert dispatched.json()["order"]["status"] == "assigned"
    assert dispatched.json()["order"]["handling_unit_code"] == "zhengwu"
    assert (await session.scalar(select(OutboxEvent.type))) == "work_order.created"
    one = await hotline_client.get(f"{BASE}/requests/{order.order_no}.json")
    assert one.json()[0]["status"] == "open"  # dispatched: public now, without its text
    assert one.json()[0]["description"] is None
    reader = await hotline_client.post(
        "/api/hotline/v1/open311-keys", json={"name": "只读", "scopes": ["read"]}, headers=office
    )
    refused = await hotline_client.post(
        f"{BASE}/requests.json", data={**form, "api_key": reader.json()["api_key"]}
    )
    assert refused.status_code == 403  # a read key cannot create
    assert "13912345678" not in one.text

    key_id = issued.json()["id"]
    revoked = await hotline_client.delete(f"/api/hotline/v1/open311-keys/{key_id}", headers=office)
    assert revoked.status_code == 200
    after = await hotline_client.post(f"{BASE}/requests.json", data={**form, "api_key": key})
    assert after.status_code == 403
    actions = set(await session.scalars(select(AuditLog.action)))
    assert {"open311.key_created", "open311.key_revoked"} <= actions
