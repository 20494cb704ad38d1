"""Official documents (issue #20) in the browser: a monthly dispatch report goes draft → 核稿 →
签发. The office edits its 主送机关 and opening and reviews it; office staff cannot sign it; the
office's leader signs it off as 主动公开, which gives it its 文号 and sends it to every unit; a unit
opens it from its inbox, sees the 文号 and downloads the Word document that carries it; the office
sees that unit's read receipt. A supervision is a numbered 督办单 too: the supervised unit sees its
文号 on a phone and downloads it.

The report is the current month's (generated here, a new version): the scheduler only catches up
on past months, and only as drafts, so no other signed report shares its title. The units are ones
no other browser test reads notices as (市水利局) or supervises (市科技局)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Download, Page, expect

from tests.web.conftest import Stack, close_drawer, login, screenshot
from tests.web.test_tasks import _last_open_milestone

pytestmark = pytest.mark.browser

READER = "shuili"  # 云岭市水利局
SUPERVISED = "keji"  # 云岭市科学技术局
DISPATCH_NUMBER = re.compile(r"^云营改办调〔\d{4}〕\d+号$")
SUPERVISION_NUMBER = re.compile(r"^云营改办督〔\d{4}〕\d+号$")
SIGNING_MS = 90_000  # numbering, the DOCX and LibreOffice's PDF: seconds, more on a busy machine


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the services' day


def _downloaded(download: Download, suffix: str) -> bytes:
    assert download.suggested_filename.endswith(suffix), download.suggested_filename
    return download.path().read_bytes()


def _docx_text(body: bytes) -> str:
    """The words of a Word document (its body, headers and footers), without the markup."""
    assert body[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(body)) as docx:
        parts = [n for n in docx.namelist() if re.fullmatch(r"word/[^/]+\.xml", n)]
        xml = "".join(docx.read(n).decode() for n in parts)
    return re.sub(r"<[^>]+>", "", xml)


def _logout(page: Page) -> None:
    """Close the report's drawer (it covers the header) and sign out."""
    close_drawer(page)
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_dispatch_report_is_reviewed_signed_off_and_read(page: Page, stack: Stack) -> None:
    today = _today()
    period = f"{today.year}-{today.month:02d}"
    title = f"关于{today.year}年{today.month}月全市营商环境改革任务调度情况的通报"
    marker = f"（{today:%m%d}浏览器测试）"
    opening = f"现将本月全市营商环境改革任务调度情况通报如下{marker}"

    # 1. The office generates this month's dispatch report: a draft, without a 文号.
    login(page, "office")
    page.get_by_test_id("menu-reports").click()
    page.get_by_test_id("report-new").click()
    page.locator("label.el-radio").filter(has_text="月度调度通报").click()
    page.get_by_test_id("report-period").fill(period)
    page.get_by_test_id("report-create").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    report_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("report-status")).to_have_text("草稿")
    expect(page.get_by_test_id("report-document-number")).to_have_count(0)

    # 2. It edits the 主送机关 and the opening; the preview shows them.
    page.get_by_role("tab", name="编辑文字").click()
    for key in ("addressee", "foreword", "problems", "requirements", "copy_to"):
        expect(page.get_by_test_id(f"edit-{key}")).to_be_visible()
    page.get_by_test_id("edit-addressee").fill(f"各县（市、区）人民政府，市直各有关单位{marker}：")
    page.get_by_test_id("edit-foreword").fill(f"{opening}。")
    page.get_by_test_id("report-save").click()
    expect(page.get_by_text("已保存", exact=True)).to_be_visible()
    page.get_by_role("tab", name="预览").click()
    preview = page.frame_locator("[data-testid=report-preview]").locator("body")
    expect(preview).to_contain_text(opening)
    expect(preview).to_contain_text(f"市直各有关单位{marker}")

    # 3. 核稿通过: reviewed, waiting to be signed.
    page.get_by_test_id("report-review").click()
    expect(page.get_by_test_id("report-status")).to_have_text("已核稿")
    expect(page.get_by_test_id("report-review")).to_have_count(0)
    _logout(page)

    # 4. Office staff may review but not sign: no 签发 button, and the API refuses it too.
    login(page, "staff")
    page.goto(f"/reports/{report_id}")
    expect(page.get_by_test_id("report-status")).to_have_text("已核稿")
    expect(page.get_by_test_id("report-awaiting-sign-off")).to_be_visible()
    expect(page.get_by_test_id("report-sign-off")).to_have_count(0)
    with stack.client("staff") as api:
        refused = api.post(
            f"/api/tasks/v1/reports/{report_id}/sign-off", json={"publicity": "public"}
        )
    assert refused.status_code == 403, refused.text
    _logout(page)

    # 5. The leader signs it off as 主动公开: it gets its 文号 and is published.
    login(page, "leader")
    page.goto(f"/reports/{report_id}")
    page.get_by_test_id("report-sign-off").click()
    dialog = page.get_by_test_id("sign-off-dialog")
    expect(dialog.get_by_test_id("sign-off-submit")).to_be_disabled()  # 公开属性 is required
    expect(dialog.get_by_test_id("sign-off-public-edition")).to_have_count(0)  # notices only
    dialog.locator("label.el-radio").filter(has_text="主动公开").click()
    dialog.get_by_test_id("sign-off-submit").click()
    number_tag = page.get_by_test_id("report-document-number")
    expect(number_tag).to_have_text(DISPATCH_NUMBER, timeout=SIGNING_MS)
    number = number_tag.inner_text()
    expect(page.get_by_test_id("report-status")).to_have_text("已签发")
    signature = page.get_by_test_id("report-signature")
    expect(signature).to_contain_text(number)
    expect(page.get_by_test_id("report-publicity")).to_have_text("主动公开")
    expect(page.get_by_test_id("report-sign-off")).to_have_count(0)
    expect(page.get_by_role("tab", name="编辑文字")).to_have_count(0)  # signed: never edited again
    signed_preview = page.frame_locator("[data-testid=report-preview]").locator("body")
    expect(signed_preview).to_contain_text(number)
    expect(signed_preview).to_contain_text("（此件主动公开）")
    expect(signed_preview).not_to_contain_text("待签发")
    screenshot(page, "report-signed")
    with stack.client("leader") as api:
        signed: dict[str, Any] = api.get(f"/api/tasks/v1/reports/{report_id}").json()
        pdf = api.get(f"/api/tasks/v1/reports/{report_id}/pdf")
    assert signed["document_number"] == number
    assert signed["publicity"] == "public"
    assert signed["signed_by"]
    assert signed["reviewed_by"]
    # The PDF downloads from the page; without LibreOffice the page says so (the problem's detail).
    if pdf.status_code == 200:
        with page.expect_download() as download:
            page.get_by_test_id("download-pdf").click()
        assert _downloaded(download.value, ".pdf")[:5] == b"%PDF-"
    else:
        assert pdf.status_code == 503, pdf.text
        page.get_by_test_id("download-pdf").click()
        expect(page.locator(".el-message--error")).to_contain_text(pdf.json()["detail"])
    _logout(page)

    # 6. A unit finds it in its inbox, opens it (its read receipt) and downloads the Word document.
    login(page, READER)
    page.get_by_test_id("menu-inbox").click()
    message = page.get_by_test_id("messages").locator("tbody tr").filter(has_text=title).first
    expect(message).to_be_visible()
    message.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/reports/{report_id}$"))
    expect(page.get_by_test_id("report-document-number")).to_have_text(number)
    expect(page.get_by_test_id("report-status")).to_have_text("已签发")
    with page.expect_download() as download:
        page.get_by_test_id("download-docx").click()
    words = _docx_text(_downloaded(download.value, ".docx"))
    assert number in words
    assert opening in words
    _logout(page)

    # 7. The office sees the unit's read receipt.
    login(page, "office")
    page.goto(f"/reports/{report_id}")
    page.get_by_role("tab", name="阅读回执").click()
    receipt = page.get_by_test_id("receipts").locator("tbody tr").filter(has_text="云岭市水利局")
    expect(receipt).to_have_count(1)
    expect(receipt).not_to_contain_text("未读")


