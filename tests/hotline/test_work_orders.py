"""Work orders as the office and the handling units read them: scoped by unit, filtered, with
their full history, overdue flagged, exported to xlsx; personal data masked everywhere a
contact appears, revealed only to an office admin with an audited reason."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import httpx
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import AuditLog, Role, WorkOrder
from tests.conftest import Factory
from tests.hotline.conftest import Platform, at, created

ORDERS = "/api/hotline/v1/work-orders"
PHONE, MASKED_PHONE = "13812345678", "138****5678"


async def _seed(platform: Platform) -> None:
    await platform.send(
        "work_order.created",
        created(
            "W1",
            content=f"回电{PHONE}，身份证530102199001011234。",
            kind="complaint",
            contact_phone=PHONE,
        ),
    )
    await platform.send("work_order.created", created("W2", kind="consult", channel="web"))
    await platform.send("work_order.closed", at("W2", 0.5))
    await platform.send(
        "work_order.created", created("W3", handling_unit_code="shuiwu", category_code="shuifei")
    )
    await platform.send(
        "work_order.visited", {**at("W3", 3), "satisfaction": "satisfied", "resolved": True}
    )


async def test_lists_filter_and_units_see_only_their_orders(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    units: None,
    office: dict[str, str],
) -> None:
    await _seed(platform)

    async def numbers(params: dict[str, str], headers: dict[str, str] = office) -> list[str]:
        response = await hotline_client.get(ORDERS, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return sorted(o["order_no"] for o in response.json()["items"])

    assert await numbers({}) == ["W1", "W2", "W3"]
    assert await numbers({"unit": "shuiwu"}) == ["W3"]
    assert await numbers({"kind": "consult"}) == ["W2"]
    assert await numbers({"status": "closed"}) == ["W2"]
    assert await numbers({"channel": "web"}) == ["W2"]
    assert await numbers({"domain": "nashui"}) == ["W3"]
    assert await numbers({"district": "yunzhongqu", "q": "W1"}) == ["W1"]
    assert await numbers({"received_from": "2026-06-02"}) == []
    zhengwu = factory.headers("zhengwu", Role.unit, "zhengwu")
    assert await numbers({}, zhengwu) == ["W1", "W2"]
    assert await numbers({"unit": "shuiwu"}, zhengwu) == []
    other = await hotline_client.get(f"{ORDERS}/W3", headers=zhengwu)
    assert other.status_code == 404
    viewer = factory.headers("viewer", Role.viewer, None)
    assert await numbers({}, viewer) == ["W1", "W2", "W3"]


async def test_detail_has_the_full_history_and_the_overdue_flag(
    hotline_client: httpx.AsyncClient, platform: Platform, units: None, office: dict[str, str]
) -> None:
    await _seed(platform)
    await platform.send("work_order.accepted", at("W1", 0.2))
    clock.freeze(datetime(2026, 6, 20, tzinfo=UTC))  # W1 was due on 6 June and is still open
    try:
        detail = await hotline_client.get(f"{ORDERS}/W1", headers=office)
        overdue = await hotline_client.get(ORDERS, params={"overdue": "true"}, headers=office)
    finally:
        clock.freeze(None)
    body = detail.json()
    assert [e["type"] for e in body["events"]] == ["work_order.created", "work_order.accepted"]
    assert {e["source"] for e in body["events"]} == {"webhook"}
    assert body["status"] == "accepted"
    assert body["overdue"] is True
    assert [o["order_no"] for o in overdue.json()["items"]] == ["W1"]  # W2 closed, W3 visited


async def test_personal_data_is_masked_in_every_list_detail_and_export(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    session: AsyncSession,
    units: None,
    office: dict[str, str],
) -> None:
    await _seed(platform)
    order = await session.scalar(select(WorkOrder).where(WorkOrder.order_no == "W1"))
    assert order is not None
    assert order.contact_name_enc is not None
    assert "张三明".encode() not in order.contact_name_enc  # encrypted at rest
    clock.freeze(datetime(2026, 6, 10, tzinfo=UTC))  # Open311 shows the last 90 days only
    try:
        responses = [
            await hotline_client.get(ORDERS, headers=office),
            await hotline_client.get(f"{ORDERS}/W1", headers=office),
            await hotline_client.get("/api/hotline/v1/reviews", headers=office),
            await hotline_client.get("/api/hotline/open311/v2/requests/W1.json"),
        ]
    finally:
        clock.freeze(None)
    for response in responses:
        assert response.status_code == 200, response.text
        assert PHONE not in response.text, response.url
        assert "张三明" not in response.text, response.url
        assert "530102199001011234" not in response.text
    item = next(o for o in responses[0].json()["items"] if o["order_no"] == "W1")
    assert (item["contact_name"], item["contact_phone"]) == ("张**", MASKED_PHONE)
    assert MASKED_PHONE in responses[1].json()["content"]
    export = await hotline_client.get(f"{ORDERS}/export.xlsx", headers=office)
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "张**" in cells
    assert MASKED_PHONE in cells
    assert not any(PHONE in c or "张三明" in c for c in cells)
    assert sheet.cell(1, 1).value == "工单号"
    assert sheet.max_row == 4


async def test_only_an_office_admin_reveals_a_contact_and_it_is_audited(
    hotline_client: httpx.AsyncClient,
    platform: Platform,
    factory: Factory,
    session: AsyncSession,
    units: None,
    office: dict[str, str],
) -> None:
    await _seed(platform)
    reason = {"reason": "回访核实诉求"}
    for role, unit in ((Role.office_staff, "gaigeban"), (Role.unit, "zhengwu")):
        denied = await hotline_client.post(
            f"{ORDERS}/W1/reveal-contact", json=reason, headers=factory.headers("u", role, unit)
        )
        assert denied.status_code == 403
    no_reason = await hotline_client.post(f"{ORDERS}/W1/reveal-contact", json={}, headers=office)
    assert no_reason.status_code == 422
    revealed = await hotline_client.post(f"{ORDERS}/W1/reveal-contact", json=reason, headers=office)
    assert revealed.json() == {"order_no": "W1", "contact_name": "张三明", "contact_phone": PHONE}
    audit = await session.scalar(
        select(AuditLog).where(AuditLog.action == "work_order.contact_revealed")
    )
    assert audit is not None
    assert (audit.entity_id, audit.after) == ("W1", reason)
