"""Notices: the office generates, previews and downloads a quarterly notice, reviews it (核稿) and
signs it off (签发) with its public edition; a unit finds it in its inbox, and opening it is the
read receipt the office sees."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, close_drawer, login, screenshot

pytestmark = pytest.mark.browser

READER = "songlinxian"


TITLE = "关于2026年第二季度全市营商环境改革工作情况的通报"


def test_generate_sign_off_download_and_read_receipt(page: Page, stack: Stack) -> None:
    login(page, "office")
    page.get_by_test_id("menu-reports").click()
    page.get_by_test_id("report-new").click()
    page.get_by_role("radio", name="季度通报").check()
    page.get_by_test_id("report-period").fill("2026-Q2")
    page.get_by_test_id("report-create").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    report_id = int(page.url.rsplit("/", 1)[1])
    preview = page.frame_locator("[data-testid=report-preview]")
    expect(preview.locator("body")).to_contain_text(TITLE)
    screenshot(page, "reports")

    for kind, magic in (("docx", b"PK"), ("xlsx", b"PK")):
        with page.expect_download() as download:
            page.get_by_test_id(f"download-{kind}").click()
        assert download.value.suggested_filename.endswith(f".{kind}")
        path = download.value.path()
        assert path.read_bytes()[:2] == magic

    page.get_by_test_id("report-review").click()
    expect(page.get_by_test_id("report-status")).to_have_text("已核稿")
    page.get_by_test_id("report-sign-off").click()  # the office's administrator signs too
    dialog = page.get_by_test_id("sign-off-dialog")
    dialog.locator("label.el-radio").filter(has_text="依申请公开").click()
    dialog.get_by_test_id("sign-off-public-edition").click()
    dialog.get_by_test_id("sign-off-submit").click()
    expect(page.get_by_test_id("report-document-number")).to_have_text(
        re.compile(r"^云营改办通〔\d{4}〕\d+号$"), timeout=90_000
    )
    expect(page.get_by_test_id("report-publicity")).to_have_text("依申请公开")
    with page.expect_download() as download:
        page.get_by_test_id("download-docx-public").click()
    assert download.value.path().read_bytes()[:2] == b"PK"
    page.get_by_role("tab", name="阅读回执").click()
    receipts = page.get_by_test_id("receipts").locator("tbody tr")
    expect(receipts.first).to_be_visible()
    mine = receipts.filter(has_text="松林县")
    expect(mine).to_contain_text("未读")
    close_drawer(page)
    expect(page).to_have_url(re.compile(r"/reports$"))
    page.get_by_test_id("logout").click()

    login(page, READER)
    expect(page.get_by_test_id("unread-count")).to_be_visible()
    page.get_by_test_id("menu-inbox").click()
    messages = page.get_by_test_id("messages").locator("tbody tr")
    message = messages.filter(has_text=TITLE).first
    expect(message).to_be_visible()
    message.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/reports/{report_id}$"))
    expect(page.frame_locator("[data-testid=report-preview]").locator("body")).to_contain_text(
        TITLE
    )
    close_drawer(page)
    page.get_by_test_id("logout").click()

    login(page, "office")
    page.goto(f"/reports/{report_id}")
    page.get_by_role("tab", name="阅读回执").click()
    row = page.get_by_test_id("receipts").locator("tbody tr").filter(has_text="松林县")
    expect(row).not_to_contain_text("未读")
