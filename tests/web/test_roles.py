"""Signing in as each kind of user: what the menu offers, whose work is shown, and signing out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import PASSWORD, Stack, login, screenshot

pytestmark = pytest.mark.browser

EVERY_MENU = ["overview", "battle-map", "tasks", "scores", "hotline", "reports", "inbox"]


def test_office_sees_every_menu_and_the_whole_programme(page: Page, stack: Stack) -> None:
    login(page, "office")
    expect(page.get_by_test_id("current-role")).to_have_text("改革办管理员")
    expect(page.get_by_test_id("current-unit")).to_have_text("云岭市优化营商环境改革办公室")
    for name in [*EVERY_MENU, "ratings", "admin"]:
        expect(page.get_by_test_id(f"menu-{name}")).to_be_visible()
    expect(page.get_by_test_id("menu-todo")).to_have_count(0)  # a unit's to-do list (issue #22)
    expect(page.get_by_test_id("stat-tasks")).to_contain_text("210")
    expect(page.get_by_test_id("district-scores").locator("canvas")).to_be_visible()
    # The city's hotline rates (hotline_ingest's /rates/total, shared.hotline_rates).
    expect(page.get_by_test_id("hotline-rates").locator("canvas")).to_be_visible()
    screenshot(page, "overview")

    with stack.client("office") as api:
        units = api.get("/api/tasks/v1/units", params={"limit": 200}).json()["total"]
    page.get_by_test_id("menu-admin").click()
    expect(page.get_by_test_id("units").locator("tbody tr")).to_have_count(units)


def test_lead_unit_rates_but_cannot_administer(page: Page, stack: Stack) -> None:
    login(page, "shichang")
    expect(page.get_by_test_id("current-role")).to_have_text("牵头单位")
    expect(page.get_by_test_id("current-unit")).to_have_text("云岭市市场监督管理局")
    expect(page.get_by_test_id("menu-ratings")).to_be_visible()
    expect(page.get_by_test_id("menu-admin")).to_have_count(0)
    # An address typed by hand is no way round the menu: back to a unit's home, its to-do list.
    page.goto("/admin")
    expect(page).to_have_url(f"{stack.web}/todo")
    expect(page.get_by_test_id("todo")).to_be_visible()


def test_unit_sees_only_its_own_tasks(page: Page, stack: Stack) -> None:
    with stack.client("yunzhongqu") as api:
        own = api.get("/api/tasks/v1/tasks", params={"limit": 500}).json()
    assert 0 < own["total"] < 210
    involved = {t["number"] for t in own["items"]}

    login(page, "yunzhongqu")
    expect(page).to_have_url(f"{stack.web}/todo")  # a unit starts on its to-do list (issue #22)
    expect(page.get_by_test_id("current-role")).to_have_text("责任单位")
    for name in ["todo", *EVERY_MENU]:
        expect(page.get_by_test_id(f"menu-{name}")).to_be_visible()
    expect(page.get_by_test_id("menu-ratings")).to_have_count(0)
    expect(page.get_by_test_id("menu-admin")).to_have_count(0)
    page.get_by_test_id("menu-overview").click()
    expect(page.get_by_test_id("stat-tasks")).to_contain_text(str(own["total"]))

    page.get_by_test_id("menu-tasks").click()
    rows = page.get_by_test_id("task-table").locator("tbody tr")
    expect(rows).to_have_count(min(own["total"], 50))
    shown = {int(n) for n in rows.locator("td:first-child").all_inner_texts()}
    assert shown <= involved

    # Another unit's task is not there to open.
    other = next(n for n in range(1, 211) if n not in involved)
    page.goto(f"/tasks/{other}")
    expect(page.get_by_role("alert")).to_contain_text("不存在")


def test_wrong_password_shows_the_services_message_and_logout_ends_the_session(
    page: Page, stack: Stack
) -> None:
    page.goto("/login")
    page.get_by_test_id("login-username").fill("office")
    page.get_by_test_id("login-password").fill("not-the-password")
    page.get_by_test_id("login-password").press("Enter")
    expect(page.get_by_test_id("login-error")).to_contain_text("密码")

    login(page, "office")
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(f"{stack.web}/login")
    page.goto("/tasks")
    expect(page).to_have_url(f"{stack.web}/login?next=/tasks")


def test_a_session_the_services_reject_returns_to_login_and_back(page: Page, stack: Stack) -> None:
    login(page, "office")
    page.goto("/battle-map")
    expect(page.get_by_test_id("battle-map-count")).to_be_visible()
    # The token stops being accepted (expired or revoked) while the page is open.
    page.evaluate(
        """() => {
          const key = "reform.session";
          const stored = JSON.parse(localStorage.getItem(key));
          localStorage.setItem(key, JSON.stringify({ ...stored, token: stored.token + "x" }));
        }"""
    )
    page.reload()
    expect(page.get_by_test_id("login-expired")).to_contain_text("登录已过期")
    expect(page).to_have_url(re.compile(r"/login\?next=/battle-map&expired=1$"))
    page.get_by_test_id("login-username").fill("office")
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-password").press("Enter")
    expect(page).to_have_url(f"{stack.web}/battle-map")
