"""The task list's working pages in the browser: the battle map of every task, an import with a
bad row, and a task's last milestone from a unit's report through the lead unit's review to the
office's close-out of the milestone and then of the task."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, close_drawer, login, screenshot

pytestmark = pytest.mark.browser


def test_battle_map_shows_all_210_tasks_in_a_virtualised_grid(page: Page, stack: Stack) -> None:
    login(page, "office")
    page.get_by_test_id("menu-battle-map").click()
    expect(page.get_by_test_id("battle-map-count")).to_have_text("共 210 项任务")
    # Issue #19, fix 8: the status counters count milestones, and say so.
    with stack.client("office") as api:
        totals = api.get("/api/tasks/v1/battle-map").json()["totals"]
    expect(page.get_by_test_id("battle-map-milestones")).to_have_text(
        f"时间节点 {sum(totals.values())} 个："
    )
    rows = page.get_by_test_id("battle-map-row")
    expect(rows.first).to_be_visible()
    # Only the rows in view are rendered: the page stays light however long the list is.
    assert 5 < rows.count() < 60
    screenshot(page, "battle-map")

    # Scrolling to the end renders the last task.
    rows.first.hover()
    for _ in range(10):
        page.mouse.wheel(0, 2000)
    last = page.get_by_role("row").filter(has=page.get_by_role("cell", name="210", exact=True))
    expect(last).to_be_visible()

    # Drill down from a row to the task's milestones.
    rows.last.locator("a").click()
    timeline = page.get_by_test_id("drill-timeline")
    expect(timeline).to_be_visible()
    expect(timeline).to_contain_text("计划")
    close_drawer(page)

    # The filters narrow the map (a task class is a strict subset), keyboard first.
    task_class = page.get_by_role("combobox", name="类别")
    task_class.focus()
    task_class.press("Enter")
    page.get_by_role("option", name="A类").click()
    expect(page.get_by_test_id("battle-map-count")).not_to_have_text("共 210 项任务")


def test_import_preview_shows_the_bad_row_and_refuses_to_apply(page: Page, stack: Stack) -> None:
    with stack.client("office") as api:
        exported = api.get("/api/tasks/v1/tasks/export")
    assert exported.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[2]]
    lead = header.index("牵头单位") + 1
    sheet.cell(row=5, column=lead, value="市不存在局")
    buffer = io.BytesIO()
    book.save(buffer)

    login(page, "office")
    page.get_by_test_id("menu-tasks").click()
    expect(page.get_by_test_id("task-table").locator("tbody tr")).to_have_count(50)
    page.locator("input[type=file][accept='.xlsx']").set_input_files(
        {
            "name": "重点任务清单.xlsx",
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": buffer.getvalue(),
        }
    )
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_be_visible()
    bad = errors.locator("tbody tr").filter(has_text="市不存在局")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").nth(1)).to_have_text("5")
    expect(page.get_by_test_id("import-apply")).to_be_disabled()
    screenshot(page, "tasks")


def _last_open_milestone(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A task whose other milestones are closed out, with a responsible unit besides its lead:
    closing this milestone lets the office close the whole task out."""
    with stack.client("office") as api:
        tasks = api.get("/api/tasks/v1/tasks", params={"limit": 500}).json()["items"]
        for listed in reversed(tasks):
            task = api.get(f"/api/tasks/v1/tasks/{listed['number']}").json()
            lead = task["lead_unit"]["code"]
            others = [u for u in task["responsible_units"] if u["code"] != lead]
            pending = [m for m in task["milestones"] if m["state"] != "closed_out"]
            last_is_open = len(pending) == 1 and pending[0]["state"] == "open"
            if task["status"] == "in_progress" and others and last_is_open:
                return task, pending[0]
    raise AssertionError("the demo data has no task with one open milestone left")


