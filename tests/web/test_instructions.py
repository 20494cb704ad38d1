"""领导批示 in the browser (issue #27): the office records a leader's instruction on a task and
assigns it to a unit from the desktop; the unit's liaison finds it on the to-do list on a phone and
answers; the office sees the answer and records the leader's 阅示, which closes it, and the
cockpit's card counts the open ones."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.conftest import Stack, login

pytestmark = pytest.mark.browser

# Units other browser tests sign in as, rate, or whose scores they watch.
TAKEN = {"baihexian", "songlinxian", "zhengwu", "shichang", "yunzhongqu", "renshe"}


def _unit(stack: Stack) -> dict[str, str]:
    with stack.client("office") as api:
        units = api.get("/api/tasks/v1/units", params={"limit": 200}).json()["items"]
    departments = sorted(
        (u for u in units if u["kind"] == "department" and u["code"] not in TAKEN),
        key=lambda u: u["code"],
    )
    chosen: dict[str, str] = departments[-1]
    return chosen


def test_an_instruction_is_assigned_answered_on_a_phone_and_acknowledged(
    page: Page, phone: BrowserContext, stack: Stack
) -> None:
    unit = _unit(stack)
    text = f"请抓紧推进企业开办全程网办，限期反馈落实情况（{uuid.uuid4().hex[:6]}）"

    login(page, "office")
    page.goto("/instructions")
    page.get_by_test_id("instruction-new").click()
    form = page.get_by_test_id("instruction-create-form")
    form.locator(".el-input-number input").fill("1")
    form.get_by_test_id("instruction-text").fill(text)
    form.get_by_test_id("instruction-leader").fill("李建国")
    form.get_by_test_id("instruction-leader-title").fill("市长")
    units = form.get_by_role("combobox", name="承办单位")
    units.click(force=True)
    units.press_sequentially(unit["short_name"])
    page.get_by_role("option", name=unit["short_name"], exact=True).click()
    page.get_by_text("新增领导批示").click()  # closes the (multiple) select's list
    form.get_by_test_id("instruction-create-submit").click()
    detail = page.get_by_test_id("instruction-detail")
    expect(detail).to_contain_text(text)
    expect(detail.get_by_test_id("instruction-unit")).to_contain_text("待回复")
    expect(page.get_by_test_id("instruction-ack-submit")).to_be_disabled()  # no answer yet

    # The liaison, on a phone: the to-do list has it; one tap opens it; the answer is sent.
    mobile = phone.new_page()
    login(mobile, unit["code"])
    mobile.goto("/todo")
    item = mobile.get_by_test_id("todo-item").filter(has_text=text[:20])
    expect(item).to_be_visible()
    item.click()
    expect(mobile).to_have_url(f"{stack.web}/instructions/" + page.url.rsplit("/", 1)[-1])
    mobile.get_by_test_id("instruction-answer-text").fill("已印发工作方案，系统5月10日上线试运行。")
    mobile.get_by_test_id("instruction-answer-submit").click()
    expect(mobile.get_by_test_id("instruction-answer")).to_contain_text("已印发工作方案")
    expect(mobile.get_by_test_id("instruction-answer-form")).to_have_count(1)  # may add more

    # The office reads the answer and records the leader's 阅示: closed.
    page.reload()
    expect(page.get_by_test_id("instruction-answer")).to_contain_text("已印发工作方案")
    page.get_by_test_id("instruction-ack-submit").click()
    expect(page.get_by_test_id("instruction-detail")).to_contain_text("已阅示")
    expect(page.get_by_test_id("instruction-ack-form")).to_have_count(0)

    # The cockpit counts open and overdue instructions (the demo has one of each at least).
    page.goto("/")
    card = page.get_by_test_id("overview-instructions")
    expect(card).to_be_visible()
    expect(card.get_by_test_id("instructions-overdue")).not_to_have_text("0")
