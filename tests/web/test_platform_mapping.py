"""The office admin writes a platform's field mapping in the browser (issue #26): a mapping
that names a code value we do not have is refused with the reason in Chinese, a valid one is
saved as the next version and shown with its versions; a delivery kept for review is listed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, deliver, login

pytestmark = pytest.mark.browser


def test_the_office_admin_saves_a_platform_mapping_and_sees_the_kept_deliveries(
    page: Page, stack: Stack
) -> None:
    now = datetime.now(UTC).isoformat()
    refused = deliver(stack, "work_order.created", {"order_no": "BADKIND1", "occurred_at": now})
    assert refused.status_code == 422
    code = f"p{uuid.uuid4().hex[:8]}"

    login(page, "office")
    page.get_by_test_id("menu-hotline").click()
    page.get_by_role("tab", name="接入平台").click()
    kept = page.get_by_test_id("rejected-deliveries")
    expect(kept).to_contain_text(refused.request.headers["webhook-id"])
    expect(kept).to_contain_text("格式错误")

    page.get_by_test_id("platform-code").fill(code)
    page.get_by_test_id("platform-code").press("Enter")
    expect(page.get_by_test_id("platform-mapping-state")).to_contain_text("尚无映射")
    editor = page.get_by_test_id("platform-mapping-json")
    editor.fill(json.dumps({"values": {"kind": {"投诉": "grievance"}}}, ensure_ascii=False))
    page.get_by_test_id("platform-mapping-save").click()
    expect(page.get_by_test_id("platform-mapping-errors")).to_contain_text("values.kind.投诉")

    mapping = {
        "event_types": {"GD_SL": "work_order.created"},
        "values": {"kind": {"投诉": "complaint"}},
    }
    editor.fill(json.dumps(mapping, ensure_ascii=False))
    page.get_by_test_id("platform-mapping-save").click()
    expect(page.get_by_text("已保存为第 1 版")).to_be_visible()
    expect(page.get_by_test_id("platform-mapping-state")).to_contain_text("第 1 版生效")
    expect(page.get_by_test_id("platform-mapping-versions")).to_contain_text("第 1 版")
    with stack.client("office") as api:
        saved = api.get(f"/api/hotline/v1/platforms/{code}/mapping").json()
    assert saved["document"]["values"]["kind"] == {"投诉": "complaint"}
