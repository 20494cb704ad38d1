"""A unit's side of the office's follow-up, in the browser.

督办: the office supervises a unit on a lagging milestone from the task page; the unit finds the
notice in its inbox and on the task, sees it escalate to a second supervision when the due date
passes (the scheduler's sweep, called here through the API), and sees it closed by the office
from the task page.

延期: a unit asks to move one of its milestones from the task page; the office rejects the first
request and approves the second from the same page; the unit sees each outcome in its inbox and
the new planned date (the baseline kept) on the task.

Each test takes its own task and unit: a task still in progress with at least two milestones
left (the report-to-close-out test takes one with exactly one), supervised/requesting units that
no other browser test signs in as or scores.

报送: a unit reports progress on a lagging milestone with two evidence files; the office opens the
report and downloads both files byte for byte; the lead unit returns it with a reason, and the
unit sees the milestone open again and the reason on its report."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, login

pytestmark = pytest.mark.browser

# Units other browser tests sign in as, rate, or whose scores they watch.
TAKEN = {"baihexian", "songlinxian", "zhengwu", "shichang", "yunzhongqu", "renshe"}


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the services' day


def _candidates(stack: Stack) -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(task, lagging open milestone, a responsible department) for every task in progress with
    two or more milestones left, in task order."""
    today = _today()
    found = []
    with stack.client("office") as api:
        units = api.get("/api/tasks/v1/units", params={"limit": 200}).json()["items"]
        departments = {u["code"] for u in units if u["kind"] == "department"} - TAKEN
        tasks = api.get("/api/tasks/v1/tasks", params={"limit": 500}).json()["items"]
        for listed in tasks:
            if listed["status"] != "in_progress":
                continue
            task = api.get(f"/api/tasks/v1/tasks/{listed['number']}").json()
            pending = [m for m in task["milestones"] if m["state"] != "closed_out"]
            lagging = [
                m
                for m in pending
                if m["state"] == "open" and date.fromisoformat(m["planned_date"]) < today
            ]
            lead = task["lead_unit"]["code"]
            unit = next(
                (
                    u
                    for u in task["responsible_units"]
                    if u["code"] in departments and u["code"] != lead
                ),
                None,
            )
            if len(pending) >= 2 and lagging and unit is not None:
                found.append((task, lagging[0], unit))
    assert len(found) >= 3, "the demo data has too few lagging tasks for these tests"
    return found


def _row(page: Page, ordinal: int) -> Any:
    return page.get_by_test_id("milestones").locator("tbody tr").nth(ordinal - 1)


def _inbox_message(page: Page, text: str) -> Any:
    """The signed-in unit's inbox row whose text contains `text`."""
    page.get_by_test_id("menu-inbox").click()
    return page.get_by_test_id("messages").locator("tbody tr").filter(has_text=text)


