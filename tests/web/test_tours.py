"""观摩评分 in the browser (issue #27): the demo's published 年中 round read on a phone by a
district (every district's total and rank, its own points only, no entry grid), and the office
entering a district's points in the grid of an open round on a desktop."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.conftest import Stack, login

pytestmark = pytest.mark.browser

DISTRICT = "lingnanqu"  # reads only; no other browser test signs in as it


def _rounds(stack: Stack) -> list[dict[str, Any]]:
    with stack.client("office") as api:
        items: list[dict[str, Any]] = api.get("/api/tasks/v1/tours").json()["items"]
    return items


def test_a_district_reads_the_published_results_on_a_phone(
    phone: BrowserContext, stack: Stack
) -> None:
    published = next(r for r in _rounds(stack) if r["status"] == "published")
    page = phone.new_page()
    login(page, DISTRICT)
    page.goto(f"/tours/{published['id']}")
    results = page.get_by_test_id("tour-result")
    expect(results.first).to_contain_text("第1名")
    with stack.client("office") as api:
        districts = api.get("/api/tasks/v1/units", params={"limit": 200}).json()["items"]
    expect(results).to_have_count(len([u for u in districts if u["kind"] == "district"]))
    expect(page.get_by_test_id("tour-grid")).to_have_count(0)
    own = next(u for u in districts if u["code"] == DISTRICT)["short_name"]
    # Points per item: its own only.
    expect(results.filter(has_text=own).locator(".points")).to_contain_text("项目质量")
    expect(page.locator(".points")).to_have_count(1)


def test_the_office_enters_a_districts_points_in_the_grid(page: Page, stack: Stack) -> None:
    with stack.client("office") as api:
        created = api.post(
            "/api/tasks/v1/tours", json={"kind": "year_end", "held_on": "2026-12-28"}
        )
        assert created.status_code in (201, 409), created.text
    tour = next(r for r in _rounds(stack) if r["kind"] == "year_end")
    login(page, "office")
    page.goto(f"/tours/{tour['id']}")
    grid = page.get_by_test_id("tour-grid")
    expect(grid).to_be_visible()
    cell = page.get_by_test_id(f"tour-cell-{DISTRICT}-1").locator("input")
    cell.fill("26.5")
    cell.press("Tab")
    page.get_by_test_id(f"tour-save-{DISTRICT}").click()
    expect(page.get_by_text("的得分")).to_be_visible()
    with stack.client("office") as api:
        detail = api.get(f"/api/tasks/v1/tours/{tour['id']}").json()
    district = next(d for d in detail["districts"] if d["unit_code"] == DISTRICT)
    first = detail["items"][0]["id"]
    assert {s["item_id"]: s["points"] for s in district["scores"]}[first] == 26.5
    assert detail["sheet_editable"] is False  # scoring started: the sheet is fixed
