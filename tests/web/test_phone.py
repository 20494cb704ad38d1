"""A unit's liaison on a phone (issue #22), at 390 × 844 with touch, in Debian's Chromium against
the real stack: the to-do list is the home page; one tap opens a due milestone's report form,
where a photo from the camera is downscaled on the phone before it is uploaded and a report that
fails on a lost connection is kept on the phone (text and photo) until it goes through; a
supervision (督办) is answered with the facts and a photo; a notice is read from the list. No page
a unit opens scrolls sideways, at 390 px or at 360 px.

The unit is one the demo never gives a 12345 order to, that no other browser test signs in as,
and whose tasks no other browser test reports on. Its due milestone is made by the office the way
the office re-plans one — an import of the task list with that one date changed (only that task
changes; the baseline stays) — so the test does not depend on the day it runs. Its supervision is
due three weeks ahead, past the sweep another test runs eleven days ahead."""

from __future__ import annotations

import base64
import io
import os
import re
import struct
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Locator,
    Page,
    ViewportSize,
    expect,
)

from tests.web.conftest import PHONE, Stack, login, screenshot
from tests.web.test_tasks import _last_open_milestone

pytestmark = pytest.mark.browser

UNIT = "jiaotong"  # 市交通运输局: leads a task in progress; no 12345 orders in the demo
NARROW: ViewportSize = {"width": 360, "height": 740}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# A camera picture as a phone takes it: 4000 × 3000, a few MB of JPEG.
PHOTO = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = 4000;
  canvas.height = 3000;
  const context = canvas.getContext("2d");
  const sky = context.createLinearGradient(0, 0, 4000, 3000);
  sky.addColorStop(0, "#3a6ea5");
  sky.addColorStop(1, "#c0d890");
  context.fillStyle = sky;
  context.fillRect(0, 0, 4000, 3000);
  for (let i = 0; i < 30000; i++) {
    context.fillStyle = `hsl(${(i * 37) % 360}, 55%, ${30 + (i % 40)}%)`;
    context.fillRect((i * 7919) % 4000, (i * 104729) % 3000, 9 + (i % 13), 9 + (i % 7));
  }
  return canvas.toDataURL("image/jpeg", 0.92).split(",")[1];
}"""

# Interactive elements smaller than a fingertip (44 × 44 CSS px) inside the page and the tab bar.
SMALL_TARGETS = """() => [...document.querySelectorAll([
    "button", "a[href]", "[role=tab]", ".el-checkbox", ".el-select__wrapper", ".el-input__wrapper",
    ".el-input-number"].join(", "))]
  .filter((e) => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(e).visibility !== "hidden"
      && !e.closest(".el-table, .el-popper, [aria-hidden=true]")
      && (box.width < 44 || box.height < 44);
  })
  .map((e) => {
    const name = (e.innerText || e.getAttribute("aria-label") || "").trim().slice(0, 20);
    return `${e.tagName} "${name}"`;
  })"""


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the services' day


def _jpeg_size(body: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment."""
    assert body[:2] == b"\xff\xd8", "not a JPEG"
    at = 2
    while at < len(body):
        marker, length = body[at + 1], int.from_bytes(body[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", body[at + 5 : at + 9])
            return width, height
        at += 2 + length
    raise AssertionError("no frame in the JPEG")


def _no_sideways_scroll(page: Page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= inner, f"{page.url} is {width} px wide at {inner} px"


def _picture(page: Page, name: str) -> None:
    """The README's picture (SCREENSHOTS=1), once the last toast has gone."""
    if os.environ.get("SCREENSHOTS"):
        expect(page.locator(".el-message")).to_have_count(0, timeout=10_000)
        screenshot(page, name)


def _replan(stack: Stack, number: int, ordinal: int, planned: date) -> None:
    """The office re-plans one milestone through the task list's import (its baseline stays)."""
    with stack.client("office") as api:
        book = openpyxl.load_workbook(io.BytesIO(api.get("/api/tasks/v1/tasks/export").content))
        sheet = book.worksheets[0]
        header = [cell.value for cell in sheet[2]]
        column = header.index("时间节点")
        row = next(r for r in sheet.iter_rows(min_row=3) if r[0].value == number)
        lines = str(row[column].value).split("\n")
        title = lines[ordinal - 1].split("：", 1)[1]
        lines[ordinal - 1] = f"{planned.year}年{planned.month}月{planned.day}日前：{title}"
        row[column].value = "\n".join(lines)
        buffer = io.BytesIO()
        book.save(buffer)
        applied = api.post(
            "/api/tasks/v1/tasks/import",
            params={"dry_run": "false"},
            files={"file": ("重点任务清单.xlsx", buffer.getvalue(), XLSX)},
        )
    assert applied.status_code == 200, applied.text
    assert [c["number"] for c in applied.json()["changed"]] == [number]


def _due_milestone(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A task of the unit in progress and its next open milestone, due within the to-do's window
    (re-planned to three days ahead when it is not)."""
    try:
        taken = _last_open_milestone(stack)[0]["number"]  # test_tasks reports on that one
    except AssertionError:
        taken = None
    with stack.client(UNIT) as api:
        mine = api.get("/api/tasks/v1/tasks", params={"limit": 500}).json()["items"]
        window = api.get("/api/tasks/v1/todo").json()["due_within_days"]
    with stack.client("office") as api:
        ends_on = date.fromisoformat(
            api.get("/api/tasks/v1/programmes/2026").json()["ends_on"]  # the demo year
        )
        tasks = [
            api.get(f"/api/tasks/v1/tasks/{t['number']}").json()
            for t in mine
            if t["number"] != taken
        ]
    found = [
        (task, open_[0])
        for task in tasks
        for open_ in [[m for m in task["milestones"] if m["state"] == "open"]]
        if task["status"] == "in_progress" and open_
    ]
    assert found, f"{UNIT} has no task in progress with an open milestone"
    task, milestone = found[0]
    today = _today()
    if date.fromisoformat(milestone["planned_date"]) > today + timedelta(days=window):
        planned = min(today + timedelta(days=3), ends_on)
        _replan(stack, task["number"], milestone["ordinal"], planned)
        milestone = {**milestone, "planned_date": planned.isoformat()}
    return task, milestone


def _supervise(stack: Stack, number: int, ordinal: int, reason: str) -> int:
    with stack.client("office") as api:
        issued = api.post(
            "/api/tasks/v1/supervisions",
            json={
                "unit_code": UNIT,
                "subject": {"task_number": number, "milestone_ordinal": ordinal},
                "reason": reason,
                "due_on": (_today() + timedelta(days=21)).isoformat(),
            },
        )
    assert issued.status_code == 201, issued.text
    return int(issued.json()["id"])


def _wait_for_a_notice(stack: Stack) -> str:
    """The title of a signed notice in the unit's inbox. The scheduler drafts the demo year's
    monthly reports once the demo 12345 orders are in, a minute or two after the stack starts;
    unless one is signed already, the office reviews the newest draft and its leader signs it off
    (issue #20: nothing reaches a unit unsigned)."""
    deadline = time.monotonic() + 300
    reports = "/api/tasks/v1/reports"
    with stack.client("office") as office, stack.client("leader") as leader:
        while time.monotonic() < deadline:
            items = office.get(reports, params={"kind": "monthly_dispatch"}).json()["items"]
            signed = [r for r in items if r["status"] == "published"]
            if signed:
                return str(signed[0]["title"])
            drafts = [r for r in items if r["status"] in ("draft", "reviewed")]
            if drafts:
                report = drafts[0]
                if report["status"] == "draft":
                    office.post(f"{reports}/{report['id']}/proofread").raise_for_status()
                signing = leader.post(
                    f"{reports}/{report['id']}/sign-off", json={"publicity": "public"}
                )
                signing.raise_for_status()
                return str(report["title"])
            time.sleep(2)
    raise AssertionError("no monthly report was drafted")


def _todo_item(page: Page, group: str, text: str) -> Locator:
    return (
        page.get_by_test_id(f"todo-group-{group}").get_by_test_id("todo-item").filter(has_text=text)
    )


def _take_photo(page: Page) -> FilePayload:
    """The camera's picture, as the file input with `capture` hands it over."""
    body = base64.b64decode(page.evaluate(PHOTO))
    assert len(body) > 1_000_000
    assert _jpeg_size(body) == (4000, 3000)
    return {"name": "IMG_20261206_101500.jpg", "mimeType": "image/jpeg", "buffer": body}


def test_a_liaison_works_through_the_to_do_list_on_a_phone(
    phone: BrowserContext, stack: Stack
) -> None:
    task, milestone = _due_milestone(stack)
    number, ordinal = task["number"], milestone["ordinal"]
    marker = uuid.uuid4().hex[:6]
    supervision_id = _supervise(stack, number, ordinal, f"班列开行进度偏慢，请说明情况（{marker}）")
    title = _wait_for_a_notice(stack)
    page = phone.new_page()

    # 1. Signing in lands on the to-do list: the due milestone, the supervision, unread notices;
    #    the count on the tab bar is the list's.
    login(page, UNIT)
    expect(page).to_have_url(f"{stack.web}/todo")
    due = _todo_item(page, "milestone_due", milestone["title"])
    expect(due).to_have_count(1)
    expect(due).to_contain_text(f"任务{number}")
    expect(due).to_contain_text(milestone["planned_date"])
    expect(_todo_item(page, "supervision", f"任务{number}第{ordinal}个时间节点")).to_be_visible()
    expect(_todo_item(page, "message", title).first).to_be_visible()
    total = page.get_by_test_id("todo-total")
    expect(page.get_by_test_id("todo-count")).to_have_text(total.inner_text())
    with stack.client(UNIT) as api:
        listed = api.get("/api/tasks/v1/todo").json()
    assert listed["counts"]["milestone_due"] + listed["counts"]["milestone_overdue"] >= 1
    assert int(total.inner_text()) >= listed["counts"]["supervision"] >= 1
    _no_sideways_scroll(page)
    _picture(page, "phone-todo")

    # 2. One tap opens the milestone's report form, full screen.
    due.tap()
    expect(page).to_have_url(f"{stack.web}/tasks/{number}")
    dialog = page.get_by_role("dialog", name="报送进展")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("report-subject")).to_contain_text(milestone["title"])
    sheet = dialog.locator(".el-dialog")  # a sheet over the whole screen
    expect(sheet).to_have_css("width", f"{PHONE['width']}px")
    expect(sheet).to_have_css("height", f"{PHONE['height']}px")

    content = f"班列已开行186列，余下14列本月内开行（{marker}）"
    page.get_by_test_id("report-content").fill(content)
    photo = _take_photo(page)
    page.get_by_test_id("evidence-camera").set_input_files(photo)
    picked = page.get_by_test_id("evidence-file")
    expect(picked).to_have_count(1)
    expect(picked).to_contain_text("压缩后")  # downscaled on the phone, before the upload
    expect(picked).to_contain_text("IMG_20261206_101500.jpg")
    _picture(page, "phone-report")

    # 3. The connection drops as it is sent: nothing is lost, and it can be sent again.
    phone.set_offline(True)
    page.get_by_test_id("report-submit").tap()
    expect(page.get_by_test_id("report-error")).to_contain_text("已保存在本机")
    expect(page.get_by_test_id("report-submit")).to_have_text("重试")
    key = f"reform.draft.report:{UNIT}:{number}:{ordinal}"
    assert content in (page.evaluate(f"localStorage.getItem('{key}')") or "")

    # Even a reload (the browser closed it meanwhile) keeps the text and the photo.
    phone.set_offline(False)
    page.reload()
    card = page.get_by_test_id("milestone-card").nth(ordinal - 1)
    expect(card.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("未报送")
    card.get_by_test_id("report-open").tap()
    expect(page.get_by_test_id("report-draft-restored")).to_be_visible()
    expect(page.get_by_test_id("report-content")).to_have_value(content)
    expect(page.get_by_test_id("evidence-file")).to_have_count(1)
    page.get_by_test_id("report-submit").tap()
    expect(dialog).to_be_hidden()
    expect(card.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("已报送")
    assert page.evaluate(f"localStorage.getItem('{key}')") is None  # the draft is gone
    _no_sideways_scroll(page)

    # As the task's lead unit it reviews the report; the prompt for a return's reason is a
    # full-screen sheet too (cancelled: the report stays pending).
    card.get_by_test_id("reports-open").tap()
    records = page.get_by_role("dialog", name="报送记录")
    records.get_by_test_id("progress-report").filter(has_text=content).get_by_test_id(
        "review-return"
    ).tap()
    prompt = page.locator(".el-message-box").filter(has_text="请填写退回理由")
    expect(prompt).to_have_css("width", f"{PHONE['width']}px")
    expect(prompt).to_have_css("height", f"{PHONE['height']}px")
    prompt.get_by_role("button", name="取消").tap()
    expect(prompt).to_be_hidden()
    records.locator(".el-dialog__headerbtn").tap()
    expect(records).to_be_hidden()
    card.scroll_into_view_if_needed()
    _picture(page, "phone-task")

    # What arrived: the report with one photo, a JPEG no more than 1920 px on its long edge.
    with stack.client("office") as api:
        reports = api.get(f"/api/tasks/v1/tasks/{number}/milestones/{ordinal}/reports").json()
        (report,) = [r for r in reports["items"] if r["content"] == content]
        (evidence,) = report["evidence"]
        sent = api.get(evidence["download_url"]).content
    assert evidence["content_type"] == "image/jpeg"
    assert evidence["filename"] == "IMG_20261206_101500.jpg"
    assert evidence["size_bytes"] == len(sent) < len(photo["buffer"]) / 2
    assert max(_jpeg_size(sent)) == 1920

    # 4. The supervision: answered from the list, with the facts and a photo.
    page.get_by_test_id("menu-todo").tap()
    _todo_item(page, "supervision", f"任务{number}第{ordinal}个时间节点").tap()
    expect(page).to_have_url(f"{stack.web}/supervisions/{supervision_id}")
    expect(page.get_by_test_id("supervision")).to_contain_text(marker)
    facts = f"已调整班列计划，新增两条线路，12月20日前完成（{marker}）"
    page.get_by_test_id("reply-facts").fill(facts)
    page.get_by_test_id("evidence-camera").set_input_files(_take_photo(page))
    expect(page.get_by_test_id("evidence-file")).to_have_count(1)
    # The picker's limits are the services' settings (GET /api/tasks/v1/evidence-rules).
    expect(page.get_by_text("最多 5 个，每个不超过 20 MB")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_test_id("reply-submit").tap()
    reply = page.get_by_test_id("supervision-reply").filter(has_text=facts)
    expect(reply).to_be_visible()
    expect(reply.get_by_test_id("reply-evidence")).to_have_count(1)
    expect(page.get_by_test_id("supervision-replies")).to_contain_text("已回复")
    page.get_by_test_id("supervision-replies").scroll_into_view_if_needed()
    _picture(page, "phone-supervision")
    with stack.client("office") as api:
        answered = api.get(f"/api/tasks/v1/supervisions/{supervision_id}").json()
    assert answered["replied"] is True
    assert answered["status"] == "open"  # resolving it is the office's
    assert [e["content_type"] for e in answered["replies"][-1]["evidence"]] == ["image/jpeg"]

    # Answered, it leaves the to-do list.
    page.get_by_test_id("menu-todo").tap()
    expect(_todo_item(page, "milestone_due", milestone["title"])).to_be_visible()
    expect(_todo_item(page, "supervision", f"任务{number}第{ordinal}个时间节点")).to_have_count(0)

    # 5. A notice, read from the list: opening it is the read receipt.
    _todo_item(page, "message", title).first.tap()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    preview = page.frame_locator("[data-testid=report-preview]")
    expect(preview.locator("body")).to_contain_text(title)
    _no_sideways_scroll(page)
    _picture(page, "phone-notice")
    with stack.client(UNIT) as api:
        messages = api.get("/api/tasks/v1/messages", params={"limit": 500}).json()["items"]
    assert all(m["read_at"] for m in messages if m["title"] == title)


UNIT_PAGES = [
    "/todo",
    "/",
    "/tasks",
    "/tasks/{task}",
    "/supervisions/{supervision}",
    "/ratings",
    "/hotline",
    "/hotline?tab=overdue",
    "/hotline?tab=rates",
    "/hotline?tab=board",
    "/reports",
    "/reports/{report}",
    "/inbox",
    "/battle-map",
    "/scores",
]
# Desktop-first: the battle map's grid of months and the ranking scroll within themselves (the page
# does not), with the rows' links at the grid's own height.
TOUCH_EXEMPT = {"/battle-map", "/scores"}


def test_no_unit_page_scrolls_sideways_and_every_control_fits_a_finger(
    phone: BrowserContext, stack: Stack
) -> None:
    with stack.client(UNIT) as api:
        task = api.get("/api/tasks/v1/tasks", params={"limit": 1}).json()["items"][0]["number"]
        supervisions = api.get("/api/tasks/v1/supervisions", params={"limit": 1}).json()["items"]
        reports = api.get("/api/tasks/v1/reports", params={"limit": 1}).json()["items"]
    ids = {
        "task": task,
        "supervision": supervisions[0]["id"] if supervisions else None,
        "report": reports[0]["id"] if reports else None,
    }
    page = phone.new_page()
    login(page, UNIT)
    checked = []
    for template in UNIT_PAGES:
        if any(f"{{{name}}}" in template and ids[name] is None for name in ids):
            continue  # nothing of that kind for this unit yet
        path = template.format(**ids)
        page.set_viewport_size(PHONE)
        page.goto(path)
        expect(page.get_by_test_id("current-user")).to_be_visible()
        page.wait_for_timeout(1000)  # the page's data (the cockpit's live stream never goes idle)
        _no_sideways_scroll(page)
        if path.split("?")[0] not in TOUCH_EXEMPT:
            assert page.evaluate(SMALL_TARGETS) == [], path
        page.set_viewport_size(NARROW)
        page.wait_for_timeout(300)  # charts and grids follow the new width
        _no_sideways_scroll(page)
        checked.append(path)
    assert len(checked) >= len(UNIT_PAGES) - 2

    # The "更多" sheet holds the rest of the menu and the account.
    page.set_viewport_size(PHONE)
    page.goto("/todo")
    page.get_by_test_id("menu-more").tap()
    sheet = page.locator(".more-sheet")
    for entry in (
        "menu-overview",
        "menu-battle-map",
        "menu-scores",
        "menu-reports",
        "change-password",
    ):
        expect(sheet.get_by_test_id(entry)).to_be_visible()
    _picture(page, "phone-more")
    sheet.get_by_test_id("menu-reports").tap()
    expect(page).to_have_url(f"{stack.web}/reports")


def test_overdue_12345_orders_are_on_the_list_and_open_in_one_tap(
    phone: BrowserContext, stack: Stack
) -> None:
    """The unit's overdue orders come from the hotline's own list (overdue=true, which for a unit
    holds the orders it handles). The demo gives this unit none, and a real overdue order would
    move the hotline scores other tests read, so the list's answer is stood in for here."""
    order = {
        "order_no": "YL20261201TEST0001",
        "status": "accepted",
        "channel": "phone",
        "kind": "complaint",
        "urgency": "normal",
        "title": "道路货运许可办理超时",
        "category_code": None,
        "handling_unit_code": UNIT,
        "enterprise_name": None,
        "contact_name": "赵**",
        "contact_phone": "139****5678",
        "received_at": "2026-12-01T09:00:00+08:00",
        "due_at": "2026-12-03T17:30:00+08:00",
        "satisfaction": None,
        "resolved": None,
        "overdue": True,
        "quarantine_reason": None,
    }
    detail = {
        **order,
        "content": "某物流公司反映道路货运经营许可超过承诺时限未办结。",
        "reply": None,
        "events": [{"type": "work_order.created", "occurred_at": order["received_at"]}],
    }
    page = phone.new_page()
    page.route(
        re.compile(r".*/api/hotline/v1/work-orders\?.*overdue=true.*"),
        lambda route: route.fulfill(json={"items": [order], "total": 1}),
    )
    page.route(
        f"**/api/hotline/v1/work-orders/{order['order_no']}",
        lambda route: route.fulfill(json=detail),
    )
    login(page, UNIT)
    item = _todo_item(page, "orders", str(order["title"]))
    expect(item).to_contain_text(str(order["order_no"]))
    expect(page.get_by_test_id("todo-count-orders").locator("b")).to_have_text("1")
    item.tap()
    expect(page).to_have_url(re.compile(r"/hotline\?tab=overdue&order=YL20261201TEST0001$"))
    expect(page.get_by_role("tab", name="超期工单")).to_have_attribute("aria-selected", "true")
    drawer = page.get_by_role("dialog", name=f"工单 {order['order_no']}")
    expect(drawer).to_contain_text(str(detail["content"]))
    _no_sideways_scroll(page)
    page.locator(".el-drawer__close-btn:visible").tap()
    expect(page.get_by_test_id("order-card").first).to_contain_text(str(order["title"]))


OFFICE_PAGES = [
    "/",
    "/battle-map",
    "/tasks",
    "/tasks/1",
    "/ratings",
    "/scores",
    "/hotline",
    "/hotline?tab=quarantine",
    "/hotline?tab=rates",
    "/reports",
    "/inbox",
    "/admin",
    "/admin?tab=rules",
]


def test_office_pages_keep_their_desktop_layout_on_a_tablet(browser: Browser, stack: Stack) -> None:
    """The office's pages stay desktop-first; on a 1024 × 768 tablet they keep the side menu and
    their tables, and nothing is wider than the screen (a wide table scrolls within itself)."""
    context = browser.new_context(
        base_url=stack.web,
        viewport={"width": 1024, "height": 768},
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, "office")
    for path in OFFICE_PAGES:
        page.goto(path)
        expect(page.get_by_test_id("menu-admin")).to_be_visible()  # the side menu, not the tab bar
        page.wait_for_timeout(1000)
        _no_sideways_scroll(page)
    expect(page.get_by_test_id("menu-more")).to_have_count(0)
    context.close()
