"""Repeat requests and 催办 in the browser (issue #26): the office sees that an order repeats an
earlier one of the same caller and unlinks it by hand; a unit finds the 催办 of its late order
in its to-do and on the order."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, caller_phone, deliver, login

pytestmark = pytest.mark.browser

UNIT = "yingji"  # 市应急管理局: no other browser test logs in as it or reads its orders


def _created(stack: Stack, order_no: str, phone: str, received: datetime, due: datetime) -> None:
    sent = deliver(
        stack,
        "work_order.created",
        {
            "order_no": order_no,
            "occurred_at": received.isoformat(),
            "channel": "phone",
            "kind": "complaint",
            "title": "统计报表重复填报",
            "content": "某企业反映同一统计报表被要求重复填报。",
            "received_at": received.isoformat(),
            "district_code": "baihexian",
            "category_code": "qy_kaiban",
            "handling_unit_code": UNIT,
            "due_at": due.isoformat(),
            "contact_name": "周小云",
            "contact_phone": phone,
        },
    )
    assert sent.status_code in (200, 202, 204), sent.text


def test_the_office_sees_a_repeat_request_and_unlinks_it(page: Page, stack: Stack) -> None:
    now = datetime.now(UTC)
    first, second = (f"YLR{uuid.uuid4().hex[:10].upper()}" for _ in range(2))
    phone = caller_phone()
    _created(stack, first, phone, now - timedelta(days=2), now + timedelta(days=5))
    _created(stack, second, phone, now - timedelta(hours=3), now + timedelta(days=5))

    login(page, "office")
    page.goto(f"/hotline?order={second}")
    expect(page.get_by_test_id("repeat-of")).to_contain_text(first)
    page.get_by_test_id("repeat-edit").click()
    page.get_by_test_id("repeat-reason").fill("不同诉求事项")
    page.get_by_test_id("repeat-unlink").click()
    expect(page.get_by_test_id("order-repeats")).to_contain_text("改革办已解除关联")
    with stack.client("office") as api:
        order = api.get(f"/api/hotline/v1/work-orders/{second}").json()
    assert (order["repeat_of"], order["repeat_count"]) == (None, 0)


def test_a_unit_finds_the_reminder_of_its_late_order_in_its_to_do_and_inbox(
    page: Page, stack: Stack
) -> None:
    now = datetime.now(UTC)
    order_no = f"YLC{uuid.uuid4().hex[:10].upper()}"
    _created(stack, order_no, caller_phone(), now - timedelta(days=10), now - timedelta(days=1))
    with stack.client("office") as api:
        swept = api.post("/api/hotline/v1/sweeps/reminders")
        assert swept.status_code == 200, swept.text
        mine = api.get("/api/hotline/v1/reminders", params={"order_no": order_no}).json()
    assert {r["limit_kind"] for r in mine["items"]} == {"signing", "closing"}

    login(page, UNIT)
    page.goto("/todo")
    entry = page.locator("#todo-reminders")
    expect(entry).to_contain_text(order_no)
    entry.get_by_test_id("todo-item").filter(has_text=order_no).first.click()
    expect(page).to_have_url(re.compile(rf"/hotline\?tab=reminders&order={order_no}$"))
    cards = page.get_by_role("dialog").get_by_test_id("reminder-card")
    expect(cards).to_have_count(2)

    # The same 催办 in its inbox, with the order a click away.
    page.goto("/inbox")
    inbox = page.get_by_test_id("inbox-reminders")
    expect(inbox.get_by_test_id("inbox-reminder").filter(has_text=order_no)).to_have_count(2)
    inbox.get_by_test_id("inbox-reminder").filter(has_text=order_no).first.get_by_role(
        "button", name="查看工单"
    ).click()
    expect(page).to_have_url(re.compile(rf"/hotline\?tab=reminders&order={order_no}$"))