def test_report_review_and_close_out(page: Page, stack: Stack) -> None:
    task, milestone = _last_open_milestone(stack)
    number, ordinal = task["number"], milestone["ordinal"]
    reporter = next(u for u in task["responsible_units"] if u["code"] != task["lead_unit"]["code"])

    # 1. The responsible unit reports completion with evidence.
    login(page, reporter["code"])
    page.goto(f"/tasks/{number}")
    row = page.get_by_test_id("milestones").locator("tbody tr").nth(ordinal - 1)
    row.get_by_test_id("report-open").click()
    page.get_by_test_id("report-content").fill("已按方案完成，验收材料见附件。")
    page.get_by_text("该节点已完成").click()
    picker = page.get_by_placeholder("选择完成日期")
    picker.fill(date.today().isoformat())
    picker.press("Enter")
    page.get_by_test_id("evidence-input").set_input_files(
        {"name": "验收报告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%test\n"}
    )
    page.get_by_test_id("report-submit").click()
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("已报送")
    page.get_by_test_id("logout").click()

    # 2. The lead unit reads the evidence and accepts.
    login(page, task["lead_unit"]["code"])
    page.goto(f"/tasks/{number}")
    row = page.get_by_test_id("milestones").locator("tbody tr").nth(ordinal - 1)
    row.get_by_test_id("reports-open").click()
    report = page.get_by_test_id("progress-report").last
    expect(report).to_contain_text("已按方案完成")
    with page.expect_download() as evidence:
        report.get_by_test_id("evidence-link").click()
    assert evidence.value.suggested_filename == "验收报告.pdf"
    report.get_by_test_id("review-accept").click()
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("已审核")
    page.get_by_test_id("logout").click()

    # 3. The office closes the milestone out.
    login(page, "office")
    page.goto(f"/tasks/{number}")
    row = page.get_by_test_id("milestones").locator("tbody tr").nth(ordinal - 1)
    row.get_by_test_id("milestone-close-out").click()
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("已销号")

    # 4. Every milestone is closed out: so is the task.
    page.get_by_test_id("task-close-out").click()
    page.get_by_role("button", name="确定").click()
    expect(page.get_by_test_id("task-status")).to_contain_text("已销号")
    expect(page.get_by_test_id("task-close-out")).to_have_count(0)
    screenshot(page, "task-detail")

    with stack.client("office") as api:
        after = api.get(f"/api/tasks/v1/tasks/{number}").json()
    assert after["milestones"][ordinal - 1]["state"] == "closed_out"
    assert after["status"] == "closed_out"


def test_the_office_refuses_a_close_out_and_the_milestone_reopens(page: Page, stack: Stack) -> None:
    """Issue #19, fix 1: 不予销号 with a reason; the milestone is not done any more."""
    with stack.client("office") as api:
        tasks = api.get("/api/tasks/v1/tasks", params={"limit": 500}).json()["items"]
        number, ordinal = next(
            (t["number"], m["ordinal"])
            for listed in tasks
            for t in [api.get(f"/api/tasks/v1/tasks/{listed['number']}").json()]
            for m in t["milestones"]
            if m["state"] == "accepted" and m["completed_on"]
        )
    login(page, "office")
    page.goto(f"/tasks/{number}")
    row = page.get_by_test_id("milestones").locator("tbody tr").nth(ordinal - 1)
    row.get_by_test_id("milestone-refuse").click()
    page.locator(".el-message-box__input input").fill("佐证材料未体现全面推行")
    page.locator(".el-message-box").get_by_role("button", name="不予销号").click()
    expect(page.get_by_test_id(f"milestone-state-{ordinal}")).to_have_text("未报送")
    with stack.client("office") as api:
        after = api.get(f"/api/tasks/v1/tasks/{number}").json()["milestones"][ordinal - 1]
    assert (after["state"], after["completed_on"]) == ("open", None)


def test_the_office_decides_a_proposed_accountability(page: Page, stack: Stack) -> None:
    """Issue #19, fix 5: an expired second supervision proposes 问责 (the demo year has some:
    every seriously lagging milestone was supervised); the office decides on the task page."""
    with stack.client("office") as api:
        proposals = api.get(
            "/api/tasks/v1/supervisions",
            params={"level": "accountability", "status": "proposed", "limit": 500},
        ).json()["items"]
    assert proposals, "the demo year proposes accountability somewhere"
    proposal = proposals[-1]
    number = proposal["task_number"]
    login(page, "office")
    page.goto(f"/tasks/{number}")
    page.get_by_role("tab", name="督办记录").click()
    row = page.locator("tr").filter(has=page.get_by_test_id("accountability-dismiss"))
    row.first.get_by_test_id("accountability-dismiss").click()
    page.locator(".el-message-box__input input").fill("已整改到位，情节轻微")
    page.locator(".el-message-box").get_by_role("button", name="不予问责").click()
    expect(page.get_by_text("已决定不予问责")).to_be_visible()
    with stack.client("office") as api:
        decided = api.get(f"/api/tasks/v1/supervisions/{proposal['id']}").json()
        chain = api.get("/api/tasks/v1/supervisions", params={"task": number}).json()["items"]
    dismissed = [s for s in chain if s["status"] == "dismissed"]
    assert len(dismissed) == 1
    assert dismissed[0]["resolution"] == "已整改到位，情节轻微"
    assert decided["status"] in ("proposed", "dismissed")  # the task may hold two proposals
