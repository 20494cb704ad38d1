"""A person changes their own password from the header (issue #23), and the SPA runs under the
Content-Security-Policy it is deployed with (make up's preview sends deploy/nginx.conf's)."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.web.conftest import PASSWORD, Stack, login

pytestmark = pytest.mark.browser

USER = "tongji"  # used by no other browser test: its password changes here
NEW_PASSWORD = "statistics-bureau-lantern-2026"


def test_a_unit_liaison_changes_their_password_under_the_deployed_csp(
    page: Page, stack: Stack
) -> None:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    response = page.goto("/login")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    login(page, USER)
    page.get_by_test_id("menu-tasks").click()
    expect(page.locator("table").first).to_be_visible()

    page.get_by_test_id("change-password").click()
    page.get_by_test_id("password-current").fill("not-my-password")
    page.get_by_test_id("password-new").fill(NEW_PASSWORD)
    page.get_by_test_id("password-again").fill(NEW_PASSWORD)
    page.get_by_test_id("password-save").click()
    expect(page.locator(".el-dialog")).to_contain_text("当前密码不正确")

    page.get_by_test_id("password-current").fill(PASSWORD)
    for field in ("password-new", "password-again"):
        page.get_by_test_id(field).fill("1qaz2wsx3edc")
    page.get_by_test_id("password-save").click()
    expect(page.locator(".el-dialog")).to_contain_text("常见密码")

    for field in ("password-new", "password-again"):
        page.get_by_test_id(field).fill(NEW_PASSWORD)
    page.get_by_test_id("password-save").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()
    # Still signed in with the new token: the page keeps working.
    page.get_by_test_id("menu-inbox").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()

    page.get_by_test_id("logout").click()
    page.get_by_test_id("login-username").fill(USER)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-password").press("Enter")
    expect(page.get_by_role("alert").filter(has_text="用户名或密码错误")).to_be_visible()
    page.get_by_test_id("login-password").fill(NEW_PASSWORD)
    page.get_by_test_id("login-password").press("Enter")
    expect(page.get_by_test_id("current-user")).to_be_visible()
    assert violations == []
