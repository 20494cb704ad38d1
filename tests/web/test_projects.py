"""重点项目 in the browser (issue #27): the office registers a major industrial project; its lead
unit's liaison opens it on a phone and files the week's report (周报) with progress on a node and a
photo from the camera; the office sees the report and the photo in the project's detail, and the
project is no longer 本周未报."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, FilePayload, Page, expect

from tests.web.conftest import Stack, login

pytestmark = pytest.mark.browser

# Units other browser tests sign in as, rate, or whose scores they watch.
TAKEN = {"baihexian", "songlinxian", "zhengwu", "shichang", "yunzhongqu", "renshe"}
PHOTO = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = 800;
  canvas.height = 600;
  const context = canvas.getContext("2d");
  context.fillStyle = "#3a6ea5";
  context.fillRect(0, 0, 800, 600);
  context.fillStyle = "#c0d890";
  context.fillRect(100, 300, 600, 200);
  return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
}"""


def _lead_unit(stack: Stack) -> dict[str, str]:
    with stack.client("office") as api:
        units = api.get("/api/tasks/v1/units", params={"limit": 500}).json()["items"]
    departments: list[dict[str, str]] = sorted(
        (u for u in units if u["kind"] == "department" and u["code"] not in TAKEN),
        key=lambda u: u["code"],
    )
    return {"code": departments[-2]["code"], "short_name": departments[-2]["short_name"]}


def _register(stack: Stack, lead: str) -> dict[str, object]:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    with stack.client("office") as api:
        created = api.post(
            "/api/tasks/v1/projects",
            json={
                "code": f"WEB-{uuid.uuid4().hex[:6]}",
                "name": f"浏览器测试产业园{uuid.uuid4().hex[:4]}",
                "level": "major_industrial",
                "district": "hexiqu",
                "lead_unit": lead,
                "status": "admitted",
                "stage": "started",
                "nodes": [
                    {"name": "主体开工", "planned_on": str(today - timedelta(days=30))},
                    {"name": "主体封顶", "planned_on": str(today + timedelta(days=90))},
                ],
            },
        )
        created.raise_for_status()
        return dict(created.json())


def test_the_lead_unit_files_a_weekly_report_with_a_photo_on_a_phone(
    page: Page, phone: BrowserContext, stack: Stack
) -> None:
    unit = _lead_unit(stack)
    project = _register(stack, unit["code"])
    name = str(project["name"])

    # The office finds the project in the register.
    login(page, "office")
    page.goto("/projects")
    row = page.get_by_test_id("project-row").filter(has_text=name)
    expect(row).to_be_visible()
    row.click()
    expect(page.get_by_test_id("project-detail")).to_contain_text(name)
    expect(page.get_by_test_id("project-stage")).to_have_text("开工")
    expect(page.get_by_test_id("project-report-form")).to_have_count(0)  # the lead unit reports

    # The liaison, on a phone: the project, the week's report with a node's progress and a photo.
    mobile = phone.new_page()
    login(mobile, unit["code"])
    mobile.goto("/projects")
    mine = mobile.get_by_test_id("project-row").filter(has_text=name)
    expect(mine).to_be_visible()
    mine.click()
    form = mobile.get_by_test_id("project-report-form")
    expect(form).to_be_visible()
    form.get_by_test_id("project-report-node").first.fill("主体结构施工至第5层")
    form.get_by_test_id("project-report-summary").fill("本周现场施工顺利")
    photo: FilePayload = {
        "name": "IMG_site.jpg",
        "mimeType": "image/jpeg",
        "buffer": base64.b64decode(mobile.evaluate(PHOTO)),
    }
    form.get_by_test_id("evidence-camera").set_input_files(photo)
    expect(form.get_by_test_id("evidence-file")).to_have_count(1)
    form.get_by_test_id("project-report-submit").click()
    report = mobile.get_by_test_id("project-report")
    expect(report).to_contain_text("主体开工：主体结构施工至第5层")
    expect(report).to_contain_text("本周现场施工顺利")
    width, inner = mobile.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert width <= inner  # no sideways scrolling on the phone

    # The office sees the report with its photo; the project is not 本周未报.
    page.reload()
    office_report = page.get_by_test_id("project-report")
    expect(office_report).to_contain_text("本周现场施工顺利")
    expect(office_report.get_by_role("button", name="IMG_site.jpg")).to_be_visible()
    listed = page.get_by_test_id("project-row").filter(has_text=name)
    expect(listed.get_by_test_id("project-missing")).to_have_count(0)
