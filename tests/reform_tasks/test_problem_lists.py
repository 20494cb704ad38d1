"""Unit-filed problem / cause / measure lists (三张清单, 备案; issue #27, seed 003): a unit writes
its own list, submits it, the office accepts it — each line then a problem of the problem list,
closed one by one — or returns it with a reason, and the unit edits and submits it again. A unit
never reads or writes another unit's list; the lines go out to and come back from xlsx."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared import clock
from shared.models import Role, UnitMessage
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1"
LINES = [
    {
        "problem": "企业开办窗口等候时间过长",
        "cause": "综合窗口数量不足，高峰时段人手紧张",
        "measure": "增设两个综合窗口，推行预约办理",
        "responsible_person": "王强",
        "due_on": "2026-10-31",
    },
    {
        "problem": "涉企收费公示不全",
        "cause": "收费目录更新不及时",
        "measure": "按季度更新收费目录并网上公示",
        "responsible_person": "李娜",
        "due_on": "2026-11-30",
    },
]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    clock.freeze(datetime(2026, 9, 20, 2, tzinfo=UTC))
    yield
    clock.freeze(None)


async def _filed(
    client: httpx.AsyncClient, scene: Scene, unit: str = "hexiqu", lines: Any = None
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/problem-lists",
        json={"title": "河西区营商环境问题清单", "items": LINES if lines is None else lines},
        headers=scene.headers(unit, Role.unit),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_unit_files_its_list_and_the_office_accepts_each_line_as_a_problem(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    hexiqu, office = scene.headers("hexiqu", Role.unit), scene.headers("office")
    filed = await _filed(tasks_client, scene)
    assert (filed["status"], filed["unit"], filed["item_count"]) == ("draft", "hexiqu", 2)
    early = await tasks_client.post(f"{API}/problem-lists/{filed['id']}/accept", headers=office)
    assert early.status_code == 409  # a draft is not the office's yet
    submitted = await tasks_client.post(f"{API}/problem-lists/{filed['id']}/submit", headers=hexiqu)
    assert submitted.json()["status"] == "submitted"
    frozen_edit = await tasks_client.put(
        f"{API}/problem-lists/{filed['id']}",
        json={"title": "改后的清单", "items": LINES[:1]},
        headers=hexiqu,
    )
    assert frozen_edit.status_code == 409
    accepted = await tasks_client.post(f"{API}/problem-lists/{filed['id']}/accept", headers=office)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted"
    assert body["decided_by"] == "office"
    numbers = [item["problem_number"] for item in body["items"]]
    assert all(numbers)
    assert [i["problem_status"] for i in body["items"]] == ["open", "open"]
    problem = (await tasks_client.get(f"{API}/problems/{numbers[0]}", headers=hexiqu)).json()
    assert problem["source"] == "self_check"
    assert (problem["problem"], problem["cause"], problem["measure"]) == (
        LINES[0]["problem"],
        LINES[0]["cause"],
        LINES[0]["measure"],
    )
    assert (problem["responsible_unit"], problem["found_on"], problem["due_on"]) == (
        "hexiqu",
        "2026-09-20",
        "2026-10-31",
    )
    # Closed one by one, as every problem is (对单销号).
    closed = await tasks_client.post(
        f"{API}/problems/{numbers[0]}/close-out", json={"note": "已增设窗口"}, headers=office
    )
    assert closed.status_code == 200, closed.text
    again = (await tasks_client.get(f"{API}/problem-lists/{filed['id']}", headers=hexiqu)).json()
    assert [i["problem_status"] for i in again["items"]] == ["closed", "open"]
    twice = await tasks_client.post(f"{API}/problem-lists/{filed['id']}/accept", headers=office)
    assert twice.status_code == 409


async def test_a_returned_list_is_edited_and_submitted_again(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    hexiqu, office = scene.headers("hexiqu", Role.unit), scene.headers("office")
    filed = await _filed(tasks_client, scene)
    await tasks_client.post(f"{API}/problem-lists/{filed['id']}/submit", headers=hexiqu)
    returned = await tasks_client.post(
        f"{API}/problem-lists/{filed['id']}/return",
        json={"reason": "原因分析不够具体，请补充"},
        headers=office,
    )
    assert returned.status_code == 200, returned.text
    assert (returned.json()["status"], returned.json()["return_reason"]) == (
        "returned",
        "原因分析不够具体，请补充",
    )
    inbox = await session.scalars(
        select(UnitMessage.title).where(UnitMessage.unit_id == scene.units["hexiqu"].id)
    )
    assert any("被退回" in title for title in inbox)
    edited = await tasks_client.put(
        f"{API}/problem-lists/{filed['id']}",
        json={"title": "河西区营商环境问题清单（修改）", "items": LINES[1:]},
        headers=hexiqu,
    )
    assert edited.status_code == 200, edited.text
    assert [i["position"] for i in edited.json()["items"]] == [1]
    again = await tasks_client.post(f"{API}/problem-lists/{filed['id']}/submit", headers=hexiqu)
    assert again.json()["status"] == "submitted"
    accepted = await tasks_client.post(f"{API}/problem-lists/{filed['id']}/accept", headers=office)
    assert accepted.json()["item_count"] == 1


async def test_a_unit_cannot_read_or_write_another_units_list(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    filed = await _filed(tasks_client, scene)
    keji = scene.headers("keji", Role.unit)
    path = f"{API}/problem-lists/{filed['id']}"
    assert (await tasks_client.get(path, headers=keji)).status_code == 404
    assert (await tasks_client.get(f"{path}/xlsx", headers=keji)).status_code == 404
    body = {"title": "越权修改", "items": LINES}
    assert (await tasks_client.put(path, json=body, headers=keji)).status_code == 404
    assert (await tasks_client.post(f"{path}/submit", headers=keji)).status_code == 404
    assert (await tasks_client.get(f"{API}/problem-lists", headers=keji)).json()["total"] == 0
    # The office reads all and decides; it does not file for a unit. Viewers read only.
    listed = await tasks_client.get(f"{API}/problem-lists", headers=scene.headers("office"))
    assert [r["id"] for r in listed.json()["items"]] == [filed["id"]]
    office_files = await tasks_client.post(
        f"{API}/problem-lists", json=body, headers=scene.headers("office")
    )
    assert office_files.status_code == 403
    viewer = scene.headers("viewer")
    assert (await tasks_client.get(path, headers=viewer)).status_code == 200
    assert (await tasks_client.put(path, json=body, headers=viewer)).status_code == 403


async def test_a_past_deadline_or_an_empty_list_is_refused(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    hexiqu = scene.headers("hexiqu", Role.unit)
    late = await tasks_client.post(
        f"{API}/problem-lists",
        json={"title": "问题清单", "items": [{**LINES[0], "due_on": "2026-09-01"}]},
        headers=hexiqu,
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["loc"] == ["body", "items", 0, "due_on"]
    empty = await _filed(tasks_client, scene, lines=[])
    refused = await tasks_client.post(f"{API}/problem-lists/{empty['id']}/submit", headers=hexiqu)
    assert refused.status_code == 422
    assert "没有任何条目" in refused.json()["detail"]


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["序号", "问题", "原因", "措施", "责任人", "完成时限"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_lines_round_trip_through_xlsx_and_a_bad_row_changes_nothing(
    tasks_client: httpx.AsyncClient, scene: Scene
) -> None:
    hexiqu = scene.headers("hexiqu", Role.unit)
    filed = await _filed(tasks_client, scene)
    path = f"{API}/problem-lists/{filed['id']}"
    exported = await tasks_client.get(f"{path}/xlsx", headers=hexiqu)
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [r[1] for r in rows] == [line["problem"] for line in LINES]
    assert not any(isinstance(c, str) and c.startswith("=") for r in rows for c in r)
    # The export is the template: uploaded again, it gives the same lines.
    imported = await tasks_client.post(
        f"{path}/import", files=[("file", ("清单.xlsx", exported.content))], headers=hexiqu
    )
    assert imported.status_code == 200, imported.text
    assert [i["due_on"] for i in imported.json()["list"]["items"]] == ["2026-10-31", "2026-11-30"]
    bad = _workbook(
        [
            [1, '=HYPERLINK("x")问题描述', "原因说明", "整改措施", "王强", "2026-12-31"],
            [2, "第二个问题描述", "原因说明", "整改措施", "李娜", "年底前"],
        ]
    )
    refused = await tasks_client.post(
        f"{path}/import", files=[("file", ("清单.xlsx", bad))], headers=hexiqu
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["问题清单", 3, "完成时限"]
    kept = (await tasks_client.get(path, headers=hexiqu)).json()
    assert [i["problem"] for i in kept["items"]] == [line["problem"] for line in LINES]
    garbage = await tasks_client.post(
        f"{path}/import", files=[("file", ("清单.xlsx", b"not a workbook"))], headers=hexiqu
    )
    assert garbage.status_code == 422