def test_supervision_reaches_the_unit_escalates_and_is_closed(page: Page, stack: Stack) -> None:
    task, milestone, unit = _candidates(stack)[0]
    number, ordinal, code = task["number"], milestone["ordinal"], unit["code"]
    marker = uuid.uuid4().hex[:6]
    reason = f"节点严重滞后，请尽快整改（{marker}）"
    due = _today() + timedelta(days=10)
    subject = f"任务{number}第{ordinal}个时间节点"

    unit_name = unit["name"]

    # 0. The office issues it from the task page: the milestone's 督办 button.
    login(page, "office")
    page.goto(f"/tasks/{number}")
    _row(page, ordinal).get_by_test_id("supervise-open").click()
    dialog = page.get_by_role("dialog", name="发起督办")
    expect(dialog).to_contain_text(f"第{ordinal}个：{milestone['title']}")
    expect(dialog.get_by_test_id("supervise-submit")).to_be_disabled()  # unit and due date first
    dialog.get_by_test_id("supervise-unit").click()
    page.get_by_role("option", name=unit_name, exact=True).click()
    picker = dialog.locator(".el-date-editor input")
    picker.fill(due.isoformat())
    picker.press("Enter")
    dialog.get_by_role("textbox").last.fill(reason)
    dialog.get_by_test_id("supervise-submit").click()
    expect(page.locator(".el-message").filter(has_text="已下发督办")).to_be_visible()
    expect(dialog).to_be_hidden()
    issued = page.get_by_role("row").filter(has_text=reason)
    expect(issued).to_contain_text("办理中")
    page.get_by_test_id("logout").click()
    with stack.client("office") as api:
        mine = api.get("/api/tasks/v1/supervisions", params={"task": number, "unit": code})
    supervision_id = next(s["id"] for s in mine.json()["items"] if s["reason"] == reason)

    # 1. The unit finds the notice unread in its inbox and opens it.
    login(page, code)
    expect(page.get_by_test_id("unread-count")).to_be_visible()
    message = _inbox_message(page, f"【督办】{subject}")
    expect(message).to_have_count(1)
    expect(message).to_contain_text(f"{reason}，限 {due} 前整改到位")
    expect(message.get_by_label("未读")).to_be_visible()
    message.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/supervisions/{supervision_id}$"))
    notice = page.get_by_test_id("supervision")
    expect(notice).to_contain_text("级别督办")
    expect(notice).to_contain_text("状态办理中")
    expect(notice).to_contain_text(f"被督办单位{unit_name}")
    expect(notice).to_contain_text(f"办理期限{due}")
    expect(notice).to_contain_text(f"事由{reason}")

    # Opening it was reading it.
    message = _inbox_message(page, f"【督办】{subject}")
    expect(message).to_contain_text("已读")
    expect(message.get_by_label("未读")).to_have_count(0)

    # From the notice to the task: the supervision is on its record.
    page.go_back()
    page.get_by_role("link", name=f"任务 {number} · 节点 {ordinal}").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{number}$"))
    page.get_by_role("tab", name="督办记录").click()
    record = page.get_by_role("row").filter(has_text=reason)
    expect(record).to_have_count(1)
    expect(record).to_contain_text(unit_name)
    expect(record).to_contain_text("办理中")
    expect(record.locator("td").nth(2)).to_have_text(str(ordinal))
    page.get_by_test_id("logout").click()

    # 2. The due date passes with the milestone still open: the sweep escalates it.
    with stack.client("office") as api:
        swept = api.post(
            "/api/tasks/v1/sweeps/supervision",
            params={"as_of": (due + timedelta(days=1)).isoformat()},
        )
        assert swept.status_code == 200, swept.text
        assert swept.json()["escalated_to_second"] >= 1
        mine = api.get("/api/tasks/v1/supervisions", params={"unit": code, "limit": 500})
    second = next(s for s in mine.json()["items"] if s["parent_id"] == supervision_id)

    login(page, code)
    message = _inbox_message(page, f"【二次督办】{subject}")
    expect(message).to_have_count(1)
    expect(message).to_contain_text(f"督办逾期未整改：{reason}")
    message.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/supervisions/{second['id']}$"))
    notice = page.get_by_test_id("supervision")
    expect(notice).to_contain_text("级别二次督办")
    expect(notice).to_contain_text("状态办理中")
    expect(notice).to_contain_text(f"办理期限{second['due_on']}")

    # The first one now reads as escalated, on its page and on the task.
    page.goto(f"/supervisions/{supervision_id}")
    expect(page.get_by_test_id("supervision")).to_contain_text("状态已升级")
    page.goto(f"/tasks/{number}")
    page.get_by_role("tab", name="督办记录").click()
    records = page.get_by_role("row").filter(has_text=reason)
    expect(records).to_have_count(2)
    expect(records.filter(has_text="二次督办")).to_contain_text("办理中")
    expect(records.filter(has_not_text="二次督办")).to_contain_text("已升级")
    page.get_by_test_id("logout").click()

    # 3. The office closes the second supervision: the unit is told, and the notice says so.
    resolution = f"已整改到位，节点按新方案推进（{marker}）"
    login(page, "office")
    page.goto(f"/tasks/{number}")
    page.get_by_role("tab", name="督办记录").click()
    records = page.get_by_role("row").filter(has_text=reason)
    expect(
        records.filter(has_not_text="二次督办").get_by_test_id("supervision-resolve")
    ).to_have_count(0)  # only an open one can be resolved
    records.filter(has_text="二次督办").get_by_test_id("supervision-resolve").click()
    prompt = page.get_by_role("dialog", name="办结督办")
    prompt.get_by_role("textbox").fill(resolution)
    prompt.get_by_role("button", name="办结").click()
    expect(page.locator(".el-message").filter(has_text="已办结")).to_be_visible()
    expect(records.filter(has_text="二次督办")).to_contain_text("已办结")
    page.get_by_test_id("logout").click()

    login(page, code)
    message = _inbox_message(page, f"【二次督办办结】{subject}")
    expect(message).to_have_count(1)
    expect(message).to_contain_text(resolution)
    message.get_by_role("button", name="查看").click()
    notice = page.get_by_test_id("supervision")
    expect(notice).to_contain_text("状态已办结")
    expect(notice).to_contain_text(f"办结{_today()} {resolution}")


