"""The office's and lead units' forms: a rating sheet in an open window (with the service's
validation message shown), and the rule set editor naming the failing path."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, login, screenshot

pytestmark = pytest.mark.browser

RATER = "zhengwu"


def test_lead_unit_rates_its_responsible_units_in_the_open_window(page: Page, stack: Stack) -> None:
    today = date.today()
    code = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    with stack.client("office") as api:
        opened = api.post(
            "/api/tasks/v1/rating-windows",
            json={
                "code": code,
                "name": "浏览器测试评价窗口",
                "opens_on": (today - timedelta(days=1)).isoformat(),
                "closes_on": (today + timedelta(days=14)).isoformat(),
                "scale_max": 100,
            },
        )
    assert opened.status_code == 201, opened.text

    login(page, RATER)
    page.get_by_test_id("menu-ratings").click()
    expect(page.get_by_test_id("rating-window")).to_contain_text("浏览器测试评价窗口")
    sheet = page.get_by_test_id("rating-sheet").locator("tbody tr")
    expect(sheet.first).to_be_visible()
    row = sheet.first
    rated = row.locator("td").nth(2).inner_text()
    score = page.get_by_label(f"{rated}评分").first

    # A low score without a reason: the service's own message, in Chinese.
    score.fill("40")
    score.press("Tab")
    row.get_by_test_id("rating-save").click()
    expect(page.get_by_role("alert").filter(has_text="必须填写理由")).to_be_visible()

    page.get_by_label(f"{rated}评分理由").first.fill("节点多次滞后，材料报送不及时")
    row.get_by_test_id("rating-save").click()
    expect(page.get_by_text(f"已保存：{rated} 40 分")).to_be_visible()
    expect(row.get_by_test_id("rating-save")).to_have_text("修改")
    screenshot(page, "ratings")

    with stack.client("office") as api:
        given = api.get("/api/tasks/v1/ratings", params={"window": code}).json()["items"]
    assert [(r["rated_unit_name"], r["score"]) for r in given] == [(rated, 40)]


def test_rule_set_editor_shows_the_failing_path(page: Page, stack: Stack) -> None:
    login(page, "office")
    page.goto("/admin?tab=rule-sets")
    page.get_by_test_id("rule-sets").locator("tbody tr").first.click()
    page.get_by_test_id("rule-set-copy").click()
    body = page.get_by_test_id("rule-set-body")
    text = body.input_value()
    assert '"top_n": 5' in text
    body.fill(text.replace('"top_n": 5', '"top_n": 0'))
    page.get_by_test_id("rule-set-save").click()
    expect(page.get_by_test_id("rule-set-error")).to_contain_text("top_n")
    expect(page.get_by_test_id("rule-set-errors").locator("tbody tr").first).to_contain_text(
        "top_n"
    )

    # Not JSON at all: said before anything is sent.
    body.fill("{")
    page.get_by_test_id("rule-set-save").click()
    expect(page.get_by_test_id("rule-set-error")).to_contain_text("JSON 格式错误")
    with stack.client("office") as api:
        versions = api.get("/api/evaluation/v1/rule-sets").json()["items"]
    assert [v["status"] for v in versions] == ["published"]


def test_office_merges_a_unit_after_a_preview_of_what_moves(page: Page, stack: Stack) -> None:
    """机构改革 in the unit directory: 合并到… previews the open items (here the old unit's
    account), then merges on confirmation; the old unit shows where it went."""
    suffix = uuid.uuid4().hex[:6]
    old, new = f"jg_old_{suffix}", f"jg_new_{suffix}"
    with stack.client("office") as api:
        for code, name in ((old, f"浏览器测试旧局{suffix}"), (new, f"浏览器测试新局{suffix}")):
            created = api.post(
                "/api/tasks/v1/units",
                json={"code": code, "name": name, "short_name": f"简{name}", "kind": "department"},
            )
            assert created.status_code == 201, created.text
        account = api.post(
            "/api/tasks/v1/users",
            json={
                "username": f"ly{suffix}",
                "display_name": "旧局联络员",
                "role": "unit",
                "unit_code": old,
                "password": "Qz7!browser-merge-2026",
            },
        )
        assert account.status_code == 201, account.text

    login(page, "office")
    page.goto("/admin?tab=units")
    search = page.get_by_label("搜索单位")
    search.fill(suffix)
    search.press("Enter")
    page.get_by_test_id(f"merge-{old}").click()
    page.get_by_test_id("reorganise-into").click()
    page.get_by_role("option", name=f"浏览器测试新局{suffix}（{new}）").click()
    page.get_by_test_id("reorganise-preview-button").click()
    preview = page.get_by_test_id("reorganise-preview")
    expect(preview).to_contain_text("预览：账号 1 项")
    expect(page.get_by_test_id("reorganise-items")).to_contain_text(
        f"账号 ly{suffix}（旧局联络员）"
    )
    expect(preview).to_contain_text(
        f"“浏览器测试旧局{suffix}、简浏览器测试旧局{suffix}”成为存续单位的别名"
    )

    page.get_by_test_id("reorganise-confirm").click()
    page.locator(".el-message-box").get_by_role("button", name="确认合并").click()
    expect(preview).to_contain_text("已完成：账号 1 项")
    page.get_by_role("button", name="关闭", exact=True).click()
    expect(page.get_by_test_id("units")).to_contain_text(f"已并入 浏览器测试新局{suffix}")

    with stack.client("office") as api:
        merged = api.get(f"/api/tasks/v1/units/{old}").json()
        users = api.get("/api/tasks/v1/users", params={"unit": new}).json()["items"]
    assert (merged["is_active"], merged["merged_into"]) == (False, new)
    assert [u["username"] for u in users] == [f"ly{suffix}"]
