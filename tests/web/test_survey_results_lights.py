"""万企评机关 results and the warning lights in the browser (issue #27). The demo publishes its two
survey rounds (2025-H2, 2026-H1), in both of which 住建局 (zhujian) is in the bottom five: the
office reads the ranking and the 处室 / 站所 ranking and decides the accountability proposal; the
unit, on a phone, reads the published ranking and has no decisions tab. The battle map and the
task list show each task's light, the list filters by it."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.conftest import Stack, login

pytestmark = pytest.mark.browser


def _published(stack: Stack, timeout: float = 240) -> None:
    """The stack sends the demo's office inputs (then publishes the rounds) after it is up."""
    deadline = time.monotonic() + timeout
    with stack.client("office") as api:
        while time.monotonic() < deadline:
            rounds = api.get("/api/evaluation/v1/surveys/rounds").json()["items"]
            if any(r["period"] == "2026-H1" and r["published_at"] for r in rounds):
                return
            time.sleep(2)
    raise AssertionError("the demo's survey rounds were not published")


def test_the_office_decides_a_proposal_and_a_unit_reads_the_ranking_on_a_phone(
    page: Page, phone: BrowserContext, stack: Stack
) -> None:
    _published(stack)
    login(page, "office")
    page.goto("/surveys")
    expect(page.get_by_test_id("survey-published")).to_contain_text("已公布")
    units = page.get_by_test_id("survey-units")
    expect(units).to_contain_text("后五位")
    page.get_by_role("tab", name="处室、站所排名").click()
    expect(page.get_by_test_id("survey-subs")).to_contain_text("施工许可科")

    page.get_by_role("tab", name="问责建议").click()
    # The unit itself, not its 城区执法大队 (also proposed: bottom five of the sub-units twice).
    card = (
        page.get_by_test_id("survey-decision")
        .filter(has_text="云岭市城市管理局")
        .filter(has_not_text="城区执法大队")
    )
    expect(card).to_have_count(1)
    if card.get_by_test_id("survey-dismiss").count():  # a rerun on the same stack: decided
        card.get_by_test_id("survey-dismiss").click()
        page.get_by_test_id("survey-note").fill("参评企业样本集中于单一街道，复核后不予问责")
        page.get_by_test_id("survey-decide-confirm").click()
    expect(card.get_by_test_id("survey-decision-status")).to_have_text("不予问责")
    expect(card).to_contain_text("参评企业样本集中于单一街道")
    sub = page.get_by_test_id("survey-decision").filter(has_text="城区执法大队")
    expect(sub.get_by_test_id("survey-decision-status")).to_have_text("待决定")

    mobile = phone.new_page()
    login(mobile, "zhujian")
    mobile.goto("/surveys")
    expect(mobile.get_by_test_id("survey-unit-card").first).to_be_visible()
    expect(mobile.get_by_test_id("survey-results")).to_contain_text("后五位")
    expect(mobile.get_by_role("tab", name="问责建议")).to_have_count(0)


def test_the_battle_map_and_task_list_show_the_lights(page: Page, stack: Stack) -> None:
    login(page, "office")
    page.goto("/battle-map")
    expect(page.get_by_test_id("battle-map-lights")).to_contain_text("红灯")
    expect(page.locator("[data-light]").first).to_be_visible()

    page.goto("/tasks")
    filter_ = page.get_by_test_id("task-light-filter")
    filter_.click()
    page.get_by_role("option", name="红灯", exact=True).click()
    table = page.get_by_test_id("task-table")
    expect(table.locator("[data-light]").first).to_be_visible()
    expect(table.locator("[data-light='green'], [data-light='yellow']")).to_have_count(0)