def test_extension_rejected_then_approved_moves_the_planned_date(page: Page, stack: Stack) -> None:
    task, milestone, unit = _candidates(stack)[-1]
    number, ordinal, code = task["number"], milestone["ordinal"], unit["code"]
    planned, baseline = milestone["planned_date"], milestone["baseline_date"]
    with stack.client("office") as api:
        ends_on = date.fromisoformat(
            api.get("/api/tasks/v1/programmes/2026").json()["ends_on"]  # the demo year
        )
    first_ask = (ends_on - timedelta(days=5)).isoformat()
    second_ask = (ends_on - timedelta(days=10)).isoformat()
    marker = uuid.uuid4().hex[:6]

    def ask(requested: str, reason: str) -> None:
        _row(page, ordinal).get_by_role("button", name="申请延期").click()
        dialog = page.get_by_role("dialog", name="申请延期")
        expect(dialog).to_contain_text(f"当前计划{planned}")
        picker = dialog.locator(".el-date-editor input")
        picker.fill(requested)
        picker.press("Enter")
        dialog.get_by_role("textbox").last.fill(reason)
        dialog.get_by_role("button", name="提交").click()
        expect(page.get_by_text("已提交延期申请，等待改革办审批")).to_be_visible()
        expect(dialog).to_be_hidden()

    def request_row(reason: str) -> Any:
        return page.get_by_role("row").filter(has_text=reason)

    # 1. The unit asks; a date before the current plan is refused in Chinese first.
    login(page, code)
    page.goto(f"/tasks/{number}")
    expect(_row(page, ordinal)).to_contain_text(planned)
    _row(page, ordinal).get_by_role("button", name="申请延期").click()
    dialog = page.get_by_role("dialog", name="申请延期")
    picker = dialog.locator(".el-date-editor input")
    picker.fill((date.fromisoformat(planned) - timedelta(days=1)).isoformat())
    picker.press("Enter")
    dialog.get_by_role("textbox").last.fill("前置审批未完成")
    dialog.get_by_role("button", name="提交").click()
    expect(page.get_by_text(f"延期后的日期必须晚于当前计划日期 {planned}")).to_be_visible()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()

    first_reason = f"前置审批未完成，需延期（{marker}-1）"
    ask(first_ask, first_reason)
    asked = request_row(first_reason)
    expect(asked).to_contain_text(f"{planned} → {first_ask}")
    expect(asked).to_contain_text("待审批")
    expect(asked.get_by_role("button", name="批准")).to_have_count(0)  # the office decides
    page.get_by_test_id("logout").click()

    # 2. The office rejects it with a comment.
    login(page, "office")
    page.goto(f"/tasks/{number}")
    page.get_by_role("tab", name="延期申请").click()
    request_row(first_reason).get_by_role("button", name="驳回").click()
    prompt = page.get_by_role("dialog", name="驳回延期")
    prompt.get_by_role("textbox").fill("理由不充分，请压缩工期")
    prompt.get_by_role("button", name="确定").click()
    expect(page.locator(".el-message").filter(has_text="已驳回")).to_be_visible()
    expect(request_row(first_reason)).to_contain_text("已驳回")
    expect(request_row(first_reason)).to_contain_text("理由不充分，请压缩工期")
    page.get_by_role("tab", name="时间节点").click()
    expect(_row(page, ordinal).locator("td").nth(2)).to_have_text(planned)  # the plan stays
    page.get_by_test_id("logout").click()

    # 3. The unit is told, and asks again for less.
    login(page, code)
    verdict = f"任务{number}第{ordinal}个时间节点的延期申请已驳回"
    message = _inbox_message(page, verdict)
    expect(message).to_have_count(1)
    expect(message).to_contain_text("计划日期不变。理由不充分，请压缩工期")
    message.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{number}$"))
    expect(_row(page, ordinal).locator("td").nth(2)).to_have_text(planned)
    second_reason = f"已压缩工期，申请延期（{marker}-2）"
    ask(second_ask, second_reason)
    expect(request_row(second_reason)).to_contain_text("待审批")
    expect(request_row(first_reason)).to_contain_text("已驳回")
    page.get_by_test_id("logout").click()

    # 4. The office approves the second request.
    login(page, "office")
    page.goto(f"/tasks/{number}")
    page.get_by_role("tab", name="延期申请").click()
    request_row(second_reason).get_by_role("button", name="批准").click()
    prompt = page.get_by_role("dialog", name="批准延期")
    prompt.get_by_role("button", name="确定").click()
    expect(page.get_by_text("已批准，计划日期已调整")).to_be_visible()
    expect(request_row(second_reason)).to_contain_text("已批准")
    page.get_by_role("tab", name="时间节点").click()
    expect(_row(page, ordinal).locator("td").nth(2)).to_have_text(second_ask)
    page.get_by_test_id("logout").click()

    # 5. The unit sees the approval and the new date; the baseline is where it was.
    login(page, code)
    verdict = f"任务{number}第{ordinal}个时间节点的延期申请已批准"
    message = _inbox_message(page, verdict)
    expect(message).to_have_count(1)
    expect(message).to_contain_text(f"计划日期调整为{second_ask}。")
    message.get_by_role("button", name="查看").click()
    row = _row(page, ordinal)
    expect(row.locator("td").nth(2)).to_have_text(second_ask)
    expect(row.locator("td").nth(3)).to_have_text(re.compile(rf"^{baseline}\s*已调整$"))
    page.get_by_role("tab", name="延期申请").click()
    expect(request_row(second_reason)).to_contain_text("已批准")

    # The battle map (as the unit sees it) shows the moved milestone against its baseline.
    with stack.client(code) as api:
        battle = api.get("/api/tasks/v1/battle-map", params={"limit": 500}).json()
    shown = next(t for t in battle["tasks"] if t["number"] == number)["milestones"][ordinal - 1]
    assert (shown["planned_date"], shown["baseline_date"]) == (second_ask, baseline)


