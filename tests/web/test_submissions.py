"""季度工作报告 in the browser (issue #27, seed 003: 每季度末月25日前报送): a unit's liaison submits
the quarter's report with a photo from a phone; the office opens the matrix of units × quarters on
the desktop and finds the unit's report on time (or late, after the 25th), with its attachment."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from shared.clock import SHANGHAI
from tests.web.conftest import Stack, login

pytestmark = pytest.mark.browser

# Units other browser tests sign in as, rate, or whose scores they watch.
TAKEN = {"baihexian", "songlinxian", "zhengwu", "shichang", "yunzhongqu", "renshe"}
# A small PNG, as a phone's picture would be after the picker downscaled it.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _quarter() -> tuple[str, str]:
    """This quarter and the standing a report submitted today has (late after the 25th of the
    quarter's last month)."""
    today = datetime.now(SHANGHAI).date()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    late = today.month % 3 == 0 and today.day > 25
    return quarter, "逾期报送" if late else "按时报送"


def _unit(stack: Stack, quarter: str) -> dict[str, str]:
    """A reporting unit no other browser test uses, without a report for this quarter yet."""
    with stack.client("office") as api:
        matrix = api.get("/api/tasks/v1/submissions/matrix").json()
    index = [q["quarter"] for q in matrix["quarters"]].index(quarter)
    row = next(
        r
        for r in matrix["rows"]
        if r["unit"] not in TAKEN and r["cells"][index]["submission_id"] is None
    )
    return {"code": row["unit"], "name": row["unit_name"]}


def test_a_unit_reports_on_a_phone_and_the_office_sees_the_matrix(
    page: Page, phone: BrowserContext, stack: Stack
) -> None:
    quarter, standing = _quarter()
    unit = _unit(stack, quarter)
    summary = f"本季度完成综合窗口改造，企业开办全程网办率达到95%（{uuid.uuid4().hex[:6]}）"

    # The liaison, on a phone: the form proposes this quarter; a photo goes with the report.
    mobile = phone.new_page()
    login(mobile, unit["code"])
    mobile.goto("/submissions")
    expect(mobile.get_by_test_id("matrix-table")).to_have_count(0)  # the matrix is the office's
    numeral = "一二三四"[int(quarter[-1]) - 1]
    label = f"{quarter[:4]}年第{numeral}季度"
    expect(mobile.get_by_test_id("submission-quarter")).to_contain_text(label)
    mobile.get_by_test_id("submission-summary").fill(summary)
    mobile.get_by_test_id("evidence-input").set_input_files(
        {"name": "窗口改造.png", "mimeType": "image/png", "buffer": PNG}
    )
    expect(mobile.get_by_test_id("evidence-file")).to_have_count(1)
    mobile.get_by_test_id("submission-submit").tap()
    # The unit's list also holds its reports of earlier quarters (the demo's, some late).
    row = mobile.get_by_test_id("submission-row").filter(has_text=label)
    expect(row).to_contain_text(unit["name"])
    expect(row.get_by_test_id("submission-status")).to_have_text(standing)
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone

    # The office, on the desktop: the unit's cell for the quarter, and the report behind it.
    login(page, "office")
    page.goto("/submissions")
    table = page.get_by_test_id("matrix-table")
    unit_row = table.locator("tbody tr").filter(has_text=unit["name"]).first
    cell = unit_row.get_by_test_id("matrix-cell").nth(int(quarter[-1]) - 1)
    expect(cell).to_have_text(standing)
    cell.click()
    expect(page.get_by_test_id("submission-summary-text")).to_have_text(summary)
    expect(page.get_by_role("dialog")).to_contain_text("窗口改造")
    counts = page.get_by_test_id("submission-quarter-count")
    expect(counts).to_have_count(4)