def _open_milestone(stack: Stack) -> tuple[int, int]:
    """(task, milestone) of the supervised unit, not yet completed: the last one of its last task,
    which no other browser test reports on or supervises."""
    try:
        taken = _last_open_milestone(stack)[0]["number"]  # test_tasks closes that one out
    except AssertionError:
        taken = None
    with stack.client(SUPERVISED) as api:
        mine = api.get("/api/tasks/v1/tasks", params={"limit": 500}).json()["items"]
    with stack.client("office") as api:
        for listed in reversed(mine):
            if listed["number"] == taken:
                continue
            task = api.get(f"/api/tasks/v1/tasks/{listed['number']}").json()
            left = [m for m in task["milestones"] if m["state"] == "open"]
            if left:
                return int(task["number"]), int(left[-1]["ordinal"])
    raise AssertionError(f"{SUPERVISED} has no open milestone to supervise")


def test_the_supervised_unit_downloads_its_numbered_supervision(
    phone: BrowserContext, stack: Stack
) -> None:
    number, ordinal = _open_milestone(stack)
    with stack.client("office") as api:
        issued = api.post(
            "/api/tasks/v1/supervisions",
            json={
                "unit_code": SUPERVISED,
                "subject": {"task_number": number, "milestone_ordinal": ordinal},
                "reason": "节点推进缓慢，请于期限内报送整改落实情况。",
                "due_on": (_today() + timedelta(days=21)).isoformat(),
            },
        )
    assert issued.status_code == 201, issued.text
    supervision = issued.json()
    assert SUPERVISION_NUMBER.match(supervision["document_number"] or ""), supervision

    page = phone.new_page()
    login(page, SUPERVISED)
    page.goto(f"/supervisions/{supervision['id']}")
    expect(page.get_by_test_id("supervision-document-number")).to_have_text(
        supervision["document_number"]
    )
    button = page.get_by_test_id("supervision-docx")
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 44, box  # a fingertip's target on a phone
    with page.expect_download() as download:
        button.click()
    words = _docx_text(_downloaded(download.value, ".docx"))
    assert supervision["document_number"] in words
