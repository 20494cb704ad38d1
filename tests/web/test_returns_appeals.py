"""退单审核 and 申诉 in the browser (issue #26): the office rejects a unit's return from its review
queue; the unit, on a phone, appeals its order's dissatisfied visit from the order's drawer, with
a file; the office downloads the file and overturns the rating from the appeals list, and the
unit sees the appeal's state."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.conftest import Stack, caller_phone, deliver, login, screenshot

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
UNIT = "wenlv"  # 市文化和旅游局: no other browser test reads its orders


def _order(stack: Stack, steps: list[tuple[str, dict[str, Any]]]) -> str:
    now = datetime.now(UTC)
    order_no = f"YLR{now:%Y%m%d}{uuid.uuid4().hex[:8].upper()}"
    at = now - timedelta(hours=3)
    created = {
        "channel": "phone",
        "kind": "complaint",
        "title": "景区经营许可办理进度咨询",
        "content": "某旅游公司反映景区经营许可办理进度不明。",
        "received_at": at.isoformat(),
        "district_code": "baihexian",
        "category_code": "qy_kaiban",
        "handling_unit_code": UNIT,
        "contact_name": "赵小兰",
        "contact_phone": caller_phone(),
    }
    for step, (event_type, data) in enumerate([("work_order.created", created), *steps]):
        moment = (at + timedelta(minutes=10 * step)).isoformat()
        sent = deliver(stack, event_type, {"order_no": order_no, "occurred_at": moment, **data})
        assert sent.status_code == 200, sent.text
    return order_no


def test_the_office_rejects_a_return_and_overturns_an_appealed_rating(
    page: Page, phone: BrowserContext, stack: Stack
) -> None:
    returned = _order(stack, [("work_order.returned", {"reason": "非本单位职责，请改派"})])
    visited = _order(
        stack,
        [
            ("work_order.accepted", {}),
            ("work_order.closed", {}),
            ("work_order.visited", {"resolved": False, "satisfaction": "dissatisfied"}),
        ],
    )

    login(page, "office")
    page.goto("/hotline?tab=returns")
    card = page.get_by_test_id("return-card").filter(has_text=returned)
    expect(card).to_contain_text("非本单位职责，请改派")
    card.get_by_test_id("return-reject").click()
    page.get_by_test_id("return-reason").fill("属于本单位职责，请继续办理")
    page.get_by_test_id("return-decide").click()
    expect(page.get_by_test_id("return-card").filter(has_text=returned)).to_have_count(0)
    expect(page.get_by_test_id("returns-summary")).to_contain_text("驳回")

    unit = phone.new_page()
    login(unit, UNIT)
    unit.goto(f"/hotline?order={visited}")
    unit.get_by_test_id("appeal-open").click()
    unit.get_by_test_id("appeal-reason").fill("已按政策答复，诉求超出政策范围")
    unit.get_by_test_id("appeal-evidence").fill("通话录音 20260602-118")
    unit.get_by_test_id("evidence-input").set_input_files(
        {"name": "通话记录.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    expect(unit.get_by_test_id("evidence-file")).to_contain_text("通话记录.pdf")
    unit.get_by_test_id("appeal-submit").click()
    expect(unit.get_by_test_id("order-appeal")).to_contain_text("申诉待复核")
    screenshot(unit, "phone-appeal")
    # Nothing on the phone scrolls sideways.
    assert unit.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.goto("/hotline?tab=appeals")
    appeal = page.get_by_test_id("appeal-card").filter(has_text=visited)
    expect(appeal).to_contain_text("待复核")
    with page.expect_download() as got:
        appeal.get_by_test_id("appeal-file").get_by_role("button", name="通话记录.pdf").click()
    assert got.value.suggested_filename == "通话记录.pdf"
    assert Path(got.value.path()).read_bytes() == PDF
    appeal.get_by_test_id("appeal-overturn").click()
    page.get_by_test_id("appeal-decision-reason").fill("单位已依法答复")
    page.get_by_test_id("appeal-decide").click()
    expect(page.get_by_test_id("appeal-card").filter(has_text=visited)).to_contain_text("已改判")

    unit.goto("/hotline?tab=appeals")
    mine = unit.get_by_test_id("appeal-card").filter(has_text=visited)
    expect(mine).to_contain_text("已改判")
    expect(mine).to_contain_text("单位已依法答复")
