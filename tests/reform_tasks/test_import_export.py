"""Task list import (messy real files, all or nothing, exact row/column errors) and export
(the same layout; export → import changes nothing)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import httpx
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.demo.loader import load
from shared.models import Role, Task
from tests.reform_tasks.conftest import Scene

API = "/api/tasks/v1/tasks"
HEADER = ["序号", "领域", "任务", "类别", "对标", "牵头单位", "责任单位", "完成时限", "时间节点"]


def _workbook(rows: list[list[object]], *, merge_domain: tuple[int, int] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "清单"
    sheet.append(["云岭市2026年“一号改革工程”重点任务清单"])  # a title row above the header
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    if merge_domain:
        sheet.merge_cells(
            start_row=merge_domain[0], start_column=2, end_row=merge_domain[1], end_column=2
        )
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _import(
    client: httpx.AsyncClient, scene: Scene, content: bytes, *, dry_run: bool
) -> httpx.Response:
    return await client.post(
        f"{API}/import",
        params={"dry_run": str(dry_run).lower()},
        files={"file": ("清单.xlsx", content)},
        headers=scene.headers("office"),
    )


async def test_messy_office_file_imports(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    content = _workbook(
        [
            [
                3,
                "商事登记",
                "企业注销便利化",
                "A类",
                "深圳：简易注销20天",
                "市场监管局",
                "云中区、市政务服务局\n河西区",
                "2026年6月底前",
                "3月底前：制定简易注销办法\n2026年6月30日：全面推行",
            ],
            [
                4,
                None,
                "名称自主申报",
                "b",
                "",
                "shichang",
                "zhengwu，keji",
                "2026年三季度",
                "5月底前：完善禁限用字库；9月30日前：上线",
            ],
            [
                5,
                "纳税",
                "纳税信用修复",
                "C",
                "",
                "国家税务总局云岭市税务局",
                "hexiqu",
                "长期坚持",
                "4月底前：梳理流程\n12月31日前：全面推开",
            ],
        ],
        merge_domain=(3, 4),
    )
    preview = await _import(tasks_client, scene, content, dry_run=True)
    assert preview.status_code == 200, preview.text
    assert [c["number"] for c in preview.json()["created"]] == [3, 4, 5]
    assert await session.scalar(select(func.count()).select_from(Task)) == 2  # dry run

    applied = await _import(tasks_client, scene, content, dry_run=False)
    assert applied.status_code == 200, applied.text
    three = (await tasks_client.get(f"{API}/3", headers=scene.headers("office"))).json()
    assert three["domain"]["code"] == "shangshi"
    assert three["task_class"] == "A"
    assert three["lead_unit"]["code"] == "shichang"  # by alias 市场监管局
    assert {u["code"] for u in three["responsible_units"]} == {"yunzhongqu", "zhengwu", "hexiqu"}
    assert (three["deadline"], three["deadline_text"]) == ("2026-06-30", "2026年6月底前")
    assert [(m["planned_date"], m["title"]) for m in three["milestones"]] == [
        ("2026-03-31", "制定简易注销办法"),
        ("2026-06-30", "全面推行"),
    ]
    four = (await tasks_client.get(f"{API}/4", headers=scene.headers("office"))).json()
    assert four["domain"]["code"] == "shangshi"  # the merged 领域 cell
    assert four["deadline"] == "2026-09-30"
    five = (await tasks_client.get(f"{API}/5", headers=scene.headers("office"))).json()
    assert (five["deadline"], five["task_class"]) == ("2026-12-31", "C")

    again = await _import(tasks_client, scene, content, dry_run=True)
    assert again.json()["created"] == []
    assert again.json()["changed"] == []
    assert again.json()["unchanged"] == 3


async def test_errors_name_sheet_row_and_column_and_nothing_is_written(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    content = _workbook(
        [
            [
                6,
                "商事登记",
                "好的任务",
                "A",
                "",
                "shichang",
                "zhengwu",
                "2026年6月底前",
                "6月底前：完成",
            ],
            [
                7,
                "商事登记",
                "坏单位",
                "A",
                "",
                "市不存在局",
                "zhengwu",
                "2026年6月底前",
                "6月底前：完成",
            ],
            [
                8,
                "商事登记",
                "坏类别",
                "D类",
                "",
                "shichang",
                "zhengwu",
                "2026年6月底前",
                "6月底前：完成",
            ],
            [9, "商事登记", "坏日期", "A", "", "shichang", "zhengwu", "明年再说", "6月底前：完成"],
            [
                6,
                "商事登记",
                "重复序号",
                "A",
                "",
                "shichang",
                "zhengwu",
                "2026年6月底前",
                "6月底前：完成",
            ],
        ]
    )
    response = await _import(tasks_client, scene, content, dry_run=False)
    assert response.status_code == 422
    errors = [(e["loc"], e["msg"]) for e in response.json()["errors"]]
    assert errors == [
        (["清单", 4, "牵头单位"], "未知单位“市不存在局”"),
        (["清单", 5, "类别"], "类别应为A/B/C：“D类”"),
        (["清单", 6, "完成时限"], "无法识别的日期“明年再说”"),
        (["清单", 7, "序号"], "序号 6 重复（第 3 行已有）"),
    ]
    assert await session.scalar(select(func.count()).select_from(Task)) == 2


async def test_bad_files_are_4xx_not_500(tasks_client: httpx.AsyncClient, scene: Scene) -> None:
    docx_like = BytesIO()
    import zipfile

    with zipfile.ZipFile(docx_like, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    bomb = BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    for content in (b"random bytes", docx_like.getvalue(), bomb.getvalue(), b""):
        response = await _import(tasks_client, scene, content, dry_run=True)
        assert response.status_code in (400, 413, 422), response.text
        assert response.json()["detail"]
    unit = await tasks_client.post(
        f"{API}/import", files={"file": ("x.xlsx", b"x")}, headers=scene.headers("shichang")
    )
    assert unit.status_code == 403


async def test_template_downloads_and_imports_its_examples(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    from shared.models import Unit

    for unit in (await session.scalars(select(Unit))).all():
        if unit.code == "shichang":
            unit.short_name = "市市场监管局"
    template = await tasks_client.get(f"{API}/import-template", headers=scene.headers("office"))
    assert template.status_code == 200
    book = load_workbook(BytesIO(template.content))
    assert book.sheetnames == ["任务清单", "填写说明"]
    preview = await _import(tasks_client, scene, template.content, dry_run=True)
    assert preview.status_code == 200, preview.text


async def test_demo_export_then_import_changes_nothing(
    tasks_client: httpx.AsyncClient, session: AsyncSession, scene: Scene
) -> None:
    # A programme of its own: the demo's 2026 replaces the scene's in this test.
    await session.execute(Task.__table__.delete())
    from shared.models import Domain, Programme

    await session.execute(Domain.__table__.delete())
    await session.execute(Programme.__table__.delete())
    await load(session, password="pw", as_of=date(2026, 11, 24))
    office = {"Authorization": scene.headers("office")["Authorization"]}
    exported = await tasks_client.get(f"{API}/export", headers=office)
    assert exported.status_code == 200
    assert "filename*=UTF-8''" in exported.headers["content-disposition"]
    preview = await tasks_client.post(
        f"{API}/import",
        params={"dry_run": "true"},
        files={"file": ("清单.xlsx", exported.content)},
        headers=office,
    )
    assert preview.status_code == 200, preview.text[:2000]
    body = preview.json()
    assert (body["created"], body["changed"], body["unchanged"]) == ([], [], 210)
    unit_export = await tasks_client.get(
        f"{API}/export", headers=scene.headers("yunzhongqu", Role.unit)
    )
    sheet = load_workbook(BytesIO(unit_export.content)).active
    assert sheet is not None
    unit_rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]]
    assert 0 < len(unit_rows) < 210


async def test_whole_lifecycle_from_import_to_task_close_out(
    tasks_client: httpx.AsyncClient, scene: Scene, session: AsyncSession
) -> None:
    """Import → report → review → close-out, as the office and the units drive it."""
    from shared.models import OutboxEvent

    content = _workbook(
        [
            [
                10,
                "纳税",
                "非接触式办税",
                "A",
                "深圳：网上办税率95%",
                "市税务局",
                "河西区",
                "2026年5月底前",
                "4月底前：上线新功能\n5月31日前：网上办理率达标",
            ],
        ]
    )
    assert (await _import(tasks_client, scene, content, dry_run=False)).status_code == 200
    office = scene.headers("office")
    for ordinal, done in ((1, "2026-04-28"), (2, "2026-05-30")):
        report = await tasks_client.post(
            f"{API}/10/milestones/{ordinal}/reports",
            data={"content": "已完成", "claims_completion": "true", "completion_date": done},
            headers=scene.headers("hexiqu", Role.unit),
        )
        assert report.status_code == 201, report.text
        review = await tasks_client.post(
            f"/api/tasks/v1/reports/{report.json()['id']}/review",
            json={"decision": "accept"},
            headers=scene.headers("shuiwu"),
        )
        assert review.status_code == 200, review.text
        close = await tasks_client.post(f"{API}/10/milestones/{ordinal}/close-out", headers=office)
        assert close.status_code == 200, close.text
    closed = await tasks_client.post(f"{API}/10/close-out", headers=office)
    assert closed.json()["on_time"] is True
    task = (await tasks_client.get(f"{API}/10", headers=office)).json()
    assert task["status"] == "closed_out"
    types = (
        await session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.data["task_number"].as_integer() == 10)
        )
    ).all()
    assert sorted(types) == ["milestone.completed", "milestone.completed", "task.closed_out"]
