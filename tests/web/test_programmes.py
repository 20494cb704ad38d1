"""A second year (issue #21): the office creates 2027 from 2026 in 年度管理 (previewed first), edits
its domains, cannot delete a 2026 domain that has tasks, and switches the header's programme: every
page then works on the chosen year, remembered across a reload.

2027 starts on 2027-01-01, so the services' default (the programme covering today) stays the demo
year for every other test; the choice lives in this test's own browser context. Other tests read
the newest programme from the list, so this one runs after them (`after_demo_year`)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.after_demo_year]

NEW = "2027"
DEMO = "2026"
DOMAINS = 14  # the demo year's, copied into the new one


def _pick(page: Page, text: str) -> None:
    """Choose `text` in the select whose dropdown is open."""
    page.locator(".el-select-dropdown__item:visible").filter(has_text=text).first.click()


def _confirm(page: Page, button: str) -> None:
    page.locator(".el-message-box").get_by_role("button", name=button).click()
    expect(page.locator(".el-message-box")).to_be_hidden()


def test_office_creates_a_year_edits_its_domains_and_switches_programme(
    page: Page, stack: Stack
) -> None:
    login(page, "office")
    page.goto("/admin?tab=programmes")
    programmes = page.get_by_test_id("programmes").locator("tbody tr")
    expect(programmes.filter(has_text=DEMO)).to_have_count(1)

    # 新建年度: the next year after the newest, from its domains; previewed before it is created.
    page.get_by_test_id("programme-new").click()
    dialog = page.get_by_test_id("programme-dialog")
    expect(dialog.get_by_test_id("programme-code")).to_have_value(NEW)
    expect(dialog.get_by_test_id("programme-copy-from")).to_contain_text(f"{DEMO}年度")

    # A bad code: the 422 names the field, next to it.
    dialog.get_by_test_id("programme-code").fill("二〇二七")
    dialog.get_by_test_id("programme-preview-button").click()
    expect(dialog.get_by_test_id("programme-error")).to_be_visible()
    expect(dialog.locator(".el-form-item__error")).to_have_count(1)
    dialog.get_by_test_id("programme-code").fill(NEW)

    dialog.get_by_test_id("programme-preview-button").click()
    preview = dialog.get_by_test_id("programme-preview")
    expect(preview.get_by_test_id("programme-preview-count")).to_have_text(f"{DOMAINS} 个领域")
    expect(preview).to_contain_text("商事登记")
    expect(dialog.get_by_test_id("programme-error")).to_be_hidden()
    with stack.client("office") as api:  # a dry run writes nothing
        codes = [p["code"] for p in api.get("/api/tasks/v1/programmes").json()["items"]]
    assert NEW not in codes
    screenshot(page, "programmes")
    dialog.get_by_test_id("programme-create").click()
    expect(dialog).to_be_hidden()
    expect(programmes.filter(has_text=NEW)).to_have_count(1)
    expect(programmes.filter(has_text=NEW)).to_contain_text("未开始")
    expect(programmes.filter(has_text=DEMO)).to_contain_text("当前年度")

    # The same year again: the service's 409 is shown in the form.
    page.get_by_test_id("programme-new").click()
    dialog.get_by_test_id("programme-code").fill(NEW)
    dialog.get_by_test_id("programme-preview-button").click()
    expect(dialog.get_by_test_id("programme-error")).to_contain_text(f"（{NEW}，{NEW}年）重复")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()

    # The new year's domains: the 14 copied; add one, rename it, move it up, delete it.
    editor = page.get_by_test_id("domains-editor")
    expect(editor.get_by_test_id("domains-programme")).to_contain_text(f"{NEW}年度")
    rows = editor.get_by_test_id("domains").locator("tbody tr")
    expect(rows).to_have_count(DOMAINS)
    editor.get_by_test_id("domain-code").fill("shuzi")
    editor.get_by_test_id("domain-name").fill("数字政府")
    editor.get_by_test_id("domain-add").click()
    expect(rows).to_have_count(DOMAINS + 1)
    expect(rows.last).to_contain_text("数字政府")

    editor.get_by_role("button", name="改名数字政府").click()
    prompt = page.locator(".el-message-box")
    prompt.locator("input").fill("数字政府建设")
    _confirm(page, "保存")
    expect(rows.last).to_contain_text("数字政府建设")

    editor.get_by_role("button", name="上移数字政府建设").click()
    expect(rows.nth(DOMAINS - 1)).to_contain_text("数字政府建设")
    expect(rows.last).not_to_contain_text("数字政府建设")

    editor.get_by_role("button", name="删除数字政府建设").click()
    _confirm(page, "删除")
    expect(rows).to_have_count(DOMAINS)
    expect(editor.get_by_test_id("domains")).not_to_contain_text("数字政府")
    with stack.client("office") as api:
        kept = api.get("/api/tasks/v1/domains", params={"programme": NEW}).json()["items"]
    assert len(kept) == DOMAINS
    assert "shuzi" not in [d["code"] for d in kept]

    # A domain of the demo year with tasks is not deleted: the service says why.
    editor.get_by_test_id("domains-programme").click()
    _pick(page, f"{DEMO}年度")
    expect(rows).to_have_count(DOMAINS)
    editor.get_by_role("button", name="删除商事登记").click()
    _confirm(page, "删除")
    expect(editor.get_by_test_id("domains-error")).to_contain_text(
        re.compile(r"领域“商事登记”下有 \d+ 项任务，不能删除")
    )
    expect(rows).to_have_count(DOMAINS)

    # The header's switcher: the new year has no tasks yet; every call carries the programme.
    switcher = page.get_by_test_id("programme-switcher")
    expect(switcher).to_contain_text(f"{DEMO}年度")  # the default, before any choice
    page.get_by_test_id("menu-tasks").click()
    tasks = page.get_by_test_id("task-table")
    expect(tasks.locator("tbody tr").first).to_be_visible()
    switcher.click()
    with page.expect_response(
        lambda r: "/api/tasks/v1/tasks?" in r.url and f"programme={NEW}" in r.url
    ) as listed:
        page.get_by_test_id(f"programme-option-{NEW}").click()
    assert listed.value.json()["total"] == 0
    expect(switcher).to_contain_text(f"{NEW}年度")
    expect(tasks).to_contain_text("没有符合条件的任务")

    # Remembered for this user: a reload asks for the chosen year straight away.
    stored = page.evaluate("localStorage.getItem('reform.programme:office')")
    assert json.loads(stored)["code"] == NEW
    with page.expect_request(
        lambda r: "/api/tasks/v1/tasks?" in r.url and f"programme={NEW}" in r.url
    ):
        page.reload()
    expect(switcher).to_contain_text(f"{NEW}年度")
    expect(tasks).to_contain_text("没有符合条件的任务")

    switcher.click()
    page.get_by_test_id(f"programme-option-{DEMO}").click()
    expect(switcher).to_contain_text(f"{DEMO}年度")
    expect(tasks.locator("tbody tr").first).to_be_visible()
    expect(tasks).not_to_contain_text("没有符合条件的任务")

    with page.expect_request(
        lambda r: "/api/tasks/v1/tasks?" in r.url and f"programme={DEMO}" in r.url
    ):
        page.reload()
    expect(switcher).to_contain_text(f"{DEMO}年度")
    expect(tasks.locator("tbody tr").first).to_be_visible()


def test_office_closes_a_year_after_its_last_notice_and_it_reads_as_ended(
    page: Page, stack: Stack
) -> None:
    """关闭年度 (issue #21), on a small past year of its own (2019: no tasks, no 12345 orders): the
    check lists what is left (its Q4 notice), and once that is signed the office confirms; the
    year then shows 已结束 in 年度管理 and in the switcher, and its pages offer no write."""
    old = "2019"
    with stack.client("office") as api:
        created = api.post(
            "/api/tasks/v1/programmes",
            json={
                "code": old,
                "name": "2019年一号改革工程",
                "year": 2019,
                "starts_on": "2019-01-01",
                "ends_on": "2019-12-31",
                "benchmark_city": "深圳",
            },
        )
        assert created.status_code == 201, created.text
    login(page, "office")
    page.goto("/admin?tab=programmes")
    row = page.get_by_test_id("programmes").locator("tbody tr").filter(has_text="2019年一号")
    row.get_by_test_id(f"programme-close-{old}").click()
    dialog = page.get_by_test_id("programme-close-dialog")
    expect(dialog.get_by_test_id("programme-close-left")).to_have_text(
        "最后一期季度通报（2019-Q4）尚未签发"
    )
    expect(dialog.get_by_test_id("programme-close-confirm")).to_have_count(0)
    dialog.get_by_role("button", name="关闭", exact=True).click()
    expect(dialog).to_be_hidden()

    with stack.client("office") as api, stack.client("leader") as leader:
        notice = api.post(
            "/api/tasks/v1/reports",
            json={"kind": "quarterly_notice", "period": "2019-Q4", "programme": old},
        )
        assert notice.status_code == 201, notice.text
        report = notice.json()["id"]
        assert api.post(f"/api/tasks/v1/reports/{report}/proofread").status_code == 200
        signed = leader.post(
            f"/api/tasks/v1/reports/{report}/sign-off", json={"publicity": "not_public"}
        )
        assert signed.status_code == 200, signed.text

    row.get_by_test_id(f"programme-close-{old}").click()
    expect(dialog.get_by_test_id("programme-close-ready")).to_be_visible()
    dialog.get_by_test_id("programme-close-confirm").click()
    expect(dialog).to_be_hidden()
    expect(row.get_by_test_id(f"programme-closed-{old}")).to_have_text("已结束")
    expect(row.get_by_test_id(f"programme-close-{old}")).to_have_count(0)

    switcher = page.get_by_test_id("programme-switcher")
    switcher.click()
    option = page.get_by_test_id(f"programme-option-{old}")
    expect(option.get_by_test_id(f"programme-closed-{old}")).to_have_text("已结束")
    option.click()
    expect(switcher).to_contain_text(f"{old}年度（已结束）")
    page.get_by_test_id("menu-tasks").click()
    expect(page.get_by_test_id("task-table")).to_contain_text("没有符合条件的任务")
    expect(page.get_by_test_id("import-button")).to_have_count(0)
    with stack.client("office") as api:
        refused = api.put(
            f"/api/tasks/v1/programmes/{old}/settings",
            json={"lagging_after_days": 1, "seriously_lagging_after_days": 30},
        )
    assert (refused.status_code, refused.json()["code"]) == (409, "programme_closed")
    switcher.click()
    page.get_by_test_id(f"programme-option-{DEMO}").click()
    expect(switcher).to_contain_text(f"{DEMO}年度")