def test_progress_report_evidence_is_downloadable_and_a_return_reaches_the_unit(
    page: Page, stack: Stack, tmp_path: Path
) -> None:
    task, milestone, unit = _candidates(stack)[1]
    number, ordinal, code = task["number"], milestone["ordinal"], unit["code"]
    lead = task["lead_unit"]["code"]
    content = f"已完成方案初稿，正在征求意见（{uuid.uuid4().hex[:6]}）"
    pdf = tmp_path / "整改方案.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    book = openpyxl.Workbook()
    book.active.append(["事项", "进度"])
    book.active.append(["征求意见", "进行中"])
    xlsx = tmp_path / "推进台账.xlsx"
    book.save(xlsx)

    def reports_of_milestone() -> Any:
        _row(page, ordinal).get_by_test_id("reports-open").click()
        return page.get_by_test_id("progress-report").filter(has_text=content)

    # 1. The unit reports progress (not completion) with both files.
    login(page, code)
    page.goto(f"/tasks/{number}")
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("未报送")
    _row(page, ordinal).get_by_test_id("report-open").click()
    page.get_by_test_id("report-content").fill(content)
    page.get_by_test_id("evidence-input").set_input_files([pdf, xlsx])
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_role("dialog", name="报送进展")).to_be_hidden()
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("已报送")
    page.get_by_test_id("logout").click()

    # 2. The office reads it and downloads each file as it was uploaded.
    login(page, "office")
    page.goto(f"/tasks/{number}")
    report = reports_of_milestone()
    expect(report).to_have_count(1)
    expect(report).to_contain_text("待审核")
    expect(report).to_contain_text(unit["short_name"])  # who reported, by name
    expect(report).not_to_contain_text(f"{code} ·")
    expect(report).not_to_contain_text("报送完成")
    links = report.get_by_test_id("evidence-link")
    expect(links).to_have_count(2)
    expect(report.get_by_role("button", name="退回")).to_have_count(0)  # the lead unit reviews
    for sent in (pdf, xlsx):
        with page.expect_download() as evidence:
            links.filter(has_text=sent.name).click()
        assert evidence.value.suggested_filename == sent.name
        assert evidence.value.path().read_bytes() == sent.read_bytes()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="报送记录")).to_be_hidden()
    page.get_by_test_id("logout").click()

    # 3. The lead unit returns it with a reason.
    login(page, lead)
    page.goto(f"/tasks/{number}")
    report = reports_of_milestone()
    report.get_by_role("button", name="退回").click()
    prompt = page.get_by_role("dialog", name="退回")
    prompt.get_by_role("textbox").fill("请补充征求意见的书面反馈")
    prompt.get_by_role("button", name="退回").click()
    expect(page.locator(".el-message").filter(has_text="已退回")).to_be_visible()
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("未报送")
    page.get_by_test_id("logout").click()

    # 4. The unit sees the milestone open again and why.
    login(page, code)
    page.goto(f"/tasks/{number}")
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("未报送")
    report = reports_of_milestone()
    expect(report).to_contain_text("退回")
    expect(report).to_contain_text("审核意见：请补充征求意见的书面反馈")
    expect(report.get_by_test_id("evidence-link")).to_have_count(2)
