"""The 12345 红黑榜 in the browser (issue #26): the office picks a period and a ranking group
and sees the units ranked by their hotline score, the red and black lists marked; what the page
shows is evaluation's board."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, caller_phone, deliver, login

pytestmark = pytest.mark.browser

# Departments the demo platform never hands an order to and no other browser test reads the
# hotline score of: one serves well, one badly.
GOOD, BAD = "shuili", "keji"


def _order(stack: Stack, unit: str, satisfied: bool) -> None:
    now = datetime.now(UTC)
    order_no = f"YLB{now:%Y%m%d}{uuid.uuid4().hex[:8].upper()}"
    at = now - timedelta(hours=3)
    events: list[tuple[str, dict[str, Any]]] = [
        (
            "work_order.created",
            {
                "channel": "phone",
                "kind": "complaint",
                "title": "水利工程审批材料反复补正",
                "content": "某公司反映审批材料被要求反复补正。",
                "received_at": at.isoformat(),
                "district_code": "baihexian",
                "category_code": "qy_kaiban",
                "handling_unit_code": unit,
                # Like every order (other tests read the newest order's masked contact).
                "contact_name": "赵小兰",
                "contact_phone": caller_phone(),
            },
        ),
        ("work_order.accepted", {}),
        ("work_order.closed", {}),
        (
            "work_order.visited",
            {
                "resolved": satisfied,
                "satisfaction": "satisfied" if satisfied else "dissatisfied",
            },
        ),
    ]
    for step, (event_type, data) in enumerate(events):
        moment = (at + timedelta(minutes=10 * step)).isoformat()
        sent = deliver(stack, event_type, {"order_no": order_no, "occurred_at": moment, **data})
        assert sent.status_code in (200, 202, 204), sent.text


def _board(stack: Stack) -> dict[str, Any]:
    """Evaluation's board for the year, once the orders' facts have reached it (the demo year's
    events may still be relaying ahead of them on a busy machine: up to a minute and a half)."""
    with stack.client("office") as api:
        for _ in range(450):
            board: dict[str, Any] = api.get(
                "/api/evaluation/v1/rankings/hotline",
                params={"programme": "2026", "period": "2026", "group": "department"},
            ).json()
            visited = {i["unit_code"] for i in board["items"] if i["satisfaction_rate"] is not None}
            if {GOOD, BAD} <= visited:
                return board
            time.sleep(0.2)
    raise AssertionError("the orders' facts did not reach evaluation")


def test_the_office_reads_the_hotline_red_and_black_lists(page: Page, stack: Stack) -> None:
    _order(stack, GOOD, satisfied=True)
    _order(stack, BAD, satisfied=False)
    board = _board(stack)
    rows_by_unit = {i["unit_code"]: i for i in board["items"]}
    assert rows_by_unit[GOOD]["score"] == 100
    assert rows_by_unit[BAD]["score"] < 100

    login(page, "office")
    page.get_by_test_id("menu-hotline").click()
    page.get_by_role("tab", name="红黑榜").click()
    period = page.get_by_role("textbox", name="月份")
    period.fill("2026")
    period.press("Enter")
    page.locator(".el-radio-button", has_text="市直部门").click()
    # Other units' rows come and go as the stack's demo orders arrive; these two are fixed.
    rows = page.get_by_test_id("hotline-board").locator("tbody tr")
    good, bad = rows_by_unit[GOOD], rows_by_unit[BAD]
    good_row = rows.filter(has_text=good["unit_name"])
    expect(good_row).to_contain_text(f"{good['score']:.2f}%")
    expect(good_row).to_contain_text("红榜")  # every rate full: ranked first, with any ties
    bad_row = rows.filter(has_text=bad["unit_name"])
    expect(bad_row).to_contain_text(f"{bad['score']:.2f}%")
    expect(bad_row).not_to_contain_text("红榜")
