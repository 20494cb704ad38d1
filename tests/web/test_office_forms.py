"""The office's own forms in the browser: resolving an order held in the hotline's quarantine
queue (an unknown handling-unit code mapped to one of our units; an unknown category
registered; an order sent without unit or category dispatched and classified), and opening a
rating window for the lead units (a bad code refused in Chinese,
then the window saved and shown as not yet open)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Stack, caller_phone, deliver, login

pytestmark = pytest.mark.browser

DISTRICT = "songlinxian"  # not the district the live-score test watches
MAPPED_UNIT = "renshe"


def _new_order(
    stack: Stack, *, title: str, unit_code: str | None, category_code: str | None
) -> str:
    now = datetime.now(UTC)
    order_no = f"YLQ{now:%Y%m%d}{uuid.uuid4().hex[:8].upper()}"
    created = deliver(
        stack,
        "work_order.created",
        {
            "order_no": order_no,
            "occurred_at": (now - timedelta(hours=2)).isoformat(),
            "channel": "phone",
            "kind": "complaint",
            "title": title,
            "content": "松林县某公司反映社保登记窗口办理时间过长。",
            "received_at": (now - timedelta(hours=2)).isoformat(),
            "district_code": DISTRICT,
            "category_code": category_code,
            "handling_unit_code": unit_code,
            "due_at": (now + timedelta(days=5)).isoformat(),
            "contact_name": "李小红",
            "contact_phone": caller_phone(),
        },
    )
    assert created.status_code in (200, 202, 204), created.text
    return order_no


def _open_queue(page: Page) -> None:
    """The office's 待处理队列 tab, on its last page: the queue is oldest first, so an order just
    delivered is there even when the queue runs longer than one page."""
    page.get_by_test_id("menu-hotline").click()
    page.get_by_role("tab", name="待处理队列").click()
    rows = page.get_by_test_id("work-orders").locator("tbody tr")
    expect(rows.first).to_be_visible()
    page.locator(".el-pager li.number").last.click()


def test_an_unknown_handling_unit_is_mapped_and_the_order_leaves_the_queue(
    page: Page, stack: Stack
) -> None:
    external = f"SJ-T{uuid.uuid4().hex[:6].upper()}"
    title = f"社保登记办理时间过长 {external}"
    order_no = _new_order(stack, title=title, unit_code=external, category_code="qy_kaiban")
    with stack.client("office") as api:
        units = api.get("/api/tasks/v1/units", params={"limit": 200}).json()["items"]
        held = api.get(f"/api/hotline/v1/work-orders/{order_no}").json()
    unit_name = next(u["short_name"] for u in units if u["code"] == MAPPED_UNIT)
    assert held["quarantine_reason"] == f"未知承办单位“{external}”"

    login(page, "office")
    _open_queue(page)
    row = page.get_by_test_id("work-orders").locator("tbody tr").filter(has_text=order_no)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(external)  # the platform's code, as it came
    expect(row).to_contain_text(f"未知承办单位“{external}”")

    row.get_by_role("button", name="处理").click()
    dialog = page.get_by_role("dialog", name="处理待处理工单")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"{order_no}：未知承办单位“{external}”")
    confirm = dialog.get_by_role("button", name="确定")
    expect(confirm).to_be_disabled()  # nothing chosen yet
    expect(dialog.get_by_label("分类名称")).to_have_count(0)  # its category is known
    unit = dialog.get_by_role("combobox", name="承办单位")
    unit.click()
    unit.press_sequentially(unit_name)
    page.get_by_role("option", name=unit_name, exact=True).click()
    confirm.click()

    expect(page.get_by_text("已处理，放行 0 张工单")).to_be_visible()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("work-orders").get_by_text(order_no)).to_have_count(0)

    # Among the work orders now, with our unit as its handling unit.
    page.get_by_role("tab", name="工单", exact=True).click()
    page.get_by_test_id("order-search").fill(order_no)
    page.get_by_test_id("order-search").press("Enter")
    rows = page.get_by_test_id("work-orders").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(order_no)
    expect(rows.first.locator("td").nth(3)).to_have_text(unit_name)

    with stack.client("office") as api:
        after = api.get(f"/api/hotline/v1/work-orders/{order_no}").json()
        mappings = api.get("/api/hotline/v1/unit-mappings").json()["items"]
    assert after["quarantine_reason"] is None
    assert after["handling_unit_code"] == MAPPED_UNIT
    assert {m["external_code"]: m["unit_code"] for m in mappings}[external] == MAPPED_UNIT


def test_an_unknown_category_is_registered_and_the_order_leaves_the_queue(
    page: Page, stack: Stack
) -> None:
    category = f"sb_{uuid.uuid4().hex[:6]}"
    order_no = _new_order(
        stack, title=f"社保转移接续难 {category}", unit_code=MAPPED_UNIT, category_code=category
    )
    with stack.client("office") as api:
        domain = api.get("/api/tasks/v1/domains").json()["items"][0]
        units = api.get("/api/tasks/v1/units", params={"limit": 200}).json()["items"]
    unit_name = next(u["short_name"] for u in units if u["code"] == MAPPED_UNIT)

    login(page, "office")
    _open_queue(page)
    row = page.get_by_test_id("work-orders").locator("tbody tr").filter(has_text=order_no)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(unit_name)  # its handling unit is one of ours
    expect(row).to_contain_text(f"未知分类“{category}”")

    # The dialog asks for what is missing: the category, not a unit.
    row.get_by_role("button", name="处理").click()
    dialog = page.get_by_role("dialog", name="处理待处理工单")
    expect(dialog).to_contain_text(f"{order_no}：未知分类“{category}”")
    expect(dialog).to_contain_text(category)
    expect(dialog.get_by_role("combobox", name="承办单位")).to_have_count(0)
    confirm = dialog.get_by_role("button", name="确定")
    expect(confirm).to_be_disabled()
    dialog.get_by_label("分类名称").fill("社保转移接续")
    domain_select = dialog.get_by_role("combobox", name="对应领域")
    domain_select.focus()
    domain_select.press("Enter")
    page.get_by_role("option", name=domain["name"], exact=True).click()
    confirm.click()

    expect(page.get_by_text("已处理，放行 0 张工单")).to_be_visible()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("work-orders").get_by_text(order_no)).to_have_count(0)

    with stack.client("office") as api:
        after = api.get(f"/api/hotline/v1/work-orders/{order_no}").json()
        categories = api.get("/api/hotline/v1/categories").json()["items"]
    assert after["quarantine_reason"] is None
    assert after["domain_code"] == domain["code"]
    registered = [c for c in categories if c["code"] == category]
    assert registered == [{"code": category, "name": "社保转移接续", "domain_code": domain["code"]}]


def test_an_order_sent_without_unit_or_category_is_dispatched_and_classified(
    page: Page, stack: Stack
) -> None:
    """Issue #26: the platform did not know the handling unit or the category at intake; the
    office dispatches the order and picks one of the known categories in one step."""
    order_no = _new_order(stack, title="企业开办咨询无人受理", unit_code=None, category_code=None)
    with stack.client("office") as api:
        units = api.get("/api/tasks/v1/units", params={"limit": 200}).json()["items"]
        categories = api.get("/api/hotline/v1/categories").json()["items"]
    unit_name = next(u["short_name"] for u in units if u["code"] == MAPPED_UNIT)
    category = next(c for c in categories if c["code"] == "qy_kaiban")

    login(page, "office")
    _open_queue(page)
    row = page.get_by_test_id("work-orders").locator("tbody tr").filter(has_text=order_no)
    expect(row).to_contain_text("待派单（尚无承办单位）；待分类（尚无诉求分类）")
    row.get_by_role("button", name="处理").click()
    dialog = page.get_by_role("dialog", name="处理待处理工单")
    confirm = dialog.get_by_role("button", name="确定")
    unit = dialog.get_by_role("combobox", name="承办单位")
    unit.click()
    unit.press_sequentially(unit_name)
    page.get_by_role("option", name=unit_name, exact=True).click()
    expect(confirm).to_be_disabled()  # the category is still missing
    classify = dialog.get_by_role("combobox", name="诉求分类")
    classify.click()
    page.get_by_role("option", name=f"{category['name']}（qy_kaiban）", exact=True).click()
    confirm.click()

    expect(page.get_by_text("已处理，放行 0 张工单")).to_be_visible()
    expect(page.get_by_test_id("work-orders").get_by_text(order_no)).to_have_count(0)
    with stack.client("office") as api:
        after = api.get(f"/api/hotline/v1/work-orders/{order_no}").json()
    assert after["quarantine_reason"] is None
    assert (after["handling_unit_code"], after["category_code"]) == (MAPPED_UNIT, "qy_kaiban")


def test_office_opens_a_rating_window_and_a_bad_code_is_refused_in_chinese(
    page: Page, stack: Stack
) -> None:
    # Next year's first half: set ahead of time, so it is not the open window other tests rate in.
    year = date.today().year + 1
    code = f"{year}-H1"
    name = f"{year}年上半年牵头单位评价"
    opens, closes = f"{year}-01-05", f"{year}-06-30"

    login(page, "office")
    page.get_by_test_id("menu-ratings").click()
    page.get_by_test_id("window-new").click()
    dialog = page.get_by_role("dialog", name="开启评价窗口")
    expect(dialog).to_be_visible()
    dialog.get_by_label("代码").fill(f"{year}年上半年")
    dialog.get_by_label("名称").fill(name)
    dialog.get_by_placeholder("开始").fill(opens)
    dialog.get_by_placeholder("结束").fill(closes)
    dialog.get_by_placeholder("结束").press("Enter")
    dialog.get_by_role("button", name="开启").click()
    error = dialog.get_by_role("alert")
    expect(error).to_contain_text("格式不正确")
    expect(dialog).to_be_visible()

    dialog.get_by_label("代码").fill(code)
    dialog.get_by_role("button", name="开启").click()
    expect(dialog).to_be_hidden()
    # Set ahead of time: not open yet, and not "closed" either.
    expect(page.get_by_test_id("rating-window")).to_contain_text(f"{name}（未开始）")
    expect(page.get_by_text(f"{opens} 至 {closes} · 满分 100")).to_be_visible()

    with stack.client("office") as api:
        windows = api.get("/api/tasks/v1/rating-windows", params={"limit": 100}).json()["items"]
    saved = [w for w in windows if w["code"] == code]
    assert [(w["name"], w["opens_on"], w["closes_on"], w["scale_max"]) for w in saved] == [
        (name, opens, closes, 100)
    ]
    assert not any(w["code"].startswith(f"{year}年") for w in windows)
